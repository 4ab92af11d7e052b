//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Another user cannot redirect root's state dir. Root runs acme with a
// HOME that belongs to alice (sudo -E, su without "-", a service started
// from a user's shell). Alice has made ~/.config/acme/telemetry a symlink to
// a directory of root that is not writable by group or others (here a
// stand-in for /etc/sudoers.d, mode 0750). Were the link followed, root's
// run would write device_id, ticket-usage, lock, milestones.json, spool/...
// into it, and in /etc/sudoers.d those are sudoers syntax errors that stop
// sudo for everyone. A state dir reached through a link that another user
// planted (or whose parent another user can write) is not used.
func TestOtherUserCannotRedirectRootsStateDir(t *testing.T) {
	requireRoot(t)
	col := newCollector(t)
	base := tempDir(t)
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(base, "sudoers.d") // root's, 0750
	if err := os.Mkdir(target, 0o750); err != nil {
		t.Fatal(err)
	}
	alice := filepath.Join(base, "alice")
	if err := os.Mkdir(alice, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(alice, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	// Alice's own doing, as alice.
	plant := asUser(exec.Command("sh", "-c", `mkdir -p "$1/.config/acme" && ln -s "$2" "$1/.config/acme/telemetry"`, "sh", alice, target), nobody)
	if out, err := plant.CombinedOutput(); err != nil {
		t.Fatalf("plant the link as nobody: %v %s", err, out)
	}
	in := &Install{t: t, Home: alice, Endpoint: col.URL}
	requireHello(t, in.Run(nil, "hello"), "root's acme hello with alice's HOME")
	time.Sleep(2 * time.Second) // the uploader writes too
	if got := files(t, target); len(got) > 0 {
		t.Errorf("root's run wrote into a directory another user pointed it at: %v", got)
	}
}

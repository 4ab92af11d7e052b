package statedir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Create remembers its first success, but a state dir removed during
// a long run (a server, `rm -rf`, a tmp cleaner) must be made again, or every
// later lock or write of this process fails.
func TestCreateRemakesRemovedDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acme", "telemetry")
	d := New(p).WithoutSync()
	if err := d.Create(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := d.Create(); err != nil {
		t.Fatalf("second Create: %v", err)
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		t.Fatalf("Create returned nil but the state dir is not there: %v", err)
	}
	if l, err := d.TryLock(StateLock); err != nil {
		t.Fatalf("lock after Create: %v", err)
	} else {
		l.Unlock()
	}
}

// In a sticky, world-writable parent such as /tmp, once the user's
// state dir is gone (tmp cleaner, the user), any user may create that name:
// Create must check again and refuse another user's link instead of
// trusting what it found safe before.
func TestCreateRechecksReplacedDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no sticky shared folders or Unix owners to plant a link as another user")
	}
	if os.Geteuid() != 0 {
		t.Fatal("needs root to play another user (CI runs the tests as root)")
	}
	shared := t.TempDir()
	if err := os.Chmod(shared, 0o777|fs.ModeSticky); err != nil { // like /tmp
		t.Fatal(err)
	}
	p := filepath.Join(shared, "acme-telemetry")
	d := New(p)
	if err := d.Create(); err != nil {
		t.Fatal(err)
	}
	// The dir is cleaned away; another user plants a link at its name.
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	victim := t.TempDir() // somewhere the attacker chose
	if err := os.Symlink(victim, p); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := New(p).Create(); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("a fresh Dir's Create = %v, want ErrUnsafe (sanity)", err)
	}
	err := d.Create()
	if !errors.Is(err, ErrUnsafe) {
		t.Errorf("memoised Create = %v, want ErrUnsafe: another user's link now stands at the state dir", err)
	}
	if err == nil {
		if werr := d.WriteFile(DeviceID, []byte("id\n")); werr == nil {
			if _, serr := os.Stat(filepath.Join(victim, "device_id")); serr == nil {
				t.Errorf("device_id was written through another user's link into %s", victim)
			}
		}
	}
}

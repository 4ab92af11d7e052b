//go:build linux

package statedir

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A host that starts as root and then drops to a service user (a
// server) must compare owners with its new identity, or it refuses the very
// files it writes afterwards; so the effective uid is not cached.
func TestEuidFollowsPrivilegeDrop(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root (CI runs the tests as root)")
	}
	dir, err := os.MkdirTemp("", "euid-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o777)
	_ = euid() // the host's first checks run as root
	if err := syscall.Setresuid(-1, 65534, -1); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setresuid(-1, 0, -1)
	p := filepath.Join(dir, "device_id")
	if err := writeFileAtomic(p, []byte("id\n"), filePerm, false); err != nil {
		t.Fatal(err)
	}
	if _, err := readBounded(p, 16); err != nil {
		t.Errorf("reading back a file this process just wrote, after dropping to uid 65534: %v", err)
	}
}

//go:build linux

package statedir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func openFDs(t *testing.T) int {
	t.Helper()
	des, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(des)
}

// Every error path of the bare-descriptor code closes what it
// opened, and a failed atomic write leaves no temporary file.
func TestNoFDLeakOnHostileEntries(t *testing.T) {
	state := t.TempDir()
	d := New(state)
	if err := d.Create(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(d.PathOf(DeviceID), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", d.PathOf(Mode)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(d.PathOf(Delivery), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.PathOf(Milestones), make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.PathOf(LocalLog), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(d.PathOf(LocalLog), filepath.Join(state, "hardlink")); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := syscall.Mknod(d.PathOf(NoticeShown), syscall.S_IFCHR|0o600, 1<<8|3); err != nil { // /dev/null
			t.Fatal(err)
		}
		os.WriteFile(d.PathOf(UpdateCache), []byte("x"), 0o600)
		os.Chown(d.PathOf(UpdateCache), 65534, 65534)
	}
	before := openFDs(t)
	for i := 0; i < 200; i++ {
		for _, n := range []Name{DeviceID, Mode, Delivery, Milestones, NoticeShown, UpdateCache, "missing"} {
			d.ReadFile(n, 16)
		}
		d.Append(LocalLog, []byte("y"), 1<<20)
		d.Append(DeviceID, []byte("y"), 1<<20)
		d.Append(Milestones, []byte("y"), 16)
		d.TryLock(Mode)
		d.TryLock(LocalLog)
		ReadPolicyFile(filepath.Join(state, "missing", "x"), 16)
		// rename onto a non-empty directory fails after the temp file is made
		if err := writeFileAtomic(d.PathOf(Delivery), []byte("x"), 0o600, false); err == nil {
			t.Fatal("rename onto a directory succeeded")
		}
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open after the hostile operations, %d before", after, before)
	}
	des, _ := os.ReadDir(state)
	for _, de := range des {
		if strings.Contains(de.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", de.Name())
		}
	}
}

// Errors keep the shapes callers test with errors.Is.
func TestErrorShapes(t *testing.T) {
	state := t.TempDir()
	d := New(state)
	_, err := d.ReadFile(DeviceID, 16)
	if !errors.Is(err, fs.ErrNotExist) || !IsNotExist(err) {
		t.Errorf("missing: %v", err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != d.PathOf(DeviceID) {
		t.Errorf("missing: %#v is not a *PathError naming the file", err)
	}
	if _, err := ReadPolicyFile(filepath.Join(d.PathOf(DeviceID), "x"), 16); !errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("below a missing file: %v", err)
	}
	os.WriteFile(d.PathOf(Mode), []byte("0123456789"), 0o600)
	if _, err := d.ReadFile(Mode, 9); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	if b, err := d.ReadFile(Mode, 10); err != nil || string(b) != "0123456789" {
		t.Errorf("exactly the limit: %q, %v", b, err)
	}
	if err := d.Append(Mode, []byte("x"), 10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("append past the limit: %v", err)
	}
	os.Symlink(d.PathOf(Mode), d.PathOf(DeviceID))
	if _, err := d.ReadFile(DeviceID, 16); !errors.Is(err, ErrUnsafe) {
		t.Errorf("symlink: %v", err)
	}
}

// The mode of what WriteFile makes is 0600 whatever the umask.
func TestWriteFileModeIgnoresUmask(t *testing.T) {
	for _, mask := range []int{0, 0o077, 0o777} {
		d := New(filepath.Join(t.TempDir(), "s"))
		old := syscall.Umask(mask)
		err := d.Create()
		if err == nil {
			err = d.WriteFile(DeviceID, []byte("x"))
		}
		syscall.Umask(old)
		if mask == 0o777 {
			continue // the dir itself is unusable then
		}
		if err != nil {
			t.Fatalf("umask %o: %v", mask, err)
		}
		fi, _ := os.Stat(d.PathOf(DeviceID))
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("umask %o: mode %v", mask, fi.Mode())
		}
	}
}

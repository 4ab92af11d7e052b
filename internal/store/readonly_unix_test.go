//go:build unix

package store

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Prepare names a state dir this user cannot write. Root can write into a
// 0500 directory, so as root (CI) the test runs again, alone, as nobody.
func TestPrepareReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		runAsNobody(t, "TestPrepareReadOnlyDir")
		return
	}
	s, _ := newStore(t)
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.dirPath(), 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(s.dirPath(), 0o700) })
	err := s.Prepare()
	if err == nil || !strings.Contains(err.Error(), s.dirPath()+" is not writable") {
		t.Fatalf("Prepare: %v; want not writable", err)
	}
}

// runAsNobody runs test name of this test binary as uid and gid 65534 and
// fails unless it passed there. The binary is copied where nobody may run it
// (go test's own folder is root's alone).
func runAsNobody(t *testing.T, name string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "store-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "store.test")
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(exe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	cmd := exec.Command(exe, "-test.run", "^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir}
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("%s as nobody: %v\n%s", name, err, out)
	}
}

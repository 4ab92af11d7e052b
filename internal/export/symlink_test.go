package export

import (
	"io/fs"
	"os"
	"runtime"
	"testing"
)

// symlink makes link point at target. Where the system makes no symbolic
// link that a program then sees, the test is skipped on Windows (a link
// needs a privilege or Developer Mode there, and Wine 8 makes none that
// Lstat finds) and fails anywhere else.
func symlink(t testing.TB, target, link string) {
	t.Helper()
	err := os.Symlink(target, link)
	if err == nil {
		var fi fs.FileInfo
		if fi, err = os.Lstat(link); err == nil && fi.Mode()&fs.ModeSymlink == 0 {
			err = fs.ErrInvalid
		}
	}
	if err == nil {
		return
	}
	if runtime.GOOS == "windows" {
		os.Remove(link)
		t.Skipf("this Windows makes no symbolic link a program can see (%v): it takes a privilege or Developer Mode, and Wine 8 has none", err)
	}
	t.Fatalf("symlink %s: %v", link, err)
}

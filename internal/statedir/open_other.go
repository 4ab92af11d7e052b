//go:build !unix

package statedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// openRegular opens path only if it is a regular file (not a symlink,
// reparse point, directory or device), checked with Lstat first. Windows has
// no O_NOFOLLOW; the state dir is private to the user, so nobody else can
// swap the entry in between.
func openRegular(path string, flag int, perm os.FileMode) (*os.File, error) {
	return openFile(path, flag, perm, true)
}

// openFile is openRegular; ownership is not checked on this platform.
func openFile(path string, flag int, perm os.FileMode, _ bool) (*os.File, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && flag&os.O_CREATE != 0:
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrUnsafe, path)
	}
	return os.OpenFile(path, flag, perm)
}

// Ownership and permission bits are Unix ideas; on Windows the per-user
// profile's ACLs keep other users out.
func ownedByMe(fs.FileInfo) bool { return true }

func groupOrOtherWritable(fs.FileInfo) bool { return false }

// checkChain has no Unix ownership to check on this platform.
func checkChain(string) error { return nil }

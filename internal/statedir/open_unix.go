//go:build unix

package statedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openRegular opens path without following a symlink at its last element
// and without blocking on a FIFO or device, then keeps it only if it is a
// regular file owned by this user.
func openRegular(path string, flag int, perm os.FileMode) (*os.File, error) {
	return openFile(path, flag, perm, true)
}

// openFile is openRegular, with the owner checked only when mine is set.
func openFile(path string, flag int, perm os.FileMode, mine bool) (*os.File, error) {
	// O_NOCTTY: a planted terminal device must never become the
	// controlling terminal of a detached uploader.
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY, perm)
	if err != nil {
		// ELOOP on Linux and macOS, EMLINK on FreeBSD: a symlink.
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) || errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.EISDIR) {
			return nil, fmt.Errorf("%w: %s is not a regular file: %v", ErrUnsafe, path, err)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && (!fi.Mode().IsRegular() || mine && !ownedByMe(fi)) {
		err = fmt.Errorf("%w: %s is not a regular file of this user", ErrUnsafe, path)
	}
	if err == nil && flag&(os.O_WRONLY|os.O_RDWR) != 0 && hardLinked(fi) {
		// Written in place (appends, locks): a hard link would carry the
		// write to another file.
		err = fmt.Errorf("%w: %s has other hard links", ErrUnsafe, path)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Geteuid()
}

func groupOrOtherWritable(fi fs.FileInfo) bool { return fi.Mode().Perm()&0o022 != 0 }

func hardLinked(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink > 1
}

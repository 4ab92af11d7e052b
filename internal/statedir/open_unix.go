//go:build unix

package statedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// checkChain applies ssh's rule for the path leading to the state dir: every
// directory on the way, and every symlink followed, belongs to root or to
// this user, and no directory on the way can be written by group or others
// unless its sticky bit is set (/tmp). So another user can neither point
// root's state dir at a directory of root's choosing (a symlink of theirs in
// the path) nor swap the path under it. A missing part ends the walk: what
// is created later is created by this user.
func checkChain(path string) error {
	return walkChain(path, 0)
}

func walkChain(path string, depth int) error {
	if depth > 32 {
		return fmt.Errorf("%w: %s: too many symlinks", ErrUnsafe, path)
	}
	cur := string(filepath.Separator)
	rest := strings.Split(strings.TrimPrefix(filepath.Clean(path), cur), string(filepath.Separator))
	for i, part := range rest {
		if part == "" {
			continue
		}
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		if err != nil {
			return nil // missing or unreadable: Create finds out
		}
		last := i == len(rest)-1
		if last && fi.IsDir() {
			break // the state dir itself: checkDir says what is wrong with it
		}
		if !ownedByRootOrMe(fi) {
			return fmt.Errorf("%w: %s, on the way to the state dir, belongs to another user", ErrUnsafe, next)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(next)
			if err != nil {
				return nil
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(cur, target)
			}
			return walkChain(filepath.Join(append([]string{target}, rest[i+1:]...)...), depth+1)
		}
		if !last && fi.IsDir() && groupOrOtherWritable(fi) && fi.Mode()&fs.ModeSticky == 0 {
			return fmt.Errorf("%w: %s, on the way to the state dir, is writable by group or others", ErrUnsafe, next)
		}
		cur = next
	}
	return nil
}

func ownedByRootOrMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || st.Uid == 0 || int(st.Uid) == os.Geteuid()
}

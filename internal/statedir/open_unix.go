//go:build unix

package statedir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// file is an open file of the state dir. On Unix it is a bare descriptor:
// the host's run opens a dozen of these, and an *os.File would add
// allocation, a finalizer and a try at the poller (five system calls on a
// regular file) to each.
type file struct {
	fd   int
	size int64 // at open
}

// openRegular opens path without following a symlink at its last element
// and without blocking on a FIFO or device, then keeps it only if it is a
// regular file owned by this user.
func openRegular(path string, flag int, perm os.FileMode) (*file, error) {
	return openFile(path, flag, perm, true)
}

// openFile is openRegular, with the owner checked only when mine is set.
func openFile(path string, flag int, perm os.FileMode, mine bool) (*file, error) {
	// O_NOCTTY: a planted terminal device must never become the
	// controlling terminal of a detached uploader.
	var fd int
	err := retryEINTR(func() (err error) {
		fd, err = syscall.Open(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, uint32(perm.Perm()))
		return err
	})
	if err != nil {
		// ELOOP on Linux and macOS, EMLINK on FreeBSD: a symlink.
		if err == syscall.ELOOP || err == syscall.EMLINK || err == syscall.ENXIO || err == syscall.EISDIR {
			return nil, fmt.Errorf("%w: %s is not a regular file: %v", ErrUnsafe, path, err)
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err = syscall.Fstat(fd, &st); err != nil {
		err = &fs.PathError{Op: "stat", Path: path, Err: err}
	} else if st.Mode&syscall.S_IFMT != syscall.S_IFREG || mine && int(st.Uid) != euid() {
		err = fmt.Errorf("%w: %s is not a regular file of this user", ErrUnsafe, path)
	} else if flag&(os.O_WRONLY|os.O_RDWR) != 0 && st.Nlink > 1 {
		// Written in place (appends, locks): a hard link would carry the
		// write to another file.
		err = fmt.Errorf("%w: %s has other hard links", ErrUnsafe, path)
	}
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return &file{fd: fd, size: st.Size}, nil
}

// readAll reads f, at most limit bytes, and closes it.
func (f *file) readAll(path string, limit int64) ([]byte, error) {
	defer f.close()
	// Room for what fstat saw and one byte more, to see the end (or that
	// the file grew) without growing the buffer.
	n := min(max(f.size, 0), limit) + 1
	buf := make([]byte, 0, n)
	for int64(len(buf)) <= limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		var m int
		err := retryEINTR(func() (err error) {
			m, err = syscall.Read(f.fd, buf[len(buf):cap(buf)])
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("statedir: read %s: %w", path, err)
		}
		if m <= 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+m]
	}
	return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, path, limit)
}

// write writes all of b at the file's offset.
func (f *file) write(b []byte) error {
	for len(b) > 0 {
		var m int
		err := retryEINTR(func() (err error) {
			m, err = syscall.Write(f.fd, b)
			return err
		})
		if err != nil {
			return err
		}
		if m <= 0 {
			return io.ErrShortWrite
		}
		b = b[m:]
	}
	return nil
}

// tryLock takes the file's exclusive flock without waiting.
func (f *file) tryLock() error {
	err := retryEINTR(func() error { return unix.Flock(f.fd, unix.LOCK_EX|unix.LOCK_NB) })
	if err == unix.EWOULDBLOCK || err == unix.EAGAIN {
		return ErrLocked
	}
	return err
}

// unlock releases the flock explicitly: a child being forked at this moment
// may hold a copy of the descriptor until its exec, and closing ours alone
// would leave the lock held until then.
func (f *file) unlock() error {
	return retryEINTR(func() error { return unix.Flock(f.fd, unix.LOCK_UN) })
}

func (f *file) close() error { return syscall.Close(f.fd) }

// writeFileAtomic replaces path with data so that a reader, or a crash at any
// moment, sees either the old content or the new, never a mix or a
// truncation. The temporary file ("." + base + ".tmp-" + digits) lives in the
// same directory, is made with O_EXCL (so nothing planted there is followed)
// and is removed on failure. The caller has checked what is at path.
func writeFileAtomic(path string, data []byte, perm os.FileMode, sync bool) error {
	dir, base := filepath.Split(path)
	var tmp string
	var fd int
	for try := 0; ; try++ {
		tmp = dir + "." + base + ".tmp-" + strconv.FormatUint(uint64(rand.Uint32()), 10)
		err := retryEINTR(func() (err error) {
			fd, err = syscall.Open(tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, uint32(perm.Perm()))
			return err
		})
		if err == nil {
			break
		}
		if err != syscall.EEXIST || try == 100 {
			return fmt.Errorf("statedir: write %s: %w", path, &fs.PathError{Op: "open", Path: tmp, Err: err})
		}
	}
	f := &file{fd: fd}
	err := retryEINTR(func() error { return syscall.Fchmod(fd, uint32(perm.Perm())) }) // whatever the umask
	if err == nil {
		err = f.write(data)
	}
	if err == nil && sync {
		err = retryEINTR(func() error { return syscall.Fsync(fd) })
	}
	if cerr := f.close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syscall.Rename(tmp, path)
	}
	if err != nil {
		syscall.Unlink(tmp)
		return fmt.Errorf("statedir: write %s: %w", path, err)
	}
	return nil
}

// retryEINTR calls op again while a signal interrupts it (on network and
// FUSE file systems, the Go runtime's own preemption signal can).
func retryEINTR(op func() error) error {
	for {
		if err := op(); err != syscall.EINTR {
			return err
		}
	}
}

// euid is this process's effective user id, asked for each time: a host
// that starts as root and drops to a service user owns what it writes
// afterwards as that user.
func euid() int { return os.Geteuid() }

func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == euid()
}

func groupOrOtherWritable(fi fs.FileInfo) bool { return fi.Mode().Perm()&0o022 != 0 }

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
	return !ok || st.Uid == 0 || int(st.Uid) == euid()
}

// IsNotExist reports whether err says a file is missing, as errors.Is(err,
// fs.ErrNotExist) does. The *fs.PathError holding a syscall.Errno that this
// package returns for a missing file is answered without walking the chain:
// a process's first errors.Is costs more than the read that failed.
func IsNotExist(err error) bool {
	if pe, ok := err.(*fs.PathError); ok {
		if errno, ok := pe.Err.(syscall.Errno); ok {
			return errno.Is(fs.ErrNotExist)
		}
	}
	return errors.Is(err, fs.ErrNotExist)
}

// Writable reports whether this process may create files in the directory
// (access(2) with W_OK: permission bits, ACLs, a read-only mount). An
// existing lock file opens for writing even in a directory that is not.
func (d *Dir) Writable() error {
	return retryEINTR(func() error { return unix.Access(d.path, unix.W_OK) })
}

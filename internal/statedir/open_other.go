//go:build !unix

package statedir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// file is an open file of the state dir.
type file struct {
	f    *os.File
	size int64 // at open
}

// openRegular opens path only if it is a regular file (not a symlink,
// reparse point, directory or device), checked with Lstat first. Windows has
// no O_NOFOLLOW; the state dir is private to the user, so nobody else can
// swap the entry in between.
func openRegular(path string, flag int, perm os.FileMode) (*file, error) {
	return openFile(path, flag, perm, true)
}

// openFile is openRegular; ownership is not checked on this platform.
func openFile(path string, flag int, perm os.FileMode, _ bool) (*file, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && flag&os.O_CREATE != 0:
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrUnsafe, path)
	}
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, err
	}
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	return &file{f: f, size: size}, nil
}

// readAll reads f, at most limit bytes, and closes it.
func (f *file) readAll(path string, limit int64) ([]byte, error) {
	defer f.close()
	data, err := io.ReadAll(io.LimitReader(f.f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("statedir: read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, path, limit)
	}
	return data, nil
}

// write writes all of b at the file's offset.
func (f *file) write(b []byte) error {
	_, err := f.f.Write(b)
	return err
}

func (f *file) close() error { return f.f.Close() }

// writeFileAtomic replaces path with data so that a reader, or a crash at any
// moment, sees either the old content or the new, never a mix or a
// truncation. The temporary file ("." + base + ".tmp-" + digits) lives in the
// same directory, is made with O_EXCL (so nothing planted there is followed)
// and is removed on failure.
func writeFileAtomic(path string, data []byte, perm os.FileMode, sync bool) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("statedir: write %s: %w", path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// Windows has no Unix permission bits; Chmod only toggles read-only,
	// so a failure there must not stop an atomic write.
	if err := f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("statedir: write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("statedir: write %s: %w", path, err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("statedir: sync %s: %w", path, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("statedir: close %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("statedir: rename %s: %w", path, err)
	}
	ok = true
	return nil
}

// Ownership and permission bits are Unix ideas. On Windows checkChain looks
// at the state dir's owner and ACL instead (acl_windows.go); its files
// inherit that ACL.
func ownedByMe(fs.FileInfo) bool { return true }

func groupOrOtherWritable(fs.FileInfo) bool { return false }

// IsNotExist reports whether err says a file is missing: errors.Is(err,
// fs.ErrNotExist).
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// Writable reports nil: permission bits are a Unix notion, and a write that
// fails is reported by the write itself.
func (d *Dir) Writable() error { return nil }

package statedir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ErrLocked reports that another process holds the lock.
var ErrLocked = errors.New("statedir: lock held by another process")

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
	if err := f.Chmod(perm); err != nil && !isChmodUnsupported(err) {
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

// Lock is a held advisory lock on a file. The zero value is not a lock.
type Lock struct {
	f *os.File
}

// tryLock takes the exclusive lock on path without waiting. It creates the
// lock file (mode 0600) if needed, never through a symlink, and refuses
// anything but a regular file of this user.
func tryLock(path string) (*Lock, error) {
	f, err := openRegular(path, os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return nil, fmt.Errorf("statedir: lock %s: %w", path, err)
	}
	if err := tryLockFile(f); err != nil {
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("statedir: lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// lockWait takes the lock on path, polling until it is free or timeout has
// passed; it then returns ErrLocked.
func lockWait(path string, timeout time.Duration) (*Lock, error) {
	deadline := time.Now().Add(timeout)
	wait := 200 * time.Microsecond
	for {
		l, err := tryLock(path)
		if !errors.Is(err, ErrLocked) {
			return l, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, ErrLocked
		}
		time.Sleep(min(wait, left))
		if wait < 10*time.Millisecond {
			wait *= 2
		}
	}
}

// Unlock releases the lock. It is safe to call on a nil Lock and more than once.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

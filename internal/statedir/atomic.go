package statedir

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// ErrLocked reports that another process holds the lock.
var ErrLocked = errors.New("statedir: lock held by another process")

// Lock is a held advisory lock on a file. The zero value is not a lock.
type Lock struct {
	f *file
}

// tryLock takes the exclusive lock on path without waiting. It creates the
// lock file (mode 0600) if needed, never through a symlink, and refuses
// anything but a regular file of this user.
func tryLock(path string) (*Lock, error) {
	f, err := openRegular(path, os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return nil, fmt.Errorf("statedir: lock %s: %w", path, err)
	}
	if err := f.tryLock(); err != nil {
		f.close()
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
	err := l.f.unlock()
	if cerr := l.f.close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// Package fsx owns the two file primitives Waymark's local state relies on:
// atomic replacement of a file (temp file, fsync, rename) and an advisory
// cross-process lock. It never interprets what the files hold.
package fsx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ErrLocked reports that another process holds the lock.
var ErrLocked = errors.New("fsx: lock held by another process")

// WriteFileAtomic replaces path with data so that a reader, or a crash at any
// moment, sees either the old content or the new, never a mix or a truncation.
// The temporary file lives in the same directory and is removed on failure.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("fsx: write %s: %w", path, err)
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
		return fmt.Errorf("fsx: write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("fsx: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsx: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("fsx: close %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("fsx: rename %s: %w", path, err)
	}
	ok = true
	return nil
}

// Lock is a held advisory lock on a file. The zero value is not a lock.
type Lock struct {
	f *os.File
}

// TryLock takes the exclusive lock on path without waiting. It creates the
// lock file (mode 0600) if needed. It returns ErrLocked when another process,
// or another Lock in this process, holds it.
func TryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("fsx: lock %s: %w", path, err)
	}
	if err := tryLockFile(f); err != nil {
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("fsx: lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// LockWait takes the exclusive lock on path, polling until it is free or
// timeout has passed; it then returns ErrLocked. A bounded wait keeps a stuck
// peer from ever stalling the host program.
func LockWait(path string, timeout time.Duration) (*Lock, error) {
	deadline := time.Now().Add(timeout)
	wait := 200 * time.Microsecond
	for {
		l, err := TryLock(path)
		if !errors.Is(err, ErrLocked) {
			return l, err
		}
		if time.Now().After(deadline) {
			return nil, ErrLocked
		}
		time.Sleep(wait)
		if wait < 20*time.Millisecond {
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

//go:build windows

package statedir

import (
	"errors"

	"golang.org/x/sys/windows"
)

func (f *file) tryLock() error {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return ErrLocked
	}
	return err
}

func (f *file) unlock() error {
	ol := new(windows.Overlapped)
	return windows.UnlockFileEx(windows.Handle(f.f.Fd()), 0, 1, 0, ol)
}

//go:build !unix && !windows

package statedir

import "errors"

// On platforms with neither flock nor LockFileEx the lock is unsupported:
// callers see an error and telemetry treats the state as unavailable.
func (f *file) tryLock() error {
	return errors.New("statedir: file locking unsupported on this platform")
}

func (f *file) unlock() error { return nil }

//go:build !unix && !windows

package statedir

import (
	"errors"
	"os"
)

// On platforms with neither flock nor LockFileEx the lock is unsupported:
// callers see an error and telemetry treats the state as unavailable.
func tryLockFile(*os.File) error {
	return errors.New("statedir: file locking unsupported on this platform")
}

func unlockFile(*os.File) error { return nil }

func isChmodUnsupported(error) bool { return false }

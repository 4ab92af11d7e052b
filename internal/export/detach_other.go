//go:build !unix && !windows

package export

import (
	"errors"
	"runtime"
)

func startDetached(string, []string, []string) (int, error) {
	return 0, errors.New("detaching a process is not supported on " + runtime.GOOS)
}

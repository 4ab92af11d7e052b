//go:build !unix && !windows

package export

import (
	"errors"
	"os/exec"
	"runtime"
)

func detach(*exec.Cmd) error {
	return errors.New("exporter: detaching a process is not supported on " + runtime.GOOS)
}

func detachDir() string { return "" }

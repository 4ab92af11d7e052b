//go:build unix

package export

import (
	"os/exec"
	"syscall"
)

// detach puts the child in a new session: no controlling terminal, so a
// closing terminal's SIGHUP does not reach it.
func detach(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return nil
}

// detachDir keeps the child from pinning the caller's working directory.
func detachDir() string { return "/" }

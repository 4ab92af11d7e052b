//go:build windows

package export

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// detach starts the child without the parent's console and in its own
// process group, so closing the console or Ctrl+C there does not reach it.
func detach(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_NO_WINDOW,
		HideWindow:    true,
	}
	return nil
}

// detachDir keeps the child from holding the caller's working directory open,
// which on Windows would stop the user deleting it.
func detachDir() string { return os.TempDir() }

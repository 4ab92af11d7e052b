//go:build windows

package export

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// startDetached starts the child without the parent's console and in its own
// process group, so closing the console or Ctrl+C there does not reach it,
// with its working directory in the temporary folder: holding the caller's
// open would stop the user deleting it.
func startDetached(exe string, args, env []string) (int, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = env
	// nil Stdin, Stdout and Stderr are the null device.
	cmd.Dir = os.TempDir()
	cmd.SysProcAttr = detachedAttr()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go cmd.Wait()
	return cmd.Process.Pid, nil
}

// detachedAttr is how the child is created: without a console of its own or
// the parent's (DETACHED_PROCESS; CREATE_NO_WINDOW where a console would
// otherwise be made), in a new process group, its window hidden.
func detachedAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_NO_WINDOW,
		HideWindow:    true,
	}
}

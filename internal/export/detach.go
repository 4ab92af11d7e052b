package export

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// StartDetached starts exe with args and env (nil env means this process's
// environment) as a process that outlives this one and its terminal: in its
// own session (a new process group without a console on Windows), with its
// standard streams on the null device and its working directory moved off
// the caller's. It returns once the process has started. The caller must not
// Wait for it: StartDetached reaps it in the background, so no zombie stays
// while this process lives.
func StartDetached(exe string, args, env []string) (*os.Process, error) {
	abs, err := filepath.Abs(exe)
	if err != nil {
		return nil, fmt.Errorf("exporter: detach %s: %w", exe, err)
	}
	cmd := exec.Command(abs, args...)
	cmd.Env = env
	// nil Stdin, Stdout and Stderr are the null device.
	cmd.Dir = detachDir()
	if err := detach(cmd); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("exporter: detach %s: %w", exe, err)
	}
	go cmd.Wait()
	return cmd.Process, nil
}

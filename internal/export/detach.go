package export

import (
	"fmt"
	"path/filepath"
)

// StartDetached starts exe with args and env (nil env means this process's
// environment) as a process that outlives this one and its terminal: in its
// own session (a new process group without a console on Windows), with its
// standard streams on the null device and its working directory moved off
// the caller's. It returns the child's process id once the child has
// started. The caller must not wait for it: StartDetached reaps it in the
// background, so no zombie stays while this process lives.
func StartDetached(exe string, args, env []string) (int, error) {
	abs, err := filepath.Abs(exe)
	if err != nil {
		return 0, fmt.Errorf("export: detach %s: %w", exe, err)
	}
	pid, err := startDetached(abs, args, env)
	if err != nil {
		return 0, fmt.Errorf("export: detach %s: %w", exe, err)
	}
	return pid, nil
}

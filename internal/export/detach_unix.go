//go:build unix

package export

import (
	"os"
	"strings"
	"syscall"
)

// startDetached forks and execs exe directly, in a new session (no
// controlling terminal, so a closing terminal's SIGHUP does not reach it),
// with its working directory at / (it pins none of the caller's) and one
// descriptor of the null device as its standard streams.
//
// It does not go through os/exec: a first os.StartProcess in a process also
// probes pidfd support with a second clone, and opens the null device three
// times through the poller. On the host's first run that doubled the cost of
// starting the uploader.
func startDetached(exe string, args, env []string) (int, error) {
	if env == nil {
		// As os/exec does for a nil Env: PWD names the new working
		// directory.
		env = append(withoutPWD(syscall.Environ()), "PWD=/")
	}
	null, err := syscall.Open(os.DevNull, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(null)
	fd := uintptr(null)
	pid, err := syscall.ForkExec(exe, append([]string{exe}, args...), &syscall.ProcAttr{
		Dir:   "/",
		Env:   env,
		Files: []uintptr{fd, fd, fd},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return 0, err
	}
	go reap(pid)
	return pid, nil
}

func withoutPWD(env []string) []string {
	out := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PWD=") {
			out = append(out, kv)
		}
	}
	return out
}

// reap waits for the detached child, so it leaves no zombie behind while
// this process lives.
func reap(pid int) {
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			return
		}
	}
}

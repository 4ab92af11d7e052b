//go:build linux

package export

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The detached child inherits only what it should, read from /proc while it
// runs.
func TestDetachedChildInherits(t *testing.T) {
	t.Setenv("PWD", "/somewhere/else")
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	sleep, _ = filepath.EvalSymlinks(sleep)
	pid, err := StartDetached(sleep, []string{"2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	proc := "/proc/" + strconv.Itoa(pid)
	for deadline := time.Now().Add(5 * time.Second); ; {
		if exe, _ := os.Readlink(proc + "/exe"); exe == sleep {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("child never ran sleep")
		}
		time.Sleep(time.Millisecond)
	}
	des, err := os.ReadDir(proc + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		n := de.Name()
		if fd, _ := strconv.Atoi(n); n != "0" && n != "1" && n != "2" && !openWithoutCloexec(fd) {
			target, _ := os.Readlink(proc + "/fd/" + n)
			t.Errorf("child inherited fd %s (%s)", n, target)
		}
	}
	env, _ := os.ReadFile(proc + "/environ")
	for _, kv := range strings.Split(string(env), "\x00") {
		if strings.HasPrefix(kv, "PWD=") && kv != "PWD=/" {
			// os/exec (the code replaced) set PWD to Dir when Env was nil.
			t.Errorf("nil env: child has %s, want PWD=/ as os/exec gave it (its working directory is /)", kv)
		}
	}
}

// A missing or non-executable program fails cleanly, without a
// descriptor left open.
func TestDetachFailureLeaksNothing(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "prog")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o600)
	count := func() int { des, _ := os.ReadDir("/proc/self/fd"); return len(des) }
	before := count()
	for i := 0; i < 50; i++ {
		if _, err := StartDetached(filepath.Join(dir, "missing"), nil, nil); err == nil {
			t.Fatal("missing program started")
		}
		if os.Geteuid() != 0 {
			if _, err := StartDetached(notExec, nil, nil); err == nil {
				t.Fatal("non-executable program started")
			}
		}
	}
	if after := count(); after > before {
		t.Errorf("%d fds after, %d before", after, before)
	}
}

// openWithoutCloexec: fd is one this test process itself inherited without
// close-on-exec (from the shell that ran it), which any exec passes on.
func openWithoutCloexec(fd int) bool {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil && flags&unix.FD_CLOEXEC == 0
}

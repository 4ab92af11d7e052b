//go:build unix

package export

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// detachReport is what the detached helper finds out about itself.
type detachReport struct {
	Pid, Sid, Pgid int
	DevNull        [3]bool
	Cwd            string
}

// detachChild runs in the detached process.
func detachChild(out string) int {
	var r detachReport
	r.Pid = os.Getpid()
	r.Sid, _ = unix.Getsid(0)
	r.Pgid = unix.Getpgrp()
	var null unix.Stat_t
	if unix.Stat(os.DevNull, &null) == nil {
		for fd := range 3 {
			var st unix.Stat_t
			r.DevNull[fd] = unix.Fstat(fd, &st) == nil && st.Rdev == null.Rdev && st.Ino == null.Ino
		}
	}
	r.Cwd, _ = os.Getwd()
	b, _ := json.Marshal(r)
	// Written whole, then renamed, so the test never reads half a report.
	if err := os.WriteFile(out+".tmp", b, 0o600); err != nil || os.Rename(out+".tmp", out) != nil {
		return 1
	}
	return 0
}

func TestStartDetached(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	cmd := helperCmd(t, "detach-child", "WAYMARK_HELPER_OUT="+out)
	start := time.Now()
	pid, err := StartDetached(cmd.Path, nil, cmd.Env)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("StartDetached took %v", d)
	}
	var r detachReport
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(out)
		if err == nil {
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the detached child never reported")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mySid, _ := unix.Getsid(0)
	if r.Pid != pid {
		t.Fatalf("report from pid %d, started %d", r.Pid, pid)
	}
	if r.Sid == mySid || r.Sid != r.Pid || r.Pgid != r.Pid {
		t.Fatalf("child sid %d pgid %d (pid %d); ours %d: want a new session led by the child", r.Sid, r.Pgid, r.Pid, mySid)
	}
	if r.DevNull != [3]bool{true, true, true} {
		t.Fatalf("stdin/stdout/stderr on %s: %v", os.DevNull, r.DevNull)
	}
	if r.Cwd != "/" {
		t.Errorf("child cwd %q, want /", r.Cwd)
	}
	// Once it exits it must be reaped: no zombie while we live.
	deadline = time.Now().Add(10 * time.Second)
	for {
		gone := errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
		if runtime.GOOS == "linux" {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			gone = gone && errors.Is(err, os.ErrNotExist)
			if err == nil && time.Now().After(deadline) {
				t.Fatalf("child still in the process table: %s", strings.TrimSpace(string(b)))
			}
		}
		if gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("child still in the process table (zombie)")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStartDetachedMissingExe(t *testing.T) {
	_, err := StartDetached(filepath.Join(t.TempDir(), "no-such-program"), nil, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "export: ") {
		t.Fatalf("err = %v, want an exporter error", err)
	}
}

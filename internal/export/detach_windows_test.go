//go:build windows

package export

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// detachReport is what the detached helper finds out about itself.
type detachReport struct {
	Pid           int
	ConsoleWindow bool // GetConsoleWindow found a window
	ConsoleCP     bool // GetConsoleCP found a console
	Cwd           string
}

// detachChild runs in the detached process.
func detachChild(out string) int {
	var r detachReport
	r.Pid = os.Getpid()
	k32 := windows.NewLazySystemDLL("kernel32.dll")
	if w, _, _ := k32.NewProc("GetConsoleWindow").Call(); w != 0 {
		r.ConsoleWindow = true
	}
	if cp, _, _ := k32.NewProc("GetConsoleCP").Call(); cp != 0 {
		r.ConsoleCP = true
	}
	r.Cwd, _ = os.Getwd()
	b, _ := json.Marshal(r)
	// Written whole, then renamed, so the test never reads half a report.
	if err := os.WriteFile(out+".tmp", b, 0o600); err != nil || os.Rename(out+".tmp", out) != nil {
		return 1
	}
	return 0
}

// The uploader is created without a console and without a window, in a
// process group of its own, so no console window flashes up and closing
// the user's console or Ctrl+C there does not reach it.
func TestDetachedCreationFlags(t *testing.T) {
	a := detachedAttr()
	for _, f := range []struct {
		name string
		flag uint32
	}{
		{"DETACHED_PROCESS", windows.DETACHED_PROCESS},
		{"CREATE_NO_WINDOW", windows.CREATE_NO_WINDOW},
		{"CREATE_NEW_PROCESS_GROUP", windows.CREATE_NEW_PROCESS_GROUP},
	} {
		if a.CreationFlags&f.flag == 0 {
			t.Errorf("the detached child is created without %s (flags %#x)", f.name, a.CreationFlags)
		}
	}
	if !a.HideWindow {
		t.Error("the detached child's window is not hidden")
	}
}

// A detached child runs without a console, in the temporary folder, and
// StartDetached returns at once with its process id.
func TestStartDetached(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	cmd := helperCmd(t, "detach-child", "WAYMARK_HELPER_OUT="+out)
	start := time.Now()
	pid, err := StartDetached(cmd.Path, nil, cmd.Env)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
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
		time.Sleep(10 * time.Millisecond)
	}
	if r.Pid != pid {
		t.Fatalf("report from pid %d, started %d", r.Pid, pid)
	}
	if r.ConsoleWindow || r.ConsoleCP {
		t.Errorf("the detached child has a console (window %v, code page %v)", r.ConsoleWindow, r.ConsoleCP)
	}
	if !strings.EqualFold(filepath.Clean(r.Cwd), filepath.Clean(os.TempDir())) {
		t.Errorf("child cwd %q, want the temporary folder %q", r.Cwd, os.TempDir())
	}
}

func TestStartDetachedMissingExe(t *testing.T) {
	_, err := StartDetached(filepath.Join(t.TempDir(), "no-such-program.exe"), nil, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "export: ") {
		t.Fatalf("err = %v, want an export error", err)
	}
}

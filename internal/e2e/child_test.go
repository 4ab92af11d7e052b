package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// plainMain is a plain program, as a vendor writes it with no framework:
// host code first (it appends a line to a file), then sdk.Start, a
// milestone, and an exit with a code. Its init function, which Go runs
// after sdk's, appends a line to another file.
const plainMain = `package main

import (
	"fmt"
	"log"
	"os"

	"github.com/waymarkhq/waymark/sdk"
)

func appendLine(name, what string) {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(f, "%s %d\n", what, os.Getpid())
	f.Close()
}

func init() { appendLine(os.Getenv("PLAIN_INIT_LOG"), "init") }

func main() {
	appendLine(os.Getenv("PLAIN_LOG"), "main")
	t, err := sdk.Start(sdk.Config{
		Product:    "acme",
		Version:    "1.0.0",
		Endpoint:   "http://127.0.0.1:4318",
		Milestones: []string{"first_run"},
	})
	if err != nil {
		log.Fatal(err)
	}
	t.Milestone("first_run")
	t.Exit(0)
}
`

// No host code runs in the uploader. A plain program
// appends a line to a file, then calls sdk.Start, records a milestone and
// exits; once its detached uploader (the same binary re-run) has delivered
// the milestone and exited, the file has exactly one line, the program's
// own; so has the file its init function appends to.
func TestUploaderRunsNoHostCode(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	src := tempDir(t)
	gomod := "module example.com/plain\n\ngo 1.26.0\n\nrequire github.com/waymarkhq/waymark v0.0.0\n\n" +
		"replace github.com/waymarkhq/waymark => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"main.go": []byte(plainMain), "go.mod": []byte(gomod), "go.sum": sum} {
		if err := os.WriteFile(filepath.Join(src, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(src, "plain")
	build := exec.Command("go", "build", "-mod=mod", "-o", bin, ".")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the plain program: %v\n%s", err, out)
	}

	col := newCollector(t)
	in := newInstall(t, col.URL)
	logFile, initLog := filepath.Join(in.Home, "host.log"), filepath.Join(in.Home, "init.log")
	cmd := in.Cmd(bin, []string{"PLAIN_LOG=" + logFile, "PLAIN_INIT_LOG=" + initLog})
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("plain program: %v\n%s", err, out)
	}
	parent := cmd.Process.Pid
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) > 0 }) {
		t.Fatal("the milestone never arrived: no uploader ran, so the check would prove nothing")
	}
	waitNoProcess(t, bin, 15*time.Second)
	for _, f := range []string{logFile, initLog} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(lines) != 1 || !strings.HasSuffix(lines[0], " "+strconv.Itoa(parent)) {
			t.Errorf("%s holds %q; want exactly one line, from the program's own run (pid %d)", filepath.Base(f), lines, parent)
		}
	}
}

// waitNoProcess waits until no process runs bin (Linux: /proc), or fails.
// Elsewhere it waits two seconds.
func waitNoProcess(t *testing.T, bin string, timeout time.Duration) {
	t.Helper()
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		time.Sleep(2 * time.Second)
		return
	}
	want, _ := filepath.EvalSymlinks(bin)
	deadline := time.Now().Add(timeout)
	for {
		running := 0
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			if _, err := strconv.Atoi(e.Name()); err != nil {
				continue
			}
			if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && strings.TrimSuffix(exe, " (deleted)") == want {
				running++
			}
		}
		if running == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d processes of %s still running after %v", running, bin, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

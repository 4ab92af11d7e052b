package clitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/ptytest"
)

// Build runs `go build -o <temp>/<name> [flags] .` in dir, the folder of
// an example module, and returns the binary's path.
func Build(t testing.TB, dir, name string, flags ...string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	bin := filepath.Join(TempDir(t), name)
	args := append(append([]string{"build", "-o", bin}, flags...), ".")
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return bin
}

// TempDir is t.TempDir for a directory that a detached uploader may still
// be writing in when the test ends: removal is retried until it succeeds.
func TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "waymark-clitest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(20 * time.Second)
		for {
			err := os.RemoveAll(dir)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("remove %s: %v", dir, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}

// Install is one fresh installation of a CLI: its own HOME and nothing
// else of ours.
type Install struct {
	t        testing.TB
	Bin      string
	Product  string
	Home     string
	Endpoint string
}

// NewInstall makes a fresh HOME for bin (whose product name is product),
// sending to endpoint.
func NewInstall(t testing.TB, bin, product, endpoint string) *Install {
	t.Helper()
	return &Install{t: t, Bin: bin, Product: product, Home: TempDir(t), Endpoint: endpoint}
}

// StateDir is where the product keeps its telemetry state for this install.
func (in *Install) StateDir() string {
	return filepath.Join(in.Home, ".config", in.Product, "telemetry")
}

// Env is the whole environment of a run: PATH, HOME, TMPDIR, the endpoint
// and extra; no CI variable (CI=true would turn telemetry off), no OTEL_*.
func (in *Install) Env(extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + in.Home,
		"XDG_CONFIG_HOME=" + filepath.Join(in.Home, ".config"),
		"TMPDIR=" + os.TempDir(),
		gate.EnvPrefix(in.Product) + "_TELEMETRY_ENDPOINT=" + in.Endpoint,
	}
	if runtime.GOOS == "windows" {
		env = append(env, "APPDATA="+filepath.Join(in.Home, ".config"), "SystemRoot="+os.Getenv("SystemRoot"))
	}
	return append(env, extra...)
}

// Cmd prepares a run of the CLI with args, in this install's environment
// plus extra.
func (in *Install) Cmd(extra []string, args ...string) *exec.Cmd {
	cmd := exec.Command(in.Bin, args...)
	cmd.Env = in.Env(extra...)
	cmd.Dir = in.Home
	return cmd
}

// Result is one finished run.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Run runs the CLI with args on pipes and waits for it (not for its
// detached uploader).
func (in *Install) Run(extra []string, args ...string) Result {
	in.t.Helper()
	cmd := in.Cmd(extra, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cmd.Start(); err != nil {
		in.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		in.t.Fatalf("%s %v did not exit within 30s", in.Product, args)
	}
	r := Result{Stdout: so.String(), Stderr: se.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
	} else if err != nil {
		in.t.Fatal(err)
	}
	return r
}

// RunTTY runs the CLI with args on a pseudo-terminal (stdin, stdout and
// stderr), types answer once prompt appears (if prompt is set), and returns
// everything the terminal showed and the exit code. Where this platform has
// no pseudo-terminals it skips the test, except on Linux, where it fails.
func (in *Install) RunTTY(extra []string, prompt, answer string, args ...string) (string, int) {
	in.t.Helper()
	cmd := in.Cmd(extra, args...)
	term, err := ptytest.Start(cmd)
	if errors.Is(err, ptytest.ErrUnsupported) && runtime.GOOS != "linux" {
		in.t.Skip(err)
	}
	if err != nil {
		in.t.Fatal(err)
	}
	if prompt != "" {
		if !term.WaitFor(prompt, 20*time.Second) {
			cmd.Process.Kill()
			term.Wait()
			in.t.Fatalf("no prompt %q on the terminal:\n%s", prompt, term.Output())
		}
		if err := term.Type(answer); err != nil {
			in.t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- term.Wait() }()
	select {
	case err = <-done:
	case <-time.After(40 * time.Second):
		cmd.Process.Kill()
		<-done
		in.t.Fatalf("%v on a terminal did not exit:\n%s", cmd.Args, term.Output())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		in.t.Fatal(err)
	}
	return term.Output(), code
}

// Files lists every file and directory under HOME, as paths relative to it.
func (in *Install) Files() []string {
	var out []string
	filepath.Walk(in.Home, func(p string, fi os.FileInfo, err error) error {
		if err == nil && p != in.Home {
			rel, _ := filepath.Rel(in.Home, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// Status runs `telemetry status --json` with extra args before "telemetry"
// and returns the decoded object.
func (in *Install) Status(env []string, before ...string) map[string]any {
	in.t.Helper()
	r := in.Run(env, append(before, "telemetry", "status", "--json")...)
	if r.Code != 0 {
		in.t.Fatalf("%v telemetry status --json: exit %d\n%s%s", before, r.Code, r.Stdout, r.Stderr)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		in.t.Fatalf("telemetry status --json is not JSON: %v\n%s", err, r.Stdout)
	}
	return st
}

// WaitIdle waits until no process of this install's binary with this
// install's HOME is left (its detached uploaders have finished), or fails
// after timeout. Where /proc cannot tell, it waits two seconds.
func (in *Install) WaitIdle(timeout time.Duration) {
	in.t.Helper()
	if runtime.GOOS != "linux" {
		time.Sleep(2 * time.Second)
		return
	}
	deadline := time.Now().Add(timeout)
	for {
		pids := in.processes()
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("%s processes %v of this install still running after %v", in.Product, pids, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processes lists the pids running this install's binary with its HOME.
func (in *Install) processes() []int {
	entries, _ := os.ReadDir("/proc")
	home := []byte("HOME=" + in.Home + "\x00")
	bin, err := filepath.EvalSymlinks(in.Bin)
	if err != nil {
		bin = in.Bin
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || strings.TrimSuffix(exe, " (deleted)") != bin {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(env, home) {
			out = append(out, pid)
		}
	}
	return out
}

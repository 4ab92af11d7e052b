package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/clitest"
)

var (
	acmeBin   string
	serverBin string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "waymark-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	acmeBin = filepath.Join(dir, "acme"+exe)
	serverBin = filepath.Join(dir, "acme-server"+exe)
	for bin, pkg := range map[string]string{acmeBin: "../../examples/cli", serverBin: "../../examples/server"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", pkg, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// The loopback OTLP endpoint is clitest's, shared with the framework
// examples' tests.
type (
	Request   = clitest.Request
	Event     = clitest.Event
	Collector = clitest.Collector
)

func newCollector(t *testing.T) *Collector { return clitest.NewCollector(t) }

func serveCollector(t *testing.T, ln net.Listener) *Collector { return clitest.Serve(t, ln) }

// Install is one fresh installation: its own HOME and nothing else of ours.
type Install struct {
	t        *testing.T
	Home     string
	Endpoint string
	// Env holds extra variables for every run of this install.
	Env []string
}

func newInstall(t *testing.T, endpoint string) *Install {
	t.Helper()
	return &Install{t: t, Home: tempDir(t), Endpoint: endpoint}
}

// tempDir is t.TempDir for a directory that a detached uploader may still be
// writing in when the test ends: removal is retried until it succeeds.
func tempDir(t *testing.T) string { return clitest.TempDir(t) }

// StateDir is where acme keeps its telemetry state for this install.
func (in *Install) StateDir() string {
	return filepath.Join(in.Home, ".config", "acme", "telemetry")
}

// environ is the scrubbed environment of a run: no CI variables (CI=true
// would turn telemetry off), no OTEL_*, only what the test puts there.
func (in *Install) environ(extra []string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + in.Home,
		"XDG_CONFIG_HOME=" + filepath.Join(in.Home, ".config"),
		"TMPDIR=" + os.TempDir(),
		"ACME_TELEMETRY_ENDPOINT=" + in.Endpoint,
	}
	if runtime.GOOS == "windows" {
		env = append(env, "APPDATA="+filepath.Join(in.Home, ".config"), "SystemRoot="+os.Getenv("SystemRoot"))
	}
	env = append(env, in.Env...)
	return append(env, extra...)
}

// Result is one finished run.
type Result struct {
	Code           int
	Stdout, Stderr string
	Elapsed        time.Duration
}

// Cmd prepares a run of bin with args in this install's environment.
func (in *Install) Cmd(bin string, extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = in.environ(extraEnv)
	cmd.Dir = in.Home
	return cmd
}

// Run runs acme with args and waits for it (not for its detached uploader).
func (in *Install) Run(extraEnv []string, args ...string) Result {
	in.t.Helper()
	cmd := in.Cmd(acmeBin, extraEnv, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
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
		in.t.Fatalf("acme %v did not exit within 30s", args)
	}
	r := Result{Stdout: so.String(), Stderr: se.String(), Elapsed: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		in.t.Fatal(err)
	}
	return r
}

// MustRun is Run that fails the test on a non-zero exit.
func (in *Install) MustRun(extraEnv []string, args ...string) Result {
	in.t.Helper()
	r := in.Run(extraEnv, args...)
	if r.Code != 0 {
		in.t.Fatalf("acme %v: exit %d\nstdout: %s\nstderr: %s", args, r.Code, r.Stdout, r.Stderr)
	}
	return r
}

// files lists every file under dir (relative paths).
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func hasAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// startServer starts acme-server for install in with args; it is killed when
// the test ends if it is still running. The buffer collects its stderr.
func startServer(t *testing.T, in *Install, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := in.Cmd(serverBin, nil, args...)
	se := new(bytes.Buffer)
	cmd.Stderr = se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, se
}

// stopServer sends acme-server SIGTERM and fails the test unless it exits 0
// within limit; stderr is what it printed, shown on failure.
func stopServer(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer, limit time.Duration) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("acme-server exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(limit):
		t.Fatalf("acme-server did not exit within %v of SIGTERM", limit)
	}
}

//go:build wine && linux

package wintest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The Windows suite's shared state, set up once by TestMain.
var (
	root       string // the suite's temporary folder
	prefix     string // WINEPREFIX of the example CLIs' tests, inside root
	unitPrefix string // WINEPREFIX of the core packages' tests, inside root
	wine       string // the wine64 loader
	wineserver string
	repo       string // the module's root
	acmeExe    string // examples/cli built for windows/amd64
	acmectlExe string // examples/cobra built for windows/amd64
)

// installHint says what makes a missing tool available.
const installHint = "run `bash .ci/wine-packages.sh` (apt-get install wine64 gcc-mingw-w64-x86-64), as `make test-windows` does"

func TestMain(m *testing.M) {
	// Every process Wine starts (wineserver, services.exe, the detached
	// uploaders) is reparented here when its parent exits, so the CPU it
	// used is counted and nothing outlives the suite unnoticed.
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	start := time.Now()
	code := run(m)
	fmt.Printf("windows suite: %.1f s wall, %s\n", time.Since(start).Seconds(), cpuUsed())
	os.Exit(code)
}

func run(m *testing.M) int {
	var err error
	if root, err = os.MkdirTemp("", "waymark-wine-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(root)
	if err := setUp(); err != nil {
		fmt.Fprintln(os.Stderr, "windows suite:", err)
		stopWine()
		return 1
	}
	// The core packages' tests run in their own prefix meanwhile: Wine
	// spends most of its time waiting, and the CLI tests wait for their
	// prefix to have no process left.
	go runUnitTests(unitPrefix)
	code := m.Run()
	<-unitsDone
	stopWine()
	return code
}

// setUp finds Wine and mingw-w64, boots a fresh prefix with the ProcessPrng
// shim, and builds the example CLIs for windows/amd64.
func setUp() error {
	var err error
	if wine, err = findTool("wine64", "/usr/lib/wine/wine64"); err != nil {
		return err
	}
	if wineserver, err = findTool("wineserver", "/usr/lib/wine/wineserver"); err != nil {
		return err
	}
	gcc, err := findTool("x86_64-w64-mingw32-gcc", "")
	if err != nil {
		return err
	}
	if repo, err = filepath.Abs("../.."); err != nil {
		return err
	}
	prefix = filepath.Join(root, "prefix")
	unitPrefix = filepath.Join(root, "prefix-units")

	// Boot the prefixes while Go builds: both take a while.
	booted := make(chan error, 2)
	for _, pfx := range []string{prefix, unitPrefix} {
		go func() {
			cmd := wineCmd(context.Background(), nil, "wineboot", "--init")
			cmd.Env = wineEnvIn(pfx, nil)
			out, err := output(cmd)
			if err == nil {
				err = waitIdle(pfx, 2*time.Minute)
			}
			if err != nil {
				err = fmt.Errorf("wineboot: %v\n%s", err, out)
			}
			booted <- err
		}()
	}
	dll := filepath.Join(root, "bcryptprimitives.dll")
	if out, err := exec.Command(gcc, "-shared", "-O2", "-o", dll, "testdata/processprng.c").CombinedOutput(); err != nil {
		return fmt.Errorf("build the ProcessPrng shim: %v\n%s", err, out)
	}
	acmeExe = filepath.Join(root, "acme.exe")
	acmectlExe = filepath.Join(root, "acmectl.exe")
	for exe, dir := range map[string]string{acmeExe: "examples/cli", acmectlExe: "examples/cobra"} {
		cmd := exec.Command("go", "build", "-o", exe, ".")
		cmd.Dir = filepath.Join(repo, dir)
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s for windows: %v\n%s", dir, err, out)
		}
	}
	buildErr = buildTestBinaries()
	for range 2 {
		if err := <-booted; err != nil {
			return err
		}
	}
	b, err := os.ReadFile(dll)
	if err != nil {
		return err
	}
	for _, pfx := range []string{prefix, unitPrefix} {
		sys32 := filepath.Join(pfx, "drive_c", "windows", "system32")
		if err := os.WriteFile(filepath.Join(sys32, "bcryptprimitives.dll"), b, 0o644); err != nil {
			return fmt.Errorf("install the shim: %v", err)
		}
	}
	// A Go program must start: the shim is what makes it.
	out, err := output(wineCmd(context.Background(), nil, acmeExe, "--version"))
	if err != nil || !strings.Contains(string(out), "acme 1.4.2") {
		return fmt.Errorf("acme.exe --version under Wine: %v\n%s", err, out)
	}
	return nil
}

// findTool looks name up on PATH, then at fallback; missing, it is an error
// that says how to install it: the suite fails, never skips.
func findTool(name, fallback string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if fallback != "" {
		if fi, err := os.Stat(fallback); err == nil && fi.Mode()&0o111 != 0 {
			return fallback, nil
		}
	}
	return "", fmt.Errorf("%s not found: %s", name, installHint)
}

// wineEnv is the environment of every Wine process: the prefix, no debug
// chatter, no display (Wine runs headless), no Mono or Gecko install
// prompts, and extra. Nothing else of this process's environment: no CI
// variable (CI=true turns telemetry off), no OTEL_*.
func wineEnv(extra []string) []string { return wineEnvIn(prefix, extra) }

// wineEnvIn is wineEnv for the prefix pfx.
func wineEnvIn(pfx string, extra []string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + root,
		"USER=" + userName(),
		"WINEPREFIX=" + pfx,
		"WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=",
		"TMPDIR=" + root,
	}
	return append(env, extra...)
}

func userName() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}

// wineCmd prepares a run of a Windows program (a path on this machine or a
// program of the prefix such as wineboot) under Wine.
func wineCmd(ctx context.Context, extra []string, exe string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, wine, append([]string{exe}, args...)...)
	cmd.Env = wineEnv(extra)
	cmd.Dir = root
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// waitWineIdle waits until every process of the prefix has exited and
// wineserver with them; an error says something was still running after d.
func waitWineIdle(d time.Duration) error { return waitIdle(prefix, d) }

// waitIdle is waitWineIdle for the prefix pfx.
func waitIdle(pfx string, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, wineserver, "--wait")
	cmd.Env = wineEnvIn(pfx, nil)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("processes of the Wine prefix still running after %v", d)
		}
		return fmt.Errorf("wineserver --wait: %v", err)
	}
	return nil
}

// stopWine ends the prefix's processes, then reaps every child this
// process inherited, so their CPU time is counted.
func stopWine() {
	if wineserver != "" {
		for _, pfx := range []string{prefix, unitPrefix} {
			cmd := exec.Command(wineserver, "--kill")
			cmd.Env = wineEnvIn(pfx, nil)
			cmd.Run()
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.ECHILD) {
			return
		}
		if pid <= 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// cpuUsed is the CPU time of this process and every child it reaped: the
// builds, Wine and the Windows programs.
func cpuUsed() string {
	var self, kids unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &self)
	unix.Getrusage(unix.RUSAGE_CHILDREN, &kids)
	sec := func(tv unix.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }
	user := sec(self.Utime) + sec(kids.Utime)
	sys := sec(self.Stime) + sec(kids.Stime)
	return fmt.Sprintf("%.1f s CPU (user %.1f, system %.1f)", user+sys, user, sys)
}

// output runs cmd with its standard output and error in one file and
// returns what it wrote. Not a pipe: wineserver, started by whichever Wine
// process comes first, inherits the streams and would hold a pipe open.
func output(cmd *exec.Cmd) ([]byte, error) {
	f, err := os.CreateTemp(root, "output-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	b, _ := os.ReadFile(f.Name())
	return b, err
}

func tempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stream-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readBack(f *os.File) string {
	b, _ := os.ReadFile(f.Name())
	return string(b)
}

// result is one finished run of a Windows program.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// runExe runs exe with args under Wine in the environment extra and waits
// for it (not for what it leaves running), at most timeout.
func runExe(t *testing.T, timeout time.Duration, extra []string, exe string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := wineCmd(ctx, extra, exe, args...)
	so, se := tempFile(t), tempFile(t)
	cmd.Stdout, cmd.Stderr = so, se
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: readBack(so), stderr: readBack(se), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not return within %v\n%s%s", filepath.Base(exe), args, timeout, r.stdout, r.stderr)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("%s %v: %v", filepath.Base(exe), args, err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

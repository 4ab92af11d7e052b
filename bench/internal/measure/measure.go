// Package measure holds what Waymark's benchmark drivers share: building a
// program, running one with a scrubbed environment and timing it, and the
// order statistics the reports quote. It never reads the caller's
// environment into a measured process: every run gets the variables it is
// given and nothing else.
package measure

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ModuleRoot returns the directory of the go.mod that the go command sees
// from the current directory.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("measure: go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("measure: not inside a Go module; run from the waymark checkout")
	}
	return filepath.Dir(mod), nil
}

// Build runs `go build` for pkg (a path relative to root, such as
// "./examples/cli") into out, with extra build flags such as -trimpath.
func Build(root, pkg, out string, flags ...string) error {
	args := append([]string{"build", "-o", out}, flags...)
	args = append(args, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("measure: go %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return nil
}

// BuildStripped builds pkg the way a vendor ships a release binary:
// -trimpath and -ldflags "-s -w", plus any extra linker flags.
func BuildStripped(root, pkg, out string, extraLdflags ...string) error {
	ld := strings.Join(append([]string{"-s", "-w"}, extraLdflags...), " ")
	return Build(root, pkg, out, "-trimpath", "-ldflags="+ld)
}

// Deps lists the packages pkg links, as `go list -deps` prints them.
func Deps(root, pkg string) (map[string]bool, error) {
	cmd := exec.Command("go", "list", "-deps", pkg)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("measure: go list -deps %s: %w", pkg, err)
	}
	deps := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		deps[l] = true
	}
	return deps, nil
}

// Env builds a scrubbed environment: a fixed PATH, the given HOME, and the
// extra NAME=value pairs. Nothing of the caller's environment (CI
// variables, DO_NOT_TRACK, OTEL_*) leaks into it.
func Env(home string, extra ...string) []string {
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "LANG=C"}
	return append(env, extra...)
}

// Sample is one timed run of a process.
type Sample struct {
	// Wall is the time from just before the start to just after the wait.
	Wall time.Duration
	// CPU is the user plus system time of the process itself (not of any
	// process it left running), which the other load on a shared machine
	// disturbs less than Wall.
	CPU time.Duration
	// MinFlt counts the process's minor page faults (0 where not measured):
	// a larger binary touches more pages before main.
	MinFlt int64
}

// Run starts exe with args and env and waits for it. stdout and stderr go
// to the null device unless stderr is given.
func Run(exe string, args, env []string, stderr *bytes.Buffer) (Sample, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = env
	if stderr != nil {
		cmd.Stderr = stderr
	}
	start := time.Now()
	err := cmd.Run()
	s := Sample{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		s.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		s.MinFlt = minorFaults(cmd.ProcessState)
	}
	if err != nil {
		return s, fmt.Errorf("measure: %s %s: %w", filepath.Base(exe), strings.Join(args, " "), err)
	}
	return s, nil
}

// Walls returns the wall time of each sample.
func Walls(s []Sample) []time.Duration {
	return pick(s, func(x Sample) time.Duration { return x.Wall })
}

// CPUs returns the CPU time of each sample.
func CPUs(s []Sample) []time.Duration { return pick(s, func(x Sample) time.Duration { return x.CPU }) }

// MinFlts returns the minor page faults of each sample.
func MinFlts(s []Sample) []float64 {
	out := make([]float64, len(s))
	for i, x := range s {
		out[i] = float64(x.MinFlt)
	}
	return out
}

func pick(s []Sample, f func(Sample) time.Duration) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, x := range s {
		out[i] = f(x)
	}
	return out
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none. xs is not changed.
func Median(xs []time.Duration) time.Duration {
	return Quantile(xs, 0.5)
}

// Quantile returns the q-quantile of xs by linear interpolation between
// closest ranks, or 0 for none. xs is not changed.
func Quantile(xs []time.Duration, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(pos)
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	frac := pos - float64(lo)
	return s[lo] + time.Duration(frac*float64(s[lo+1]-s[lo]))
}

// MedianFloat is Median for plain numbers.
func MedianFloat(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Diffs returns b[i]-a[i] for paired samples.
func Diffs(a, b []time.Duration) []time.Duration {
	n := min(len(a), len(b))
	d := make([]time.Duration, n)
	for i := range n {
		d[i] = b[i] - a[i]
	}
	return d
}

// Ms formats d in milliseconds with three decimals, signed.
func Ms(d time.Duration) string {
	return fmt.Sprintf("%+.3f ms", float64(d)/float64(time.Millisecond))
}

// MsAbs formats d in milliseconds with three decimals.
func MsAbs(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}

// Verdict returns "PASS" or "FAIL".
func Verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// Workdir makes a temporary folder for one benchmark run named after it. With
// keep it is left for people to look at (and its path printed); otherwise
// cleanup removes it.
func Workdir(name string, keep bool) (dir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "waymark-"+name+"-")
	if err != nil {
		return "", nil, err
	}
	if keep {
		fmt.Println("files kept in", dir)
		return dir, func() {}, nil
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// Processes lists the live processes running exe (by /proc/<pid>/exe; none
// where there is no /proc).
func Processes(exe string) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if target, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && target == exe {
			pids = append(pids, pid)
		}
	}
	return pids
}

// WaitNoProcess waits, at most max, until no process runs exe (Processes):
// the detached uploaders of earlier runs.
func WaitNoProcess(exe string, max time.Duration) {
	deadline := time.Now().Add(max)
	for len(Processes(exe)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// ReleasedPort returns a loopback URL on a port just released, so a
// connection to it is refused.
func ReleasedPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", err
	}
	return "http://" + addr, nil
}

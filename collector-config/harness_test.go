package collectorconfig_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests start real processes: the collector given by $WAYMARK_COLLECTOR (built by `make
// collector`), the report tool and the examples (built here with `go build`), the backends
// in bin/ (install-backend.sh) and nginx. Everything listens on 127.0.0.1 and lives in
// temporary directories.

var (
	toolsDir  string // where binaries built by the tests go
	buildMu   sync.Mutex
	buildDone = map[string]string{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "waymark-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	toolsDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the module root: the tests run in collector-config/.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// collectorBinary returns $WAYMARK_COLLECTOR, or bin/otelcol-waymark when that is unset (as
// `make test` builds it). A missing collector fails the test: the tests here prove things
// about the real binary and must not pass without it. Only under -short are they skipped.
func collectorBinary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("WAYMARK_COLLECTOR")
	if bin == "" {
		bin = filepath.Join("bin", "otelcol-waymark")
	}
	if !filepath.IsAbs(bin) {
		// Relative to the module root, where `make` and people run from.
		bin = filepath.Join(repoRoot(t), bin)
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatalf("the collector %s: %v (run `make collector`, or set WAYMARK_COLLECTOR)", bin, err)
	}
	if st.IsDir() || st.Mode().Perm()&0o111 == 0 {
		t.Fatalf("WAYMARK_COLLECTOR=%s is not an executable file", bin)
	}
	return bin
}

// goBuild builds the package at pkg (relative to the module root) once per test run and
// returns the binary's path.
func goBuild(t testing.TB, pkg, name string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := buildDone[pkg]; ok {
		return p
	}
	out := filepath.Join(toolsDir, name)
	cmd := exec.Command("go", "build", "-o", out, "./"+pkg)
	cmd.Dir = repoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", pkg, err, b)
	}
	buildDone[pkg] = out
	return out
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// process is a child started by a test and stopped when the test ends.
type process struct {
	cmd    *exec.Cmd
	output *syncBuffer
	done   chan struct{}
	err    error
}

func startProcess(t testing.TB, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{cmd: cmd, output: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.output, p.output
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t, 10*time.Second) })
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to grace before killing; it returns the exit error.
func (p *process) stop(t testing.TB, grace time.Duration) error {
	if p.exited() {
		return p.err
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop within %v of SIGTERM; killed", filepath.Base(p.cmd.Path), grace)
		return p.err
	}
}

// collector is a running bin/otelcol-waymark with its own data directory.
type collector struct {
	*process
	Endpoint string // http://127.0.0.1:port
	DataDir  string
	// MetricsURL serves the collector's own metrics (WAYMARK_TELEMETRY_LEVEL=basic).
	MetricsURL string
}

// startCollector runs the collector with ingest.yaml plus any extra configuration files
// (merged with further --config flags) and env (NAME=value), and waits until it answers.
func startCollector(t testing.TB, extraConfigs []string, env ...string) *collector {
	t.Helper()
	return startCollectorIn(t, t.TempDir(), extraConfigs, env...)
}

// startCollectorIn is startCollector over the data directory data, which may hold what an
// earlier collector left there.
func startCollectorIn(t testing.TB, data string, extraConfigs []string, env ...string) *collector {
	t.Helper()
	bin := collectorBinary(t)
	port, metricsPort := freePort(t), freePort(t)
	args := []string{"--config", filepath.Join(repoRoot(t), "collector-config", "ingest.yaml")}
	for _, c := range extraConfigs {
		args = append(args, "--config", filepath.Join(repoRoot(t), "collector-config", c))
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		fmt.Sprintf("WAYMARK_OTLP_HTTP_ENDPOINT=127.0.0.1:%d", port),
		"WAYMARK_DATA_DIR=" + data,
		"WAYMARK_TELEMETRY_LEVEL=basic",
		fmt.Sprintf("WAYMARK_TELEMETRY_PORT=%d", metricsPort),
	}, env...)
	c := &collector{process: startProcess(t, cmd), Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), DataDir: data,
		MetricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if c.exited() {
			t.Fatalf("collector exited during start-up (%v):\n%s", c.err, c.output)
		}
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			conn.Close()
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector did not listen on port %d within 60 s:\n%s", port, c.output)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// storedFiles returns the contents of every file under the collector's data directory.
func (c *collector) storedFiles(t testing.TB) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(c.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[path] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// stored is everything the collector wrote, concatenated.
func (c *collector) stored(t testing.TB) string {
	var b strings.Builder
	for _, s := range c.storedFiles(t) {
		b.WriteString(s)
	}
	return b.String()
}

// waitFor polls cond until it holds or timeout passes; it reports whether it held.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// reportJSON is one product's section of `waymark report --json` (the keys these tests read).
type reportJSON struct {
	Installs30d int `json:"installs_30d"`
	Installs1d  int `json:"installs_1d"`
	Funnel      []struct {
		Milestone  string  `json:"milestone"`
		Installs   int     `json:"installs"`
		Conversion float64 `json:"conversion"`
	} `json:"funnel"`
	Versions    map[string]int  `json:"versions"`
	OS          map[string]int  `json:"os"`
	Arch        map[string]int  `json:"arch"`
	ServersLive json.RawMessage `json:"servers_live"`
}

// runReport runs the real `waymark report` with args and decodes its --json output.
func runReport(t testing.TB, args ...string) (reportJSON, string) {
	t.Helper()
	bin := goBuild(t, "cmd/waymark", "waymark")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, append([]string{"report", "--json"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("waymark report %q: %v\n%s", args, err, stderr.String())
	}
	var all struct {
		Products map[string]json.RawMessage `json:"products"`
	}
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&all); err != nil {
		t.Fatalf("waymark report --json: %v\n%s", err, stdout.String())
	}
	var r reportJSON
	section, ok := all.Products["acme"]
	if !ok && len(all.Products) > 0 {
		t.Fatalf("waymark report --json: no section for acme: %s", stdout.String())
	}
	if ok {
		if err := json.Unmarshal(section, &r); err != nil {
			t.Fatalf("waymark report --json: acme: %v\n%s", err, section)
		}
	}
	return r, stderr.String()
}

// funnel renders the report's funnel as "name=installs,…" for comparisons.
func (r reportJSON) funnel() string {
	var parts []string
	for _, f := range r.Funnel {
		parts = append(parts, fmt.Sprintf("%s=%d", f.Milestone, f.Installs))
	}
	return strings.Join(parts, ",")
}

// httpGet fetches url and returns the body.
func httpGet(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return b.Bytes(), errors.New(resp.Status)
	}
	return b.Bytes(), nil
}

// ownMetric returns the sum of the collector's own metric name over all its label sets (0
// when it has none yet), from the Prometheus text it serves.
func (c *collector) ownMetric(t testing.TB, name string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := httpGet(ctx, c.MetricsURL)
	if err != nil {
		t.Fatalf("GET %s: %v", c.MetricsURL, err)
	}
	var sum float64
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", c.MetricsURL, line, err)
		}
		sum += v
	}
	return sum
}

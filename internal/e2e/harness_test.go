package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
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

// Request is one OTLP/HTTP request as the endpoint received it.
type Request struct {
	Path    string
	Header  http.Header
	Body    []byte // gunzipped
	Logs    *collogspb.ExportLogsServiceRequest
	Metrics *colmetricspb.ExportMetricsServiceRequest
}

// Event is one log record flattened with its resource.
type Event struct {
	Name     string
	Attrs    map[string]string
	Resource map[string]string
}

// Collector is a loopback OTLP/HTTP endpoint that records what it receives.
type Collector struct {
	URL  string
	srv  *http.Server
	ln   net.Listener
	mu   sync.Mutex
	reqs []Request
	// Status, if set, is the HTTP status to answer with.
	Status int
	// Delay, if set, holds answers back this long: every answer, or only
	// those to DelayPath when that is set.
	Delay     time.Duration
	DelayPath string
}

func newCollector(t *testing.T) *Collector {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveCollector(t, ln)
}

func serveCollector(t *testing.T, ln net.Listener) *Collector {
	c := &Collector{URL: "http://" + ln.Addr().String(), ln: ln}
	c.srv = &http.Server{Handler: http.HandlerFunc(c.handle)}
	go c.srv.Serve(ln)
	t.Cleanup(func() { c.srv.Close() })
	return c
}

func (c *Collector) handle(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	body := raw
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		body, _ = io.ReadAll(zr)
	}
	req := Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	switch r.URL.Path {
	case "/v1/logs":
		req.Logs = new(collogspb.ExportLogsServiceRequest)
		if err := proto.Unmarshal(body, req.Logs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	case "/v1/metrics":
		req.Metrics = new(colmetricspb.ExportMetricsServiceRequest)
		if err := proto.Unmarshal(body, req.Metrics); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	c.mu.Lock()
	c.reqs = append(c.reqs, req)
	status, delay := c.Status, c.Delay
	if c.DelayPath != "" && c.DelayPath != r.URL.Path {
		delay = 0
	}
	c.mu.Unlock()
	time.Sleep(delay)
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// Requests returns a copy of what arrived so far.
func (c *Collector) Requests() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Request(nil), c.reqs...)
}

// Events flattens every log record received so far.
func (c *Collector) Events() []Event {
	var out []Event
	for _, r := range c.Requests() {
		if r.Logs == nil {
			continue
		}
		for _, rl := range r.Logs.ResourceLogs {
			res := kvMap(rl.GetResource().GetAttributes())
			for _, sl := range rl.ScopeLogs {
				for _, lr := range sl.LogRecords {
					out = append(out, Event{Name: lr.EventName, Attrs: kvMap(lr.Attributes), Resource: res})
				}
			}
		}
	}
	return out
}

// Named returns the received events with the given name.
func (c *Collector) Named(name string) []Event {
	var out []Event
	for _, e := range c.Events() {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// WaitFor polls until cond holds or timeout passes, and reports whether it held.
func (c *Collector) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

func kvMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch x := v.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.Key] = x.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.Key] = fmt.Sprint(x.IntValue)
		case *commonpb.AnyValue_BoolValue:
			m[kv.Key] = fmt.Sprint(x.BoolValue)
		case *commonpb.AnyValue_DoubleValue:
			m[kv.Key] = fmt.Sprint(x.DoubleValue)
		default:
			m[kv.Key] = v.String()
		}
	}
	return m
}

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
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "waymark-install-")
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

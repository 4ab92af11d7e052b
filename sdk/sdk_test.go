package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutines to write.
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

// testHost is a process with exactly env as its environment, stderr captured,
// no terminal, and no executable to re-run (so no uploader is detached).
func testHost(t *testing.T, env map[string]string) (host, *syncBuffer) {
	t.Helper()
	errOut := new(syncBuffer)
	cfgDir := t.TempDir()
	return host{
		lookup: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
		environ:        func() []string { return nil },
		now:            time.Now,
		stderr:         errOut,
		stderrTerminal: func() bool { return false },
		userConfigDir:  func() (string, error) { return cfgDir, nil },
		executable:     func() (string, error) { return "", errors.New("no executable in tests") },
		hostname:       func() (string, error) { return "test-host", nil },
		exit:           func(int) { t.Fatal("exit called") },
	}, errOut
}

func goodConfig(dir string) Config {
	return Config{
		Product:    "acme",
		Version:    "1.4.2",
		Endpoint:   "http://127.0.0.1:9",
		Milestones: []string{"first_run", "first_deploy"},
		StateDir:   dir,
	}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && p != dir {
			out = append(out, filepath.ToSlash(strings.TrimPrefix(p, dir))) // "/device_id" on every OS
		}
		return nil
	})
	return out
}

func TestStartRejectsBadConfigNamingTheField(t *testing.T) {
	cases := []struct {
		field string
		mut   func(*Config)
	}{
		{"Product", func(c *Config) { c.Product = "" }},
		{"Product", func(c *Config) { c.Product = "Acme" }},
		{"Product", func(c *Config) { c.Product = strings.Repeat("a", 33) }},
		{"Version", func(c *Config) { c.Version = "" }},
		{"Version", func(c *Config) { c.Version = "1.0 beta" }},
		{"Endpoint", func(c *Config) { c.Endpoint = "" }},
		{"Endpoint", func(c *Config) { c.Endpoint = "ftp://x" }},
		{"Endpoint", func(c *Config) { c.Endpoint = "http://telemetry.acme.dev" }},
		{"Endpoint", func(c *Config) { c.Endpoint = "https://user:pw@acme.dev" }},
		// Accepted before, then refused by the sender: nothing was ever sent.
		{"Endpoint", func(c *Config) { c.Endpoint = "https://telemetry.acme.dev/?token=x" }},
		{"Milestones", func(c *Config) { c.Milestones = []string{"First Run"} }},
		{"Milestones", func(c *Config) { c.Milestones = []string{"a", "a"} }},
		{"Heartbeat", func(c *Config) { c.Heartbeat = time.Millisecond }},
		{"FlushTimeout", func(c *Config) { c.FlushTimeout = -1 }},
		{"NoticeURL", func(c *Config) { c.NoticeURL = "acme.dev/telemetry" }},
		{"UpdateURL", func(c *Config) { c.UpdateURL = "http://updates.acme.dev/x.json" }},
		{"OptOutEnv", func(c *Config) { c.OptOutEnv = []string{"A=B"} }},
		{"SampleRate", func(c *Config) { c.SampleRate = 1.5 }},
		{"SampleRate", func(c *Config) { c.SampleRate = -0.25 }},
		{"SampleRate", func(c *Config) { c.SampleRate = math.NaN() }},
	}
	for _, tc := range cases {
		cfg := goodConfig(t.TempDir())
		tc.mut(&cfg)
		h, errOut := testHost(t, map[string]string{})
		c, err := start(cfg, h)
		if err == nil || !strings.Contains(err.Error(), "Config."+tc.field) {
			t.Errorf("%s: err = %v, want one naming Config.%s", tc.field, err, tc.field)
			continue
		}
		if c == nil {
			t.Fatalf("%s: nil client", tc.field)
		}
		// The client works and does nothing.
		c.Milestone("first_run")
		if err := c.Shutdown(context.Background()); err != nil {
			t.Errorf("%s: Shutdown: %v", tc.field, err)
		}
		if files := listFiles(t, cfg.StateDir); len(files) != 0 {
			t.Errorf("%s: files written: %v", tc.field, files)
		}
		if errOut.String() != "" {
			t.Errorf("%s: printed %q", tc.field, errOut.String())
		}
	}
	if _, err := start(goodConfig(t.TempDir()), func() host { h, _ := testHost(t, map[string]string{"DO_NOT_TRACK": "1"}); return h }()); err != nil {
		t.Fatalf("good config rejected: %v", err)
	}
}

func TestOffCreatesNothingAndStartsNoGoroutine(t *testing.T) {
	for _, env := range []map[string]string{
		{"DO_NOT_TRACK": "1"},
		{"ACME_TELEMETRY": "off"},
		{"ACME_TELEMETRY": "maybe"},
		{"CI": "true"},
		{"CHECKPOINT_DISABLE": "1"},
	} {
		dir := filepath.Join(t.TempDir(), "state")
		cfg := goodConfig(dir)
		cfg.OptOutEnv = []string{"CHECKPOINT_DISABLE"}
		cfg.Server = true
		h, errOut := testHost(t, env)
		before := runtime.NumGoroutine()
		c, err := start(cfg, h)
		if err != nil {
			t.Fatal(err)
		}
		c.Milestone("first_run")
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%v: %d goroutines started while off", env, n-before)
		}
		if c.decision.Mode.String() != "off" {
			t.Errorf("%v: mode %s, want off", env, c.decision.Mode)
		}
		c.Shutdown(context.Background())
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: state dir created while off (%v)", env, err)
		}
		if errOut.String() != "" {
			t.Errorf("%v: printed %q", env, errOut.String())
		}
	}
}

func TestOnRecordsMilestoneOnceAndSpools(t *testing.T) {
	dir := t.TempDir()
	h, errOut := testHost(t, map[string]string{})
	c, err := start(goodConfig(dir), h)
	if err != nil {
		t.Fatal(err)
	}
	if c.decision.Mode.String() != "on" {
		t.Fatalf("mode %s (%s), want on", c.decision.Mode, c.decision.Reason)
	}
	for i := 0; i < 3; i++ {
		c.Milestone("first_run")
	}
	c.Milestone("not_declared")
	c.Shutdown(context.Background())
	var st Status
	var out bytes.Buffer
	if code := command(goodConfig(dir), h, []string{"status", "--json"}, &out, &out); code != 0 {
		t.Fatalf("status exit %d: %s", code, out.String())
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out.String())
	}
	if len(st.Milestones) != 1 || st.Milestones[0] != "first_run" {
		t.Errorf("milestones %v, want [first_run]", st.Milestones)
	}
	// The milestone and the usage ping are pending, the run's metrics
	// beside them.
	if st.Pending != 2 || st.PendingMetrics != 1 {
		t.Errorf("pending %d events and %d metric batches, want 2 (milestone, usage) and 1", st.Pending, st.PendingMetrics)
	}
	if errOut.String() != "" {
		t.Errorf("printed %q", errOut.String())
	}
	// A new process on the same install records nothing new.
	c2, _ := start(goodConfig(dir), h)
	c2.Milestone("first_run")
	c2.Shutdown(context.Background())
	out.Reset()
	command(goodConfig(dir), h, []string{"status", "--json"}, &out, &out)
	json.Unmarshal(out.Bytes(), &st)
	if st.Pending != 2 {
		t.Errorf("second run changed pending to %d; want 2 (no new milestone, usage not due)", st.Pending)
	}
}

func TestDebugPrintsEventsAndRecordsNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	h, errOut := testHost(t, map[string]string{"ACME_TELEMETRY": "debug"})
	c, err := start(goodConfig(dir), h)
	if err != nil {
		t.Fatal(err)
	}
	c.Milestone("first_run")
	c.Milestone("typo_milestone")
	c.Shutdown(context.Background())
	got := errOut.String()
	for _, want := range []string{"debug mode", `"event":"waymark.milestone"`, `"milestone.name":"first_run"`, `"event":"waymark.usage"`, "typo_milestone", "app.installation.id"} {
		if !strings.Contains(got, want) {
			t.Errorf("debug output lacks %q:\n%s", want, got)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("debug mode created the state dir")
	}
}

func TestUnwritableStateDirTurnsOff(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, []byte("x"), 0o600)
	cfg := goodConfig(filepath.Join(file, "state")) // under a regular file: never writable
	h, errOut := testHost(t, map[string]string{})
	c, err := start(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	c.Milestone("first_run")
	c.Shutdown(context.Background())
	if c.decision.Mode.String() != "off" || c.decision.Rule != "state_dir_unwritable" {
		t.Fatalf("mode %s rule %s, want off/state_dir_unwritable", c.decision.Mode, c.decision.Rule)
	}
	if errOut.String() != "" {
		t.Errorf("printed %q", errOut.String())
	}
}

func TestMalformedOTelEnvTurnsOffQuietly(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "no-equals-sign")
	h, errOut := testHost(t, map[string]string{})
	c, _ := start(goodConfig(t.TempDir()), h)
	c.Shutdown(context.Background())
	if c.decision.Mode.String() != "off" || c.decision.Rule != "otel_env" {
		t.Fatalf("mode %s rule %s, want off/otel_env", c.decision.Mode, c.decision.Rule)
	}
	if errOut.String() != "" {
		t.Errorf("printed %q", errOut.String())
	}
}

func TestBadEndpointOverrideTurnsOff(t *testing.T) {
	h, _ := testHost(t, map[string]string{"ACME_TELEMETRY_ENDPOINT": "http://example.com:4318"})
	c, err := start(goodConfig(t.TempDir()), h)
	if err != nil {
		t.Fatalf("a bad environment value is not a Config error: %v", err)
	}
	if c.decision.Mode.String() != "off" || !strings.Contains(c.decision.Reason, "ACME_TELEMETRY_ENDPOINT") {
		t.Fatalf("decision %+v, want off naming ACME_TELEMETRY_ENDPOINT", c.decision)
	}
}

func TestShutdownTwice(t *testing.T) {
	h, _ := testHost(t, map[string]string{"DO_NOT_TRACK": "1"})
	c, _ := start(goodConfig(t.TempDir()), h)
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(context.Background()); !errors.Is(err, ErrShutdown) {
		t.Fatalf("second Shutdown: %v, want ErrShutdown", err)
	}
	var nilClient *Client
	nilClient.Milestone("x")
	if err := nilClient.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A server's Shutdown waits on the network at most FlushTimeout, even with an
// endpoint that accepts and never answers.
func TestServerShutdownIsBoundedByFlushTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // black hole: never answer
		}
	}()
	cfg := goodConfig(t.TempDir())
	cfg.Endpoint = "http://" + ln.Addr().String()
	cfg.Server = true
	cfg.Heartbeat = time.Hour
	cfg.FlushTimeout = 300 * time.Millisecond
	h, _ := testHost(t, map[string]string{})
	c, _ := start(cfg, h)
	time.Sleep(200 * time.Millisecond) // let the background upload start and hang
	begin := time.Now()
	c.Shutdown(context.Background())
	// Generous slack for a loaded machine; what matters is that it is bounded
	// well below the sender's own 10 s timeout.
	if d := time.Since(begin); d > 5*time.Second {
		t.Fatalf("Shutdown took %v with FlushTimeout 300ms", d)
	}
	var out bytes.Buffer
	command(cfg, h, []string{"status", "--json"}, &out, &out)
	var st Status
	json.Unmarshal(out.Bytes(), &st)
	if st.Pending == 0 {
		t.Fatal("events lost: nothing pending after a failed flush")
	}
}

func TestStatusCreatesNothingAndPrintsEveryKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	h, _ := testHost(t, map[string]string{})
	var out, errOut bytes.Buffer
	if code := command(goodConfig(dir), h, []string{"status", "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("status created the state dir")
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"mode", "reason", "device_id", "state_dir", "endpoint", "pending", "milestones", "delivery", "collected"} {
		if _, ok := m[k]; !ok {
			t.Errorf("status --json lacks %q", k)
		}
	}
	if m["device_id"] != nil {
		t.Errorf("device_id = %v on a fresh install, want null", m["device_id"])
	}
}

func TestHoldUntilNoticeKeepsEventsWithoutTerminal(t *testing.T) {
	cfg := goodConfig(t.TempDir())
	cfg.HoldUntilNotice = true
	h, _ := testHost(t, map[string]string{})
	c, _ := start(cfg, h)
	c.Milestone("first_run")
	if c.uploadAllowed() {
		t.Fatal("upload allowed before the notice was shown")
	}
	c.Shutdown(context.Background())

	// A counted run shows the notice as it ends, before it looks at
	// whether to upload.
	h.stderrTerminal = func() bool { return true }
	c2, _ := start(cfg, h)
	c2.Shutdown(context.Background())
	if !c2.uploadAllowed() {
		t.Fatal("upload still held after the notice was shown on a terminal")
	}
}

func TestRequireConsentIsOffUntilEnabled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	cfg := goodConfig(dir)
	cfg.RequireConsent = true
	h, _ := testHost(t, map[string]string{})
	c, _ := start(cfg, h)
	c.Milestone("first_run")
	c.Shutdown(context.Background())
	if c.decision.Mode.String() != "off" || c.decision.Rule != "consent_required" {
		t.Fatalf("decision %+v, want off/consent_required", c.decision)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("files written before consent")
	}
	var out bytes.Buffer
	if code := command(cfg, h, []string{"enable"}, &out, &out); code != 0 {
		t.Fatalf("enable: %d %s", code, out.String())
	}
	c2, _ := start(cfg, h)
	defer c2.Shutdown(context.Background())
	if c2.decision.Mode.String() != "on" || c2.decision.Rule != "saved" {
		t.Fatalf("after enable: %+v, want on/saved", c2.decision)
	}
}

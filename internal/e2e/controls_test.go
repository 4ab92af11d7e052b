package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/ptytest"
)

// The black-box proof of the user's controls: the telemetry
// subcommand, debug and local modes, update notices and error reports with
// consent.

// runTTY runs cmd on a pseudo-terminal, typing answer once prompt appears
// (when prompt is not empty), and returns its output and exit code.
func runTTY(t *testing.T, cmd *exec.Cmd, prompt, answer string) (string, int) {
	t.Helper()
	term, err := ptytest.Start(cmd)
	if errors.Is(err, ptytest.ErrUnsupported) && runtime.GOOS != "linux" {
		t.Skip("pseudo-terminals are tested on Linux only")
	}
	if err != nil {
		t.Fatal(err)
	}
	if prompt != "" {
		if !term.WaitFor(prompt, 20*time.Second) {
			cmd.Process.Kill()
			term.Wait()
			t.Fatalf("no prompt %q on the terminal:\n%s", prompt, term.Output())
		}
		if err := term.Type(answer); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- term.Wait() }()
	select {
	case err = <-done:
	case <-time.After(40 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v on a terminal did not exit:\n%s", cmd.Args, term.Output())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return term.Output(), code
}

// requireNothingSent waits quietWait and fails if anything reached col.
func requireNothingSent(t *testing.T, col *Collector, what string) {
	t.Helper()
	time.Sleep(quietWait)
	if reqs := col.Requests(); len(reqs) != 0 {
		t.Fatalf("%s: %d requests reached the endpoint (first to %s), want none", what, len(reqs), reqs[0].Path)
	}
}

// `telemetry disable` stops sending and status says off
// with a reason; `telemetry enable` sends again.
func TestDisableThenEnable(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	in := newInstall(t, col.URL)
	if r := in.MustRun(nil, "telemetry", "disable"); !strings.Contains(r.Stdout, "disabled") {
		t.Errorf("telemetry disable says %q", r.Stdout)
	}
	requireHello(t, in.Run(nil, "hello"), "after disable")
	requireNothingSent(t, col, "acme hello after telemetry disable")
	st := statusJSON(t, in, nil)
	if st["mode"] != "off" {
		t.Fatalf("status mode %v after disable, want off", st["mode"])
	}
	if reason, _ := st["reason"].(string); reason == "" {
		t.Fatalf("status gives no reason for mode off: %v", st)
	}
	if r := in.MustRun(nil, "telemetry", "enable"); !strings.Contains(r.Stdout, "enabled") {
		t.Errorf("telemetry enable says %q", r.Stdout)
	}
	if st := statusJSON(t, in, nil); st["mode"] != "on" {
		t.Fatalf("status mode %v after enable, want on (reason %v)", st["mode"], st["reason"])
	}
	requireHello(t, in.Run(nil, "hello"), "after enable")
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) == 1 }) {
		t.Fatalf("acme hello after telemetry enable sent no milestone (%d requests)", len(col.Requests()))
	}
}

// `telemetry reset` changes the installation id that
// status shows, and later events carry the new one.
func TestResetChangesInstallationID(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	in := newInstall(t, col.URL)
	requireHello(t, in.Run(nil, "hello"), "before reset")
	before, _ := statusJSON(t, in, nil)["device_id"].(string)
	if !uuidV4.MatchString(before) {
		t.Fatalf("device_id before reset %q, want a UUIDv4", before)
	}
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) == 1 }) {
		t.Fatal("first milestone never arrived")
	}
	in.MustRun(nil, "telemetry", "reset")
	after, _ := statusJSON(t, in, nil)["device_id"].(string)
	if !uuidV4.MatchString(after) || after == before {
		t.Fatalf("device_id after reset %q (before %q), want a different UUIDv4", after, before)
	}
	// Milestones belong to an installation: the new one reaches first_run again.
	requireHello(t, in.Run(nil, "hello"), "after reset")
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) == 2 }) {
		t.Fatal("no milestone for the new installation id")
	}
	if got := col.Named("waymark.milestone")[1].Resource["app.installation.id"]; got != after {
		t.Fatalf("events after reset carry app.installation.id %q, want %q", got, after)
	}
}

// ACME_TELEMETRY=debug prints the milestone event
// on stderr, sends nothing and records nothing.
func TestDebugModePrintsAndSendsNothing(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	in := newInstall(t, col.URL)
	r := in.MustRun([]string{"ACME_TELEMETRY=debug"}, "hello")
	if r.Stdout != hello {
		t.Errorf("stdout %q, want only %q", r.Stdout, hello)
	}
	var line string
	for _, l := range strings.Split(r.Stderr, "\n") {
		if strings.Contains(l, `"waymark.milestone"`) {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, "first_run") || !strings.Contains(line, "event.id") {
		t.Fatalf("stderr shows no waymark.milestone event for first_run:\n%s", r.Stderr)
	}
	requireNothingSent(t, col, "ACME_TELEMETRY=debug acme hello")
	if fs := files(t, in.Home); len(fs) != 0 {
		t.Errorf("debug mode wrote files: %v", fs)
	}
}

// ACME_TELEMETRY=local sends nothing but records:
// status shows the milestone and local.jsonl holds it; a later enable and
// run do not upload those local events.
func TestLocalModeRecordsAndNeverUploads(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	in := newInstall(t, col.URL)
	local := []string{"ACME_TELEMETRY=local"}
	requireHello(t, in.Run(local, "hello"), "ACME_TELEMETRY=local")
	requireNothingSent(t, col, "ACME_TELEMETRY=local acme hello")

	st := statusJSON(t, in, local)
	if st["mode"] != "local" {
		t.Errorf("status mode %v, want local", st["mode"])
	}
	if fmt.Sprint(st["milestones"]) != "[first_run]" {
		t.Fatalf("status milestones %v, want [first_run]", st["milestones"])
	}
	if num(st, "pending") != 0 {
		t.Errorf("local mode left %v events pending for upload", st["pending"])
	}
	data, err := os.ReadFile(filepath.Join(in.StateDir(), "local.jsonl"))
	if err != nil {
		t.Fatalf("local.jsonl: %v", err)
	}
	localIDs := map[string]bool{}
	var sawMilestone bool
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var ev struct {
			Event      string         `json:"event"`
			Attributes map[string]any `json:"attributes"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("local.jsonl line %q: %v", sc.Text(), err)
		}
		if id, _ := ev.Attributes["event.id"].(string); id != "" {
			localIDs[id] = true
		}
		if ev.Event == "waymark.milestone" && ev.Attributes["milestone.name"] == "first_run" {
			sawMilestone = true
		}
	}
	if !sawMilestone {
		t.Fatalf("local.jsonl has no first_run milestone:\n%s", data)
	}

	in.MustRun(nil, "telemetry", "enable")
	requireHello(t, in.Run(nil, "hello"), "after enable")
	in.MustRun(nil, "deploy")
	// first_deploy arriving proves uploads work now; nothing recorded while
	// local may come with it.
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) > 0 }) {
		t.Fatal("first_deploy never arrived after enable")
	}
	waitStatus(t, in, 5*time.Second, func(st map[string]any) bool { return nothingPending(st) })
	time.Sleep(time.Second)
	for _, e := range col.Events() {
		if localIDs[e.Attrs["event.id"]] {
			t.Errorf("%s recorded in local mode (event.id %s) was uploaded after enable", e.Name, e.Attrs["event.id"])
		}
		if e.Name == "waymark.milestone" && e.Attrs["milestone.name"] == "first_run" {
			t.Error("first_run, reached in local mode, was sent after enable")
		}
	}
}

// With a manifest announcing 9.9.9 and an alert for
// <9.0.0, a later run on a terminal prints 9.9.9 and the alert's message.
func TestUpdateAndSecurityNoticeOnTerminal(t *testing.T) {
	t.Parallel()
	const alertMsg = "Upgrade now: CVE-WAYMARK-TEST leaks nothing"
	manifest := fmt.Sprintf(`{"latest":"9.9.9","url":"https://acme.example/download",
		"alerts":[{"id":"acme-2026-01","affected":"<9.0.0","message":%q,"url":"https://acme.example/sec"}]}`, alertMsg)
	var fetched atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Store(true)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(manifest))
	}))
	t.Cleanup(srv.Close)
	col := newCollector(t)
	in := newInstall(t, col.URL)
	in.Env = []string{"ACME_TELEMETRY_UPDATE_URL=" + srv.URL + "/acme/manifest.json"}
	// The fetch happens in the detached uploader, never on the exit path.
	r := in.Run(nil, "hello")
	requireHello(t, r, "first run with an update URL")

	deadline := time.Now().Add(20 * time.Second)
	var out string
	for {
		out, _ = runTTY(t, in.Cmd(acmeBin, nil, "hello"), "", "")
		if hasAll(out, "9.9.9", alertMsg) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run on a terminal showed 9.9.9 and the alert within 20 s (manifest fetched: %v); last output:\n%s", fetched.Load(), out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !strings.Contains(out, "1.4.2") {
		t.Errorf("the update notice does not name the running version 1.4.2:\n%s", out)
	}
}

// `acme crash` without a terminal, or answered n, sends no
// report and exits non-zero; answered y, a waymark.error_report arrives that
// carries no part of the home path, although the crash's stack holds it.
func TestCrashReportNeedsConsent(t *testing.T) {
	t.Run("no terminal", func(t *testing.T) {
		t.Parallel()
		col := newCollector(t)
		in := newInstall(t, col.URL)
		r := in.Run(nil, "crash")
		if r.Code == 0 {
			t.Fatal("acme crash exited 0")
		}
		if strings.Contains(r.Stderr, "[y/N]") {
			t.Errorf("prompted without a terminal:\n%s", r.Stderr)
		}
		requireNoReport(t, col, in)
	})
	t.Run("answered n", func(t *testing.T) {
		t.Parallel()
		col := newCollector(t)
		in := newInstall(t, col.URL)
		out, code := runTTY(t, in.Cmd(acmeBin, nil, "crash"), "[y/N]", "n\r")
		if code == 0 {
			t.Fatalf("acme crash answered n exited 0:\n%s", out)
		}
		requireNoReport(t, col, in)
	})
	t.Run("answered y", func(t *testing.T) {
		t.Parallel()
		col := newCollector(t)
		base := tempDir(t)
		home := filepath.Join(base, "home-WMCANARY7q3")
		if err := os.MkdirAll(home, 0o700); err != nil {
			t.Fatal(err)
		}
		// An acme whose own source paths lie in the home directory, so the
		// crash's stack trace really holds the home path.
		bin := filepath.Join(base, "acme-crash")
		root, _ := filepath.Abs("../..")
		build := exec.Command("go", "build", "-o", bin,
			"-gcflags=github.com/waymarkhq/waymark/examples/cli=-trimpath="+root+"=>"+filepath.Join(home, "src", "acme"),
			"./examples/cli")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build acme with source paths in HOME: %v\n%s", err, out)
		}
		in := &Install{t: t, Home: home, Endpoint: col.URL}
		out, code := runTTY(t, in.Cmd(bin, nil, "crash"), "[y/N]", "y\r")
		if code == 0 {
			t.Fatalf("acme crash answered y exited 0:\n%s", out)
		}
		if !strings.Contains(out, "home-WMCANARY7q3") {
			t.Fatalf("the crash's stack does not hold the home path, so the check would prove nothing:\n%s", out)
		}
		if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.error_report")) > 0 }) {
			t.Fatalf("no waymark.error_report arrived after answering y:\n%s", out)
		}
		rep := col.Named("waymark.error_report")[0]
		if !strings.Contains(rep.Attrs["exception.message"], "nil map") || !strings.Contains(rep.Attrs["exception.stacktrace"], "main.go") {
			t.Errorf("the report lacks the panic: %v", rep.Attrs)
		}
		parts := []string{"WMCANARY", home}
		for p := home; p != filepath.Dir(p); p = filepath.Dir(p) {
			if b := filepath.Base(p); len(b) >= 4 {
				parts = append(parts, b)
			}
			if len(p) > 4 {
				parts = append(parts, p)
			}
		}
		seen := map[string]bool{}
		for _, r := range col.Requests() {
			for _, part := range parts {
				if seen[part] {
					continue
				}
				if bytes.Contains(bytes.ToLower(r.Body), bytes.ToLower([]byte(part))) {
					seen[part] = true
					t.Errorf("%s request carries %q, part of the home path %s", r.Path, part, home)
				}
			}
		}
	})
}

// requireNoReport makes a later run of the same install (a crashed run starts
// no uploader; whatever it spooled leaves with the next one), waits for that
// upload, and proves no error report came with it or after it.
func requireNoReport(t *testing.T, col *Collector, in *Install) {
	t.Helper()
	requireHello(t, in.Run(nil, "hello"), "after the crash")
	if !col.WaitFor(deliveryWait, func() bool {
		return len(col.Named("waymark.usage")) > 0 && len(col.Named("waymark.milestone")) > 0
	}) {
		t.Fatal("the later run's events never arrived: the check would prove nothing")
	}
	if st, ok := waitStatus(t, in, 10*time.Second, func(st map[string]any) bool { return nothingPending(st) }); !ok {
		t.Fatalf("events still pending: %v", st)
	}
	time.Sleep(time.Second)
	if n := len(col.Named("waymark.error_report")); n != 0 {
		t.Fatalf("%d error reports arrived without consent", n)
	}
}

// `telemetry status` creates no file on a fresh install, and --json prints
// every key, null where there is no value.
func TestStatusWritesNothingAndPrintsEveryKey(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	in := newInstall(t, col.URL)
	r := in.MustRun(nil, "telemetry", "status")
	if !hasAll(r.Stdout, "acme telemetry: on", "installation id", "pending events") {
		t.Errorf("status says:\n%s", r.Stdout)
	}
	st := statusJSON(t, in, nil)
	if fs := files(t, in.Home); len(fs) != 0 {
		t.Fatalf("telemetry status created files: %v", fs)
	}
	raw := in.MustRun(nil, "telemetry", "status", "--json").Stdout
	for _, k := range []string{"mode", "reason", "device_id", "state_dir", "endpoint", "pending", "milestones"} {
		if _, ok := st[k]; !ok {
			t.Errorf("status --json lacks key %q:\n%s", k, raw)
		}
	}
	if st["device_id"] != nil {
		t.Errorf("device_id on a fresh install is %v, want null", st["device_id"])
	}
	if st["mode"] != "on" || st["reason"] == "" || st["endpoint"] != col.URL || st["state_dir"] != in.StateDir() || num(st, "pending") != 0 {
		t.Errorf("status --json on a fresh install:\n%s", raw)
	}
	if ms, ok := st["milestones"].([]any); st["milestones"] != nil && (!ok || len(ms) != 0) {
		t.Errorf("milestones on a fresh install %v, want none", st["milestones"])
	}

	// With no home at all there is no state dir: its key is still there, null.
	cmd := exec.Command(acmeBin, "telemetry", "status", "--json")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ACME_TELEMETRY_ENDPOINT=" + col.URL}
	cmd.Dir = in.Home
	out := runCmd(t, cmd)
	var noHome map[string]any
	if err := json.Unmarshal([]byte(out.Stdout), &noHome); err != nil || out.Code != 0 {
		t.Fatalf("status --json without HOME: exit %d, %v\n%s%s", out.Code, err, out.Stdout, out.Stderr)
	}
	for _, k := range []string{"device_id", "state_dir"} {
		if v, ok := noHome[k]; !ok || v != nil {
			t.Errorf("without HOME, %s = %v (present %v), want null", k, v, ok)
		}
	}
	if fs := files(t, in.Home); len(fs) != 0 {
		t.Fatalf("telemetry status created files: %v", fs)
	}
}

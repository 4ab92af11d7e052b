package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/ptytest"
)

// deliveryWait bounds how long a test waits for a CLI's detached uploader.
const deliveryWait = 15 * time.Second

// quietWait is how long a test watches for something that must not arrive.
const quietWait = 3 * time.Second

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

var allowedResource = map[string]bool{
	"service.name": true, "service.version": true, "app.installation.id": true, "os.type": true,
	"host.arch": true, "process.runtime.name": true, "process.runtime.version": true,
	"telemetry.sdk.name": true, "telemetry.sdk.language": true, "telemetry.sdk.version": true,
	"session.id": true,
}

// A new install's `acme hello` delivers one waymark.milestone with
// first_run, and the resource stays within the allowlist.
func TestNewInstallHelloDeliversFirstRun(t *testing.T) {
	col := newCollector(t)
	in := newInstall(t, col.URL)
	in.MustRun(nil, "hello")
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) > 0 }) {
		t.Fatalf("no milestone arrived; got %d requests", len(col.Requests()))
	}
	ms := col.Named("waymark.milestone")
	if len(ms) != 1 || ms[0].Attrs["milestone.name"] != "first_run" {
		t.Fatalf("milestones = %+v, want one first_run", ms)
	}
	for _, e := range col.Events() {
		for k := range e.Resource {
			if !allowedResource[k] {
				t.Errorf("resource key %q is not on the allowlist", k)
			}
		}
		if !uuidV4.MatchString(e.Resource["app.installation.id"]) {
			t.Errorf("app.installation.id %q is not a UUIDv4", e.Resource["app.installation.id"])
		}
		for k, want := range map[string]string{"service.name": "acme", "service.version": "1.4.2"} {
			if e.Resource[k] != want {
				t.Errorf("%s = %q, want %q", k, e.Resource[k], want)
			}
		}
		for _, k := range []string{"os.type", "host.arch"} {
			if e.Resource[k] == "" {
				t.Errorf("resource lacks %s", k)
			}
		}
		if e.Attrs["event.id"] == "" {
			t.Errorf("%s has no event.id", e.Name)
		}
	}
	if ms[0].Resource["session.id"] != "" {
		t.Error("a CLI must not send session.id")
	}
}

// A second run of the same install sends no second first_run. A
// deploy afterwards proves the later runs were delivered at all.
func TestSecondRunSendsNoSecondFirstRun(t *testing.T) {
	col := newCollector(t)
	in := newInstall(t, col.URL)
	in.MustRun(nil, "hello")
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) == 1 }) {
		t.Fatal("first milestone never arrived")
	}
	in.MustRun(nil, "hello")
	in.MustRun(nil, "deploy")
	if !col.WaitFor(deliveryWait+10*time.Second, func() bool { return len(col.Named("waymark.milestone")) >= 2 }) {
		t.Fatal("first_deploy never arrived")
	}
	time.Sleep(500 * time.Millisecond)
	n := 0
	for _, e := range col.Named("waymark.milestone") {
		if e.Attrs["milestone.name"] == "first_run" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("first_run arrived %d times, want 1", n)
	}
}

// Every opt-out sends nothing; the first two write nothing under
// HOME. CI=true with ACME_TELEMETRY=on sends, and CI=false sends.
func TestOptOuts(t *testing.T) {
	cases := []struct {
		env        string
		noFiles    bool
		wantSilent bool
	}{
		{"DO_NOT_TRACK=1", true, true},
		{"ACME_TELEMETRY=off", true, true},
		{"CI=true", false, true},
		{"GITHUB_ACTIONS=true", false, true},
		{"TF_BUILD=True", false, true},
		{"BUILDKITE=true", false, true},
		{"CI=true ACME_TELEMETRY=on", false, false},
		{"CI=false", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.env, func(t *testing.T) {
			t.Parallel()
			col := newCollector(t)
			in := newInstall(t, col.URL)
			env := strings.Fields(tc.env)
			in.MustRun(env, "hello")
			if tc.wantSilent {
				time.Sleep(quietWait)
				if n := len(col.Requests()); n != 0 {
					t.Fatalf("%s: %d requests sent, want none", tc.env, n)
				}
				if tc.noFiles {
					if fs := files(t, in.Home); len(fs) != 0 {
						t.Fatalf("%s: files written under HOME: %v", tc.env, fs)
					}
				}
				return
			}
			if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) == 1 }) {
				t.Fatalf("%s: milestone not sent", tc.env)
			}
		})
	}
}

// Canaries in the user name, home path, working directory, host
// name and the user's OTel settings appear nowhere in what is sent.
func TestCanariesNeverSent(t *testing.T) {
	col := newCollector(t)
	base := tempDir(t)
	home := filepath.Join(base, "home-CANARYHOME")
	work := filepath.Join(base, "work-CANARYCWD")
	for _, d := range []string{home, work} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	in := &Install{t: t, Home: home, Endpoint: col.URL}
	in.Env = []string{
		"USER=CANARYUSER", "LOGNAME=CANARYUSER", "HOSTNAME=CANARYHOST",
		"OTEL_EXPORTER_OTLP_HEADERS=x-canary=CANARYHDR1",
		"OTEL_EXPORTER_OTLP_LOGS_HEADERS=x-canary2=CANARYHDR2",
		"OTEL_RESOURCE_ATTRIBUTES=canary.attr=CANARYRES",
		"OTEL_SERVICE_NAME=CANARYSVC",
	}
	run := func(args ...string) {
		cmd := in.Cmd(acmeBin, nil, args...)
		cmd.Dir = work
		// A host name of our own, where the test may make a UTS namespace.
		if os.Geteuid() == 0 {
			if unshare, err := exec.LookPath("unshare"); err == nil {
				cmd = exec.Command(unshare, append([]string{"--uts", "sh", "-c", `hostname CANARYHOST && exec "$0" "$@"`, acmeBin}, args...)...)
				cmd.Env, cmd.Dir = in.environ(nil), work
			}
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("acme %v: %v\n%s", args, err, out)
		}
	}
	run("hello")
	run("deploy")
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) >= 1 }) {
		t.Fatal("nothing arrived: the canary check would prove nothing")
	}
	col.WaitFor(5*time.Second, func() bool { return len(col.Named("waymark.milestone")) >= 2 })
	canaries := []string{"CANARYHOME", "CANARYCWD", "CANARYUSER", "CANARYHOST", "CANARYHDR1", "CANARYHDR2", "CANARYRES", "canary.attr", "CANARYSVC", "x-canary"}
	for _, r := range col.Requests() {
		var all bytes.Buffer
		all.Write(r.Body)
		for k, vs := range r.Header {
			all.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
		}
		for _, c := range canaries {
			if bytes.Contains(bytes.ToLower(all.Bytes()), bytes.ToLower([]byte(c))) {
				t.Errorf("canary %q found in %s request", c, r.Path)
			}
		}
	}
}

// On a terminal the notice (naming DO_NOT_TRACK) appears on the
// first run only; without a terminal it never appears.
func TestNoticeOnTerminalFirstRunOnly(t *testing.T) {
	col := newCollector(t)
	in := newInstall(t, col.URL)
	runTTY := func() string {
		term, err := ptytest.Start(in.Cmd(acmeBin, nil, "hello"))
		if errors.Is(err, ptytest.ErrUnsupported) && runtime.GOOS != "linux" {
			t.Skip("pseudo-terminals are tested on Linux only")
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := term.Wait(); err != nil {
			t.Fatalf("acme hello on a terminal: %v\n%s", err, term.Output())
		}
		return term.Output()
	}
	first := runTTY()
	if !hasAll(first, "DO_NOT_TRACK", "acme telemetry disable", "ACME_TELEMETRY") {
		t.Fatalf("first run on a terminal shows no notice:\n%s", first)
	}
	if second := runTTY(); strings.Contains(second, "DO_NOT_TRACK") {
		t.Fatalf("notice shown again on the second run:\n%s", second)
	}

	other := newInstall(t, col.URL)
	for i := 0; i < 2; i++ {
		if r := other.MustRun(nil, "hello"); strings.Contains(r.Stderr+r.Stdout, "DO_NOT_TRACK") {
			t.Fatalf("notice shown without a terminal:\n%s", r.Stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(other.StateDir(), "notice_shown")); err == nil {
		t.Fatal("notice_shown written although no notice was printed")
	}
}

// Acme-server --heartbeat 1s sends a heartbeat every second with one
// session.id, and exits 0 on SIGTERM after flushing.
func TestServerHeartbeats(t *testing.T) {
	col := newCollector(t)
	in := newInstall(t, col.URL)
	cmd, se := startServer(t, in, "--heartbeat", "1s")
	if !col.WaitFor(10*time.Second, func() bool { return len(col.Named("waymark.heartbeat")) >= 4 }) {
		t.Fatalf("heartbeats: got %d in 10s", len(col.Named("waymark.heartbeat")))
	}
	stopServer(t, cmd, se, 5*time.Second)
	hb := col.Named("waymark.heartbeat")
	sessions := map[string]bool{}
	for _, e := range hb {
		sessions[e.Resource["session.id"]] = true
		if e.Attrs["heartbeat.interval_s"] != "1" {
			t.Errorf("heartbeat.interval_s = %q, want 1", e.Attrs["heartbeat.interval_s"])
		}
	}
	if len(sessions) != 1 || sessions[""] {
		t.Fatalf("session ids %v, want exactly one non-empty", sessions)
	}
	// A heartbeat a second: uptimes step by about one.
	seen := map[string]bool{}
	for _, e := range hb {
		seen[e.Attrs["session.uptime_s"]] = true
	}
	for _, s := range []string{"0", "1", "2", "3"} {
		if !seen[s] {
			t.Errorf("no heartbeat with session.uptime_s=%s (got %v)", s, seen)
		}
	}
	// The flush on shutdown delivered the metrics too.
	if !col.WaitFor(2*time.Second, func() bool {
		for _, r := range col.Requests() {
			if r.Metrics != nil {
				return true
			}
		}
		return false
	}) {
		t.Error("no metrics request arrived from the server")
	}
}

// Back-to-back runs: the second appends its milestone after the first run's
// uploader has sent the events and while it waits on the metrics (answered
// slowly here), holding the upload lock, so the second run starts no
// uploader of its own; its event must still leave without a third run.
func TestBackToBackRunsBothDeliverWithoutAnotherRun(t *testing.T) {
	col := newCollector(t)
	col.Delay, col.DelayPath = 1500*time.Millisecond, "/v1/metrics"
	in := newInstall(t, col.URL)
	in.MustRun(nil, "hello")
	if !col.WaitFor(deliveryWait, func() bool {
		for _, r := range col.Requests() {
			if r.Metrics != nil {
				return true
			}
		}
		return false
	}) {
		t.Fatal("the first run's metrics upload never started")
	}
	in.MustRun(nil, "deploy") // the first uploader is still waiting for its answer
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) == 2 }) {
		t.Fatalf("%d of 2 milestones arrived", len(col.Named("waymark.milestone")))
	}
}

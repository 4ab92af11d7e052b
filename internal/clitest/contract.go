package clitest

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/gate"
)

const (
	// deliveryWait bounds how long an upload may take to arrive.
	deliveryWait = 20 * time.Second
	// idleWait bounds how long a run's detached uploader may live.
	idleWait = 20 * time.Second
	// quietWait is how long a run that must send nothing is watched after
	// no process of it is left.
	quietWait = 500 * time.Millisecond
)

// Spec describes an example CLI to the Contract.
type Spec struct {
	// Dir is the example's folder (its own module) and Pkg its import path.
	Dir, Pkg string
	// Bin is the example built from Dir.
	Bin string
	// Product is its Config.Product.
	Product string
	// Complete is the argument list of one shell completion request, such
	// as {"__complete", ""} for cobra.
	Complete []string
}

// Contract runs, as subtests, what every example CLI on a framework
// integration must show, each run with a fresh HOME unless said.
func Contract(t *testing.T, s Spec) {
	t.Run("FirstRunAndFailedDeploy", func(t *testing.T) { FirstRunAndFailedDeploy(t, s) })
	t.Run("NotCounted", func(t *testing.T) { NotCounted(t, s) })
	t.Run("RunFlag", func(t *testing.T) { RunFlag(t, s) })
	t.Run("CrashReport", func(t *testing.T) { CrashReport(t, s) })
}

// FirstRunAndFailedDeploy checks that `hello` delivers one first_run;
// `deploy --fail` exits 1 and its first_deploy still arrives, from that
// run's own uploader, without another run.
func FirstRunAndFailedDeploy(t *testing.T, s Spec) {
	col := NewCollector(t)
	in := NewInstall(t, s.Bin, s.Product, col.URL)
	r := in.Run(nil, "hello")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Hello from "+s.Product) {
		t.Fatalf("%s hello: exit %d\n%s%s", s.Product, r.Code, r.Stdout, r.Stderr)
	}
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Milestones()) > 0 }) {
		t.Fatalf("no milestone arrived after %s hello", s.Product)
	}
	in.WaitIdle(idleWait)
	if got := col.Milestones(); !slices.Equal(got, []string{"first_run"}) {
		t.Fatalf("%s hello delivered milestones %v, want exactly one first_run", s.Product, got)
	}
	if n := len(col.Named("waymark.usage")); n != 1 {
		t.Errorf("%s hello delivered %d usage pings, want 1", s.Product, n)
	}

	col = NewCollector(t)
	in = NewInstall(t, s.Bin, s.Product, col.URL)
	r = in.Run(nil, "deploy", "--fail")
	if r.Code != 1 || !strings.Contains(r.Stderr, "deploy failed") {
		t.Fatalf("%s deploy --fail: exit %d, want 1\n%s%s", s.Product, r.Code, r.Stdout, r.Stderr)
	}
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Milestones()) > 0 }) {
		t.Fatalf("the first_deploy of %s deploy --fail did not arrive without another run", s.Product)
	}
	in.WaitIdle(idleWait)
	if got := col.Milestones(); !slices.Equal(got, []string{"first_deploy"}) {
		t.Fatalf("%s deploy --fail delivered milestones %v, want exactly one first_deploy", s.Product, got)
	}
}

// NotCounted checks that shell completion, the completion command, help,
// --help, `telemetry status --json`, `--no-telemetry telemetry status` and
// `telemetry disable`, each on a terminal of a fresh install, send nothing,
// show no notice and write nothing but the saved choice (and its lock).
// `hello` on a terminal is the control: it shows the notice, writes and
// sends, so each check could fail.
func NotCounted(t *testing.T, s Spec) {
	notice := s.Product + " collects anonymous usage telemetry"
	t.Run("control hello", func(t *testing.T) {
		col := NewCollector(t)
		in := NewInstall(t, s.Bin, s.Product, col.URL)
		out, code := in.RunTTY(nil, "", "", "hello")
		if code != 0 || !strings.Contains(out, notice) {
			t.Fatalf("%s hello on a terminal: exit %d, want 0 and the notice:\n%s", s.Product, code, out)
		}
		if len(in.Files()) == 0 {
			t.Fatal("hello wrote nothing: the check that these runs write nothing would prove nothing")
		}
		if !col.WaitFor(deliveryWait, func() bool { return len(col.Requests()) > 0 }) {
			t.Fatal("hello sent nothing: the check that these runs send nothing would prove nothing")
		}
		in.WaitIdle(idleWait)
	})
	state := filepath.ToSlash(filepath.Join(".config", s.Product, "telemetry"))
	choice := []string{".config", ".config/" + s.Product, state, state + "/lock", state + "/mode"}
	runs := []struct {
		args  []string
		files []string
		says  string
	}{
		{args: s.Complete},
		{args: []string{"completion", "bash"}, says: "bash"},
		{args: []string{"help"}, says: "telemetry"},
		{args: []string{"--help"}, says: "telemetry"},
		{args: []string{"telemetry", "status", "--json"}, says: `"mode": "on"`},
		{args: []string{"--no-telemetry", "telemetry", "status"}, says: "--no-telemetry"},
		{args: []string{"telemetry", "disable"}, files: choice, says: "disabled"},
	}
	for _, run := range runs {
		t.Run(strings.Join(run.args, " "), func(t *testing.T) {
			col := NewCollector(t)
			in := NewInstall(t, s.Bin, s.Product, col.URL)
			out, code := in.RunTTY(nil, "", "", run.args...)
			if code != 0 || !strings.Contains(out, run.says) {
				t.Fatalf("%s %q: exit %d, want 0 and output with %q:\n%s", s.Product, run.args, code, run.says, out)
			}
			if strings.Contains(out, notice) {
				t.Errorf("%s %q showed the first-run notice:\n%s", s.Product, run.args, out)
			}
			in.WaitIdle(idleWait)
			time.Sleep(quietWait)
			if reqs := col.Requests(); len(reqs) != 0 {
				t.Errorf("%s %q sent %d requests (first to %s), want none", s.Product, run.args, len(reqs), reqs[0].Path)
			}
			if got := in.Files(); !slices.Equal(got, run.files) {
				t.Errorf("%s %q left %v under HOME, want %v", s.Product, run.args, got, run.files)
			}
		})
	}
}

// RunFlag checks that --no-telemetry and --no-telemetry=true (also after
// the subcommand) send nothing and write nothing; `telemetry status` and
// debug mode name the flag.
func RunFlag(t *testing.T, s Spec) {
	notice := s.Product + " collects anonymous usage telemetry"
	for _, args := range [][]string{
		{"--no-telemetry", "hello"},
		{"--no-telemetry=true", "hello"},
		{"hello", "--no-telemetry"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			col := NewCollector(t)
			in := NewInstall(t, s.Bin, s.Product, col.URL)
			out, code := in.RunTTY(nil, "", "", args...)
			if code != 0 || !strings.Contains(out, "Hello from "+s.Product) || strings.Contains(out, notice) {
				t.Fatalf("%s %q on a terminal: exit %d, want 0, the greeting and no notice:\n%s", s.Product, args, code, out)
			}
			in.WaitIdle(idleWait)
			time.Sleep(quietWait)
			if reqs := col.Requests(); len(reqs) != 0 {
				t.Errorf("%s %q sent %d requests, want none", s.Product, args, len(reqs))
			}
			if got := in.Files(); len(got) != 0 {
				t.Errorf("%s %q wrote %v, want nothing", s.Product, args, got)
			}
		})
	}
	t.Run("status names the flag", func(t *testing.T) {
		in := NewInstall(t, s.Bin, s.Product, "http://127.0.0.1:9")
		st := in.Status(nil, "--no-telemetry")
		reason, _ := st["reason"].(string)
		if st["mode"] != "off" || st["rule"] != "run_flag" || !strings.Contains(reason, "--no-telemetry") {
			t.Errorf("--no-telemetry telemetry status --json: mode %v, rule %v, reason %q; want off, run_flag, naming --no-telemetry", st["mode"], st["rule"], reason)
		}
		// Without the flag the same install is on: the flag decided.
		if st := in.Status(nil); st["mode"] != "on" {
			t.Errorf("without the flag status says %v (%v), want on", st["mode"], st["reason"])
		}
		if got := in.Files(); len(got) != 0 {
			t.Errorf("telemetry status wrote %v", got)
		}
	})
	t.Run("debug mode names the flag", func(t *testing.T) {
		col := NewCollector(t)
		in := NewInstall(t, s.Bin, s.Product, col.URL)
		debug := []string{gate.EnvPrefix(s.Product) + "_TELEMETRY=debug"}
		r := in.Run(debug, "--no-telemetry", "hello")
		if r.Code != 0 || !strings.Contains(r.Stderr, "waymark debug") || !strings.Contains(r.Stderr, "--no-telemetry") {
			t.Fatalf("%s_TELEMETRY=debug %s --no-telemetry hello: exit %d; stderr does not name the flag:\n%s",
				gate.EnvPrefix(s.Product), s.Product, r.Code, r.Stderr)
		}
		if strings.Contains(r.Stderr, "would send") {
			t.Errorf("debug mode printed events although the flag turned telemetry off:\n%s", r.Stderr)
		}
		// The control: debug mode without the flag prints the run's events.
		if r := in.Run(debug, "hello"); !strings.Contains(r.Stderr, "first_run") {
			t.Errorf("debug mode without the flag printed no first_run:\n%s", r.Stderr)
		}
		in.WaitIdle(idleWait)
		if got := in.Files(); len(got) != 0 {
			t.Errorf("debug runs wrote %v", got)
		}
		if reqs := col.Requests(); len(reqs) != 0 {
			t.Errorf("debug runs sent %d requests", len(reqs))
		}
	})
}

// CrashReport checks that `crash` on a terminal, answered y, exits non-zero
// and one error report arrives that carries no part of the home path,
// although the crash's stack holds it (the CLI is built with its source
// paths under HOME). The CLI's main has only the integration's one
// deferred call.
func CrashReport(t *testing.T, s Spec) {
	col := NewCollector(t)
	home := filepath.Join(TempDir(t), "home-WMCANARY7q3")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	bin := Build(t, s.Dir, s.Product+"-crash",
		"-gcflags="+s.Pkg+"=-trimpath="+dir+"=>"+filepath.Join(home, "src", s.Product))
	in := &Install{t: t, Bin: bin, Product: s.Product, Home: home, Endpoint: col.URL}
	out, code := in.RunTTY(nil, "[y/N]", "y\r", "crash")
	if code == 0 {
		t.Fatalf("%s crash answered y exited 0:\n%s", s.Product, out)
	}
	if !strings.Contains(out, "home-WMCANARY7q3") {
		t.Fatalf("the crash's stack does not hold the home path, so the scrub check would prove nothing:\n%s", out)
	}
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.error_report")) > 0 }) {
		t.Fatalf("no waymark.error_report arrived after answering y:\n%s", out)
	}
	in.WaitIdle(idleWait)
	reps := col.Named("waymark.error_report")
	if len(reps) != 1 {
		t.Fatalf("%d error reports arrived, want 1", len(reps))
	}
	if !strings.Contains(reps[0].Attrs["exception.message"], "nil map") || !strings.Contains(reps[0].Attrs["exception.stacktrace"], "main.go") {
		t.Errorf("the report lacks the panic: %v", reps[0].Attrs)
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
	for _, r := range col.Requests() {
		for _, part := range parts {
			if bytes.Contains(bytes.ToLower(r.Body), bytes.ToLower([]byte(part))) {
				t.Errorf("%s request carries %q, part of the home path %s", r.Path, part, home)
			}
		}
	}
}

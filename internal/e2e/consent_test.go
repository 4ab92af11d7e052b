package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/ptytest"
)

// The black-box proof of consent and transparency: machine
// policy, one choice for all tools, forgetting on disable, and a notice that
// comes back when what it describes changes.

// inOwnEtc runs acme with args in a mount namespace whose /etc is an empty
// tmpfs holding only the policy file rel (relative to /etc) with content,
// so the test writes no real system file and no other test sees it.
func inOwnEtc(t *testing.T, in *Install, rel, content string, env []string, args ...string) Result {
	t.Helper()
	script := `mount -t tmpfs none /etc && mkdir -p "/etc/$(dirname "$1")" && printf '%s\n' "$2" > "/etc/$1" && shift 2 && exec "$@"`
	ns := []string{"--mount", "--propagation", "private"}
	if os.Geteuid() != 0 {
		// Without root, a user namespace gives the run its own mounts.
		ns = append([]string{"--user", "--map-root-user"}, ns...)
	}
	cmd := in.Cmd("unshare", env, append(append(ns, "sh", "-c", script, "sh", rel, content, acmeBin), args...)...)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return Result{Code: code, Stdout: so.String(), Stderr: se.String()}
}

// A policy file saying off wins over ACME_TELEMETRY=on: nothing is
// sent or written, status names the file, enable refuses naming it. The same
// for the file that covers every Waymark tool.
func TestMachinePolicyForcesOff(t *testing.T) {
	for _, rel := range []string{"acme/telemetry-policy", "waymark/telemetry-policy"} {
		t.Run(rel, func(t *testing.T) {
			col := newCollector(t)
			in := newInstall(t, col.URL)
			r := inOwnEtc(t, in, rel, "off", []string{"ACME_TELEMETRY=on"}, "hello")
			if r.Code != 0 || r.Stdout != "Hello from acme!\n" || r.Stderr != "" {
				t.Fatalf("acme hello under a policy: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
			}
			requireNothingSent(t, col, "acme hello under an off policy")
			if _, err := os.Stat(in.StateDir()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the state dir was created under an off policy: %v", err)
			}
			r = inOwnEtc(t, in, rel, "off", []string{"ACME_TELEMETRY=on"}, "telemetry", "status", "--json")
			var st map[string]any
			if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
				t.Fatalf("status --json: %v\n%s%s", err, r.Stdout, r.Stderr)
			}
			file := "/etc/" + rel
			if st["mode"] != "off" || st["rule"] != "policy" || st["policy"] != file || !strings.Contains(st["reason"].(string), file) {
				t.Fatalf("status: mode %v rule %v policy %v reason %v; want off, policy, naming %s", st["mode"], st["rule"], st["policy"], st["reason"], file)
			}
			r = inOwnEtc(t, in, rel, "off", nil, "telemetry", "enable")
			if r.Code == 0 || !strings.Contains(r.Stderr, file) {
				t.Fatalf("telemetry enable under a policy: exit %d, stderr %q; want a refusal naming %s", r.Code, r.Stderr, file)
			}
			if _, err := os.Stat(filepath.Join(in.StateDir(), "mode")); err == nil {
				t.Error("telemetry enable saved a choice although a policy forbids it")
			}
			// A policy that cannot be understood means off as well.
			r = inOwnEtc(t, in, rel, "please-track-me", []string{"ACME_TELEMETRY=on"}, "telemetry", "status", "--json")
			if !strings.Contains(r.Stdout, `"mode": "off"`) || !strings.Contains(r.Stdout, `"rule": "policy"`) {
				t.Fatalf("status under a garbage policy:\n%s", r.Stdout)
			}
		})
	}
}

// Disable --all in one tool turns a second Waymark tool off, and its
// status names the shared choice; that tool's own enable wins again.
func TestOneChoiceForAllTools(t *testing.T) {
	other := filepath.Join(tempDir(t), "othertool")
	if out, err := exec.Command("go", "build", "-o", other, "./testdata/othertool").CombinedOutput(); err != nil {
		t.Fatalf("build othertool: %v\n%s", err, out)
	}
	col := newCollector(t)
	in := newInstall(t, col.URL)
	otherEnv := []string{"OTHERTOOL_TELEMETRY_ENDPOINT=" + col.URL}
	runOther := func(args ...string) Result {
		cmd := in.Cmd(other, otherEnv, args...)
		var so, se strings.Builder
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		r := Result{Stdout: so.String(), Stderr: se.String()}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.Code = ee.ExitCode()
		}
		return r
	}
	if r := in.Run(nil, "telemetry", "disable", "--all"); r.Code != 0 {
		t.Fatalf("acme telemetry disable --all: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := runOther(); r.Code != 0 || r.Stderr != "" {
		t.Fatalf("othertool: exit %d, stderr %q", r.Code, r.Stderr)
	}
	requireNothingSent(t, col, "othertool after acme telemetry disable --all")
	var st map[string]any
	if err := json.Unmarshal([]byte(runOther("telemetry", "status", "--json").Stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st["mode"] != "off" || st["rule"] != "saved_all" || !strings.Contains(st["reason"].(string), "all Waymark tools") {
		t.Fatalf("othertool status: mode %v rule %v reason %v; want off by the choice saved for all tools", st["mode"], st["rule"], st["reason"])
	}
	if r := runOther("telemetry", "enable"); r.Code != 0 {
		t.Fatalf("othertool telemetry enable: exit %d\n%s", r.Code, r.Stderr)
	}
	runOther()
	if !col.WaitFor(15*time.Second, func() bool { return len(col.Named("waymark.milestone")) > 0 }) {
		t.Fatal("othertool sent nothing after its own telemetry enable")
	}
	for _, ev := range col.Events() {
		if ev.Resource["service.name"] != "othertool" {
			t.Fatalf("acme sent %s although telemetry is off for all tools", ev.Name)
		}
	}
}

// Disable removes the installation id and every pending event; a
// later enable and hello send under a new installation id.
func TestDisableForgetsTheMachine(t *testing.T) {
	col := newCollector(t)
	in := newInstall(t, col.URL)
	in.MustRun(nil, "hello")
	if !col.WaitFor(15*time.Second, func() bool { return len(col.Named("waymark.milestone")) == 1 }) {
		t.Fatal("first_run never arrived")
	}
	oldID := col.Named("waymark.milestone")[0].Resource["app.installation.id"]
	// The first run's uploader, still draining, would take the deploy's
	// event along to the collector.
	waitIdle(t, acmeBin)
	in.MustRun([]string{"ACME_TELEMETRY_ENDPOINT=http://127.0.0.1:9"}, "deploy") // stays pending
	if st := statusJSON(t, in, []string{"ACME_TELEMETRY_ENDPOINT=http://127.0.0.1:9"}); num(st, "pending") < 1 {
		t.Fatalf("nothing pending before disable: %v", st["pending"])
	}
	r := in.Run(nil, "telemetry", "disable")
	if r.Code != 0 || !strings.Contains(r.Stdout, "installation id") {
		t.Fatalf("telemetry disable: exit %d, stdout %q", r.Code, r.Stdout)
	}
	for _, name := range []string{"device_id", "milestones.json", "sent.jsonl"} {
		if _, err := os.Stat(filepath.Join(in.StateDir(), name)); err == nil {
			t.Errorf("%s is still there after disable", name)
		}
	}
	st := statusJSON(t, in, nil)
	if st["device_id"] != nil || num(st, "pending") != 0 {
		t.Fatalf("after disable: device_id %v, pending %v; want none", st["device_id"], st["pending"])
	}
	in.MustRun(nil, "telemetry", "enable")
	in.MustRun(nil, "hello")
	if !col.WaitFor(15*time.Second, func() bool { return len(col.Named("waymark.milestone")) == 2 }) {
		t.Fatalf("no first_run after enable: %d milestones", len(col.Named("waymark.milestone")))
	}
	ms := col.Named("waymark.milestone")
	newID := ms[1].Resource["app.installation.id"]
	if newID == "" || newID == oldID {
		t.Fatalf("after disable and enable the installation id is %q, the old one %q: want a new install", newID, oldID)
	}
	for _, ev := range col.Events() {
		if ev.Attrs["milestone.name"] == "first_deploy" {
			t.Fatal("the deploy that was pending at disable was sent anyway")
		}
	}
}

// On a terminal the notice shows once; a build with a bumped
// NoticeVersion shows it again, once.
func TestNoticeShownAgainWhenItsVersionChanges(t *testing.T) {
	bumped := filepath.Join(tempDir(t), "acme-bumped")
	if out, err := exec.Command("go", "build", "-ldflags", "-X main.noticeVersion=2", "-o", bumped, "../../examples/cli").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	col := newCollector(t)
	in := newInstall(t, col.URL)
	onTTY := func(bin string) string {
		term, err := ptytest.Start(in.Cmd(bin, nil, "hello"))
		if errors.Is(err, ptytest.ErrUnsupported) && runtime.GOOS != "linux" {
			t.Skip("pseudo-terminals are tested on Linux only")
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := term.Wait(); err != nil {
			t.Fatalf("%s hello on a terminal: %v\n%s", bin, err, term.Output())
		}
		return term.Output()
	}
	shows := func(out string) bool { return strings.Contains(out, "DO_NOT_TRACK") }
	for i, step := range []struct {
		bin  string
		want bool
	}{{acmeBin, true}, {acmeBin, false}, {bumped, true}, {bumped, false}} {
		if got := onTTY(step.bin); shows(got) != step.want {
			t.Fatalf("run %d (%s): notice shown %v, want %v:\n%s", i+1, filepath.Base(step.bin), shows(got), step.want, got)
		}
	}
}

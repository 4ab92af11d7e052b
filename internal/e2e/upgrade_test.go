package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"
)

// release010 is the last commit of Waymark 0.1.0 ("One endpoint rule and
// one HTTP transport, both in exporter", 01ad3cc): the state dirs it wrote
// are the ones the current code must adopt. Keep it
// pointing at that commit; CI needs the history that holds it.
const release010 = "01ad3cc6670aa5fcd7b8ce20bdbad3231c76eb38"

// buildRelease010 builds examples/cli as it was at release010, from `git
// archive` of that commit, and returns the binary.
func buildRelease010(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	src := tempDir(t)
	archive := exec.Command("git", "-C", root, "archive", "--format=tar", release010)
	untar := exec.Command("tar", "-x", "-C", src)
	var archErr, tarErr bytes.Buffer
	archive.Stderr, untar.Stderr = &archErr, &tarErr
	pipe, err := archive.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	untar.Stdin = pipe
	if err := untar.Start(); err != nil {
		t.Fatalf("tar: %v", err)
	}
	if err := archive.Run(); err != nil {
		t.Fatalf("git archive %s (the checkout needs the history that holds 0.1.0): %v\n%s", release010, err, archErr.String())
	}
	if err := untar.Wait(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, tarErr.String())
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	bin := filepath.Join(tempDir(t), "acme-0.1.0"+exe)
	build := exec.Command("go", "build", "-o", bin, "./examples/cli")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build acme from %s: %v\n%s", release010, err, out)
	}
	return bin
}

// An install made by 0.1.0 reaches two milestones while
// its endpoint is down; then the current acme runs once with the endpoint
// up. Both milestones arrive, once each, under the installation id 0.1.0
// made (with event.id the UUIDv5 of that id and the name), and the current
// status shows that id and both milestones.
func TestUpgradeFrom010DeliversItsPendingMilestones(t *testing.T) {
	t.Parallel()
	old := buildRelease010(t)
	addr := reservePort(t)
	in := newInstall(t, "http://"+addr)
	for _, step := range []struct{ cmd, out string }{{"hello", hello}, {"deploy", deployed}} {
		r := runCmd(t, in.Cmd(old, nil, step.cmd))
		if r.Code != 0 || r.Stdout != step.out {
			t.Fatalf("0.1.0 acme %s: exit %d, stdout %q, stderr %q", step.cmd, r.Code, r.Stdout, r.Stderr)
		}
	}
	waitIdle(t, old)
	oldStatus := func() map[string]any {
		r := runCmd(t, in.Cmd(old, nil, "telemetry", "status", "--json"))
		var st map[string]any
		if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil || r.Code != 0 {
			t.Fatalf("0.1.0 status: exit %d, %v\n%s%s", r.Code, err, r.Stdout, r.Stderr)
		}
		return st
	}
	st := oldStatus()
	id, _ := st["device_id"].(string)
	if !uuidV4.MatchString(id) || num(st, "pending") < 2 {
		t.Fatalf("0.1.0 left no installation id or fewer than 2 pending events: %s", brief(st))
	}
	// 0.1.0 recorded the failure and a backoff (10 s at most); a run made
	// after it expired uploads, so the one run below is made after it.
	if d, _ := st["delivery"].(map[string]any); d != nil {
		if next, _ := d["next_attempt"].(string); next != "" {
			if at, err := time.Parse(time.RFC3339, next); err == nil && time.Until(at) < 2*time.Minute {
				time.Sleep(time.Until(at) + time.Second)
			}
		}
	}

	col := serveCollector(t, listenOn(t, addr))
	bin := privateAcme(t, hostileBin())
	hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
	last := time.Now()
	both := func() bool {
		got := map[string]bool{}
		for _, m := range col.Named("waymark.milestone") {
			got[m.Attrs["milestone.name"]] = true
		}
		return got["first_run"] && got["first_deploy"]
	}
	if !col.WaitFor(deliveryWait, both) {
		t.Fatalf("after one run of the current acme, milestones received %v; want first_run and first_deploy; status %v",
			col.Named("waymark.milestone"), brief(statusJSON(t, in, nil)))
	}
	if st, ok := waitStatus(t, in, 10*time.Second, func(st map[string]any) bool { return nothingPending(st) }); !ok {
		t.Errorf("events still pending: %s", brief(st))
	}
	requireNoneLeft(t, bin, last)
	count := map[string]int{}
	for _, m := range col.Named("waymark.milestone") {
		name := m.Attrs["milestone.name"]
		count[name]++
		if got := m.Resource["app.installation.id"]; got != id {
			t.Errorf("%s arrived with app.installation.id %q, want %q from 0.1.0", name, got, id)
		}
		inst, err := uuid.Parse(id)
		if err == nil {
			if want := uuid.NewSHA1(inst, []byte(name)).String(); m.Attrs["event.id"] != want {
				t.Errorf("%s event.id %q, want UUIDv5(0.1.0's id, %s) = %s", name, m.Attrs["event.id"], name, want)
			}
		}
	}
	for _, name := range []string{"first_run", "first_deploy"} {
		if count[name] != 1 {
			t.Errorf("%s received %d times, want once", name, count[name])
		}
	}
	now := statusJSON(t, in, nil)
	if now["device_id"] != id {
		t.Errorf("the current status shows device_id %v, want 0.1.0's %s", now["device_id"], id)
	}
	if ms := now["milestones"]; len(asSlice(ms)) != 2 {
		t.Errorf("the current status shows milestones %v, want first_deploy and first_run", ms)
	}
	if _, err := os.Stat(in.StateDir()); err != nil {
		t.Errorf("0.1.0's state dir: %v", err)
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/sample"
	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/store"
)

// statusOf runs `telemetry status --json` for cfg on h.
func statusOf(t *testing.T, cfg Config, h host) Status {
	t.Helper()
	var out bytes.Buffer
	if code := command(cfg, h, []string{"status", "--json"}, &out, &out); code != 0 {
		t.Fatalf("status exit %d: %s", code, out.String())
	}
	var st Status
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out.String())
	}
	return st
}

// Every event of a run under an agent carries agent.name (shown here by debug mode, which
// prints events exactly as they would be sent), and status names the agent.
func TestAgentRunEventsCarryAgentName(t *testing.T) {
	dir := t.TempDir()
	h, errOut := testHost(t, map[string]string{"ACME_TELEMETRY": "debug", "CURSOR_AGENT": "1"})
	c, _ := start(goodConfig(dir), h)
	c.Milestone("first_run")
	c.Shutdown(context.Background())
	out := errOut.String()
	if n := strings.Count(out, `"agent.name":"cursor"`); n < 2 {
		t.Errorf("%d events carry agent.name cursor, want the milestone and the usage ping:\n%s", n, out)
	}
	h2, _ := testHost(t, map[string]string{"CLAUDECODE": "1"})
	if st := statusOf(t, goodConfig(dir), h2); st.Agent == nil || *st.Agent != "claude_code" {
		t.Errorf("status agent = %v, want claude_code", st.Agent)
	}
	h3, errOut3 := testHost(t, map[string]string{"ACME_TELEMETRY": "debug"})
	c3, _ := start(goodConfig(t.TempDir()), h3)
	c3.Shutdown(context.Background())
	if strings.Contains(errOut3.String(), "agent.name") {
		t.Errorf("a run without an agent carries agent.name:\n%s", errOut3.String())
	}
}

// HoldUntilNotice under an agent: the notice can never be shown to a person, so the run
// records nothing (no milestone marked reached, nothing pending) instead of holding events
// forever; a person's run later still reports the milestone.
func TestHoldUntilNoticeUnderAnAgentRecordsNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := goodConfig(dir)
	cfg.HoldUntilNotice = true
	h, _ := testHost(t, map[string]string{"CLAUDECODE": "1"})
	c, _ := start(cfg, h)
	c.Milestone("first_run")
	c.Shutdown(context.Background())
	if st := statusOf(t, cfg, h); st.Pending != 0 || len(st.Milestones) != 0 {
		t.Errorf("agent run under HoldUntilNotice: pending %d, milestones %v; want nothing", st.Pending, st.Milestones)
	}
	hp, _ := testHost(t, map[string]string{})
	hp.stderrTerminal = func() bool { return true }
	c2, _ := start(cfg, hp)
	c2.Milestone("first_run")
	c2.Shutdown(context.Background())
	if st := statusOf(t, cfg, hp); len(st.Milestones) != 1 || st.Pending == 0 {
		t.Errorf("a person's run after it: pending %d, milestones %v; want first_run recorded and pending", st.Pending, st.Milestones)
	}
	// Once the notice was shown, agent runs record as any other.
	c3, _ := start(cfg, h)
	if c3.agentHeld || !c3.uploadAllowed() {
		t.Error("an agent run after the notice was shown is still held")
	}
	c3.Shutdown(context.Background())
}

// An agent's run on a terminal does not show the first-run notice: the agent reads it, not a
// person, and marking it shown would let a HoldUntilNotice product send from later agent runs
// that no person was ever told about. A person's run shows it.
func TestAgentRunOnATerminalLeavesTheNoticeForAPerson(t *testing.T) {
	dir := t.TempDir()
	cfg := goodConfig(dir)
	h, errOut := testHost(t, map[string]string{"CURSOR_AGENT": "1"})
	h.stderrTerminal = func() bool { return true }
	c, _ := start(cfg, h)
	c.Milestone("first_run")
	c.Shutdown(context.Background())
	if strings.Contains(errOut.String(), "telemetry") || c.store.NoticeShown(c.noticeVersion()) {
		t.Errorf("an agent's run showed the notice or marked it shown:\n%s", errOut.String())
	}
	hp, pOut := testHost(t, map[string]string{})
	hp.stderrTerminal = func() bool { return true }
	c2, _ := start(cfg, hp)
	c2.Milestone("first_run")
	c2.Shutdown(context.Background())
	if !strings.Contains(pOut.String(), "telemetry") || !c2.store.NoticeShown(c2.noticeVersion()) {
		t.Errorf("a person's run after the agent's did not show the notice:\n%s", pOut.String())
	}
}

// An install out of the sample keeps its local state and spools nothing, then or after the
// rate is raised; an install in it carries the rate on its events.
func TestOutOfSampleInstallSendsNothingEver(t *testing.T) {
	var outDir, inDir string
	for i := 0; outDir == "" || inDir == ""; i++ {
		dir := t.TempDir()
		h, _ := testHost(t, map[string]string{})
		id, _, err := store.New(statedir.New(dir), h.now).DeviceID()
		if err != nil {
			t.Fatal(err)
		}
		if sample.In(id, 0.25) {
			inDir = dir
		} else {
			outDir = dir
		}
	}
	cfg := goodConfig(outDir)
	cfg.SampleRate = 0.25
	h, errOut := testHost(t, map[string]string{})
	c, _ := start(cfg, h)
	c.Milestone("first_run")
	c.Shutdown(context.Background())
	st := statusOf(t, cfg, h)
	if st.Pending != 0 || len(st.Milestones) != 1 || st.Sample == nil || st.Sample.InSample {
		t.Errorf("out of the sample: pending %d, milestones %v, sample %+v; want nothing pending, first_run kept", st.Pending, st.Milestones, st.Sample)
	}
	var text bytes.Buffer
	command(cfg, h, []string{"status"}, &text, &text)
	if !strings.Contains(text.String(), "not in the sample") {
		t.Errorf("status does not say so:\n%s", text.String())
	}
	// The vendor raises the rate to 1: what was recorded meanwhile is never sent.
	cfg.SampleRate = 1
	c2, _ := start(cfg, h)
	c2.Milestone("first_run")
	c2.Shutdown(context.Background())
	evs, err := export.OpenSpool(statedir.New(outDir), export.SpoolOptions{}).PendingEvents(100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Event == "waymark.milestone" {
			t.Errorf("after raising the rate, the milestone reached out of the sample is pending: %+v", e)
		}
	}
	if errOut.String() != "" {
		t.Errorf("printed %q", errOut.String())
	}

	cfg = goodConfig(inDir)
	cfg.SampleRate = 0.25
	hd, dbg := testHost(t, map[string]string{"ACME_TELEMETRY": "debug"})
	cd, _ := start(cfg, hd)
	cd.Milestone("first_run")
	cd.Shutdown(context.Background())
	if !strings.Contains(dbg.String(), `"waymark.sample_rate":0.25`) {
		t.Errorf("events of a sampled product do not carry the rate:\n%s", dbg.String())
	}
}

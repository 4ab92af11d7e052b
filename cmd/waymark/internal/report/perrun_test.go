package report

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recordLine is one install's line with one record of event at at, with extra attributes
// (JSON key/value objects) after event.id.
func recordLine(install, event string, at time.Time, n int, extra ...string) string {
	attrs := append([]string{fmt.Sprintf(`{"key":"event.id","value":{"stringValue":"%s-%04d-4000-8000-000000000000"}}`, install[:8], n)}, extra...)
	rec := fmt.Sprintf(`{"timeUnixNano":"%d","eventName":"%s","attributes":[%s]}`, at.UnixNano(), event, strings.Join(attrs, ","))
	return fmt.Sprintf(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"acme"}},{"key":"app.installation.id","value":{"stringValue":"%s"}}]},"scopeLogs":[{"logRecords":[%s]}]}]}`+"\n", install, rec)
}

func agentAttr(name string) string {
	return fmt.Sprintf(`{"key":"agent.name","value":{"stringValue":"%s"}}`, name)
}

func rateAttr(r float64) string {
	return fmt.Sprintf(`{"key":"waymark.sample_rate","value":{"doubleValue":%v}}`, r)
}

// Installs with runs made by agents are counted per agent among the installs active in the
// range, with their share; an install counts once per agent however many runs it made.
func TestAgentsCountedPerInstallAndAgent(t *testing.T) {
	at := simNow.Add(-2 * time.Hour)
	var b strings.Builder
	all := ids(10, 500)
	for i, id := range all {
		switch {
		case i < 3: // Claude Code, twice each
			b.WriteString(recordLine(id, EventUsage, at, 1, agentAttr("claude_code")))
			b.WriteString(recordLine(id, EventUsage, at.Add(time.Minute), 2, agentAttr("claude_code")))
		case i < 5:
			b.WriteString(recordLine(id, EventUsage, at, 1, agentAttr("cursor")))
		default:
			b.WriteString(recordLine(id, EventUsage, at, 1))
		}
	}
	// A value outside the closed set is what the collector drops: left out.
	b.WriteString(recordLine(ids(1, 900)[0], EventUsage, at, 1, agentAttr("devin")))
	aggs, _ := aggregateText(t, b.String(), Query{Now: simNow, RangeDays: 30})
	g := aggs["acme"]
	if g.Agents["claude_code"] != 3 || g.Agents["cursor"] != 2 || len(g.Agents) != 2 {
		t.Fatalf("agents = %v, want claude_code 3, cursor 2", g.Agents)
	}
	p := Build(Options{Query: Query{Now: simNow, RangeDays: 30}}, aggs).Products["acme"]
	if p.Agents["claude_code"].N != 3 || p.AgentShares["claude_code"] != (Share{V: 0.3, Known: true}) {
		t.Errorf("report agents %v, shares %v; want claude_code 3 of 10 active (0.3)", p.Agents, p.AgentShares)
	}
	if p.Estimate || p.SampleRate != 1 {
		t.Errorf("an unsampled product is marked estimate %v, rate %v", p.Estimate, p.SampleRate)
	}
}

// A sampled product's counts are scaled by the inverse of its rate and marked as estimates.
func TestSampledCountsAreScaledEstimates(t *testing.T) {
	at := simNow.Add(-2 * time.Hour)
	var b strings.Builder
	for _, id := range ids(7, 100) {
		b.WriteString(recordLine(id, EventUsage, at, 1, rateAttr(0.25)))
	}
	aggs, _ := aggregateText(t, b.String(), Query{Now: simNow, RangeDays: 30})
	p := Build(Options{Query: Query{Now: simNow, RangeDays: 30}}, aggs).Products["acme"]
	if !p.Estimate || p.SampleRate != 0.25 || p.Installs30d != 28 || p.Active.Current != 28 {
		t.Fatalf("estimate %v, rate %v, installs_30d %d, active %d; want true, 0.25, 28, 28", p.Estimate, p.SampleRate, p.Installs30d, p.Active.Current)
	}
	var text strings.Builder
	WriteText(&text, &Report{Products: map[string]*Product{"acme": p}})
	if !strings.Contains(text.String(), "estimate") {
		t.Errorf("the text report does not say the counts are estimates:\n%s", text.String())
	}
}

// A vendor that stops sampling (rate 1, which its events no longer carry) gets plain counts
// again from its next event on: the rate is that of the product's latest event, and an event
// without the attribute was sent at rate 1.
func TestRateOneAfterSamplingEndsTheEstimate(t *testing.T) {
	var b strings.Builder
	for _, id := range ids(7, 300) {
		b.WriteString(recordLine(id, EventUsage, simNow.Add(-48*time.Hour), 1, rateAttr(0.25)))
	}
	for _, id := range ids(7, 300) {
		b.WriteString(recordLine(id, EventUsage, simNow.Add(-2*time.Hour), 2))
	}
	aggs, _ := aggregateText(t, b.String(), Query{Now: simNow, RangeDays: 30})
	p := Build(Options{Query: Query{Now: simNow, RangeDays: 30}}, aggs).Products["acme"]
	if p.Estimate || p.SampleRate != 1 || p.Installs30d != 7 {
		t.Errorf("estimate %v, rate %v, installs_30d %d; want false, 1, 7 (the product sends from every install now)", p.Estimate, p.SampleRate, p.Installs30d)
	}
}

// An install that asked for erasure is in no count, whenever the request came, even before
// `waymark erase` removed its records; the other installs are untouched.
func TestErasedInstallsAreLeftOut(t *testing.T) {
	at := simNow.Add(-2 * time.Hour)
	gone, kept := ids(2, 700)[0], ids(2, 700)[1]
	content := recordLine(gone, EventUsage, at, 1, agentAttr("cursor")) +
		recordLine(gone, EventMilestone, at, 2, `{"key":"milestone.name","value":{"stringValue":"first_run"}}`) +
		recordLine(kept, EventUsage, at, 1) +
		recordLine(gone, EventErasure, simNow.Add(time.Hour), 3) // after --now: still applies
	aggs, _ := aggregateText(t, content, Query{Now: simNow, RangeDays: 30})
	g := aggs["acme"]
	if g.Installs30d != 1 || g.Active != 1 || len(g.Agents) != 0 {
		t.Errorf("installs_30d %d, active %d, agents %v; want only the install that did not ask", g.Installs30d, g.Active, g.Agents)
	}
	for _, f := range g.Funnel {
		if f.Installs != 0 {
			t.Errorf("funnel step %s counts %d installs", f.Milestone, f.Installs)
		}
	}
}

// A record of an install that `waymark erase` erased before, stored after it ran (a late
// duplicate), is left out by the registry's salted hash until the next erase removes it.
func TestLateRecordsOfErasedInstallsAreLeftOut(t *testing.T) {
	at := simNow.Add(-2 * time.Hour)
	gone, kept := ids(2, 800)[0], ids(2, 800)[1]
	dir := t.TempDir()
	salt := []byte("0123456789abcdef0123456789abcdef")
	reg, _ := json.Marshal(Erased{Salt: hex.EncodeToString(salt), Hashes: []string{SaltedHash(salt, gone)}})
	if err := os.WriteFile(filepath.Join(dir, ErasedName), reg, 0o600); err != nil {
		t.Fatal(err)
	}
	content := recordLine(gone, EventUsage, at, 1) + recordLine(kept, EventUsage, at, 1)
	if err := os.WriteFile(filepath.Join(dir, "logs.jsonl"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	aggs, err := Files{Paths: []string{dir}, Warn: func(m string) { warnings = append(warnings, m) }}.Aggregate(Query{Now: simNow, RangeDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	if g := aggs["acme"]; g.Installs30d != 1 || len(warnings) != 0 {
		t.Errorf("installs_30d %d (warnings %v); want 1: the erased install's late record left out", g.Installs30d, warnings)
	}
}

// Whatever the registry file holds, the report reads it or warns, and never fails or panics.
func FuzzReadErased(f *testing.F) {
	f.Add([]byte(`{"salt":"00ff","erased":["ab"]}`))
	f.Add([]byte(`{"salt":"zz","erased":null}`))
	f.Add([]byte("\x00{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ErasedName), data, 0o600); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "logs.jsonl"), []byte(recordLine(ids(1, 5)[0], EventUsage, simNow.Add(-time.Hour), 1)), 0o600)
		aggs, err := Files{Paths: []string{dir}}.Aggregate(Query{Now: simNow, RangeDays: 7})
		if err != nil {
			t.Fatal(err)
		}
		if aggs["acme"] == nil {
			t.Fatal("the product is gone")
		}
	})
}

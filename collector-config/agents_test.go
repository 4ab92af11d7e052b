package collectorconfig_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/collector-config/logsql"
	"github.com/waymarkhq/waymark/internal/ptytest"
	"github.com/waymarkhq/waymark/internal/sample"
)

// The tests here run the real example CLI (and a sampled twin of it) as fresh installs against
// the real collector with ingest.yaml and victorialogs.yaml, feeding a real VictoriaLogs started
// with -delete.enable, and read the results with the real `waymark report` and `waymark erase`.

// perRunStack starts VictoriaLogs (with its delete API) and a collector that writes its files
// and feeds it.
func perRunStack(t *testing.T) (*collector, string) {
	t.Helper()
	collectorBinary(t)
	vl, _ := startVictoriaLogs(t, "-delete.enable")
	c := startCollector(t, []string{"victorialogs.yaml"}, "WAYMARK_VICTORIALOGS_URL="+vl)
	return c, vl
}

// installRun runs bin with args as the install whose home is home, with extra environment,
// and returns its combined output.
func installRun(t *testing.T, bin, endpoint, home string, extra []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(exampleEnv(endpoint, home), extra...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// installID reads the installation id of the install whose home is home.
func installID(t *testing.T, home string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "acme-telemetry", "device_id"))
	if err != nil {
		t.Fatalf("installation id: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// productReport runs `waymark report --json` with args and returns the acme section's keys.
func productReport(t *testing.T, args ...string) map[string]json.RawMessage {
	t.Helper()
	bin := goBuild(t, "cmd/waymark", "waymark")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, append([]string{"report", "--json"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("waymark report %q: %v\n%s", args, err, stderr.String())
	}
	var all struct {
		Products map[string]map[string]json.RawMessage `json:"products"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &all); err != nil {
		t.Fatalf("waymark report --json: %v\n%s", err, stdout.String())
	}
	return all.Products["acme"]
}

// field decodes one key of a report section into v.
func field(t *testing.T, section map[string]json.RawMessage, key string, v any) {
	t.Helper()
	if err := json.Unmarshal(section[key], v); err != nil {
		t.Fatalf("report key %s = %s: %v", key, section[key], err)
	}
}

// vlCount counts the records VictoriaLogs holds that match filter.
func vlCount(t *testing.T, vl, filter string) int {
	t.Helper()
	rows, err := logsql.Run(context.Background(), http.DefaultClient, vl, filter+" | stats count() as n", time.Now())
	if err != nil || len(rows) != 1 {
		t.Fatalf("VictoriaLogs %q: %v %v", filter, rows, err)
	}
	n, _ := strconv.Atoi(rows[0]["n"])
	return n
}

// storedInstalls is the set of installation ids in the collector's log files.
func storedInstalls(t *testing.T, c *collector) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for path, content := range c.storedFiles(t) {
		if !strings.HasSuffix(path, ".jsonl") || strings.Contains(filepath.Base(path), "metrics") {
			continue
		}
		for rest := content; ; {
			const marker = `"key":"app.installation.id","value":{"stringValue":"`
			i := strings.Index(rest, marker)
			if i < 0 {
				break
			}
			rest = rest[i+len(marker):]
			ids[rest[:36]] = true
		}
	}
	return ids
}

// TestAgentRunsAreTaggedAndCounted: runs of the example CLI under CLAUDECODE=1 (three
// installs) and CURSOR_AGENT=1 (two) reach the collector and VictoriaLogs with agent.name;
// `waymark report` counts 3 Claude Code and 2 Cursor installs, from the files and from
// VictoriaLogs alike; `acme crash` on a pseudo-terminal under an agent asks nothing, sends no
// report and ends within 5 s.
func TestAgentRunsAreTaggedAndCounted(t *testing.T) {
	c, vl := perRunStack(t)
	acme := goBuild(t, "examples/cli", "acme")
	agents := [][]string{{"CLAUDECODE=1"}, {"CLAUDECODE=1"}, {"CLAUDECODE=1"}, {"CURSOR_AGENT=1"}, {"CURSOR_AGENT=1"}, nil}
	for _, env := range agents {
		installRun(t, acme, c.Endpoint, scratchDir(t), env, "hello")
	}

	want := map[string]int{"claude_code": 3, "cursor": 2}
	var files map[string]int
	if !waitFor(60*time.Second, func() bool {
		s := productReport(t, c.DataDir)
		if s == nil {
			return false
		}
		field(t, s, "agents", &files)
		var n int
		field(t, s, "installs_30d", &n)
		return n >= 6 && equalCounts(files, want)
	}) {
		t.Fatalf("report over the files: agents %v, want %v\ncollector:\n%s", files, want, c.output)
	}
	var vlAgents map[string]int
	if !waitFor(60*time.Second, func() bool {
		s := productReport(t, "--victorialogs", vl)
		if s == nil {
			return false
		}
		field(t, s, "agents", &vlAgents)
		return equalCounts(vlAgents, want)
	}) {
		t.Fatalf("report over VictoriaLogs: agents %v, want %v", vlAgents, want)
	}
	if n := vlCount(t, vl, `agent.name:="claude_code"`); n < 3 {
		t.Errorf("VictoriaLogs holds %d records with agent.name claude_code, want at least 3", n)
	}
	s := productReport(t, c.DataDir)
	var shares map[string]float64
	field(t, s, "agent_shares", &shares)
	var active struct{ Current int }
	field(t, s, "active", &active)
	if got := shares["claude_code"]; math.Abs(got-3/float64(active.Current)) > 1e-4 {
		t.Errorf("claude_code's share %v of %d active installs, want 3/%d", got, active.Current, active.Current)
	}

	// The crash, on a terminal, under an agent (after the counts: its run is an agent run too).
	home := scratchDir(t)
	cmd := exec.Command(acme, "crash", "boom under an agent")
	cmd.Env = append(exampleEnv(c.Endpoint, home), "CLAUDECODE=1")
	start := time.Now()
	term, err := ptytest.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- term.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("acme crash exited 0 under an agent:\n%s", term.Output())
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("acme crash under an agent still runs after 5 s:\n%s", term.Output())
	}
	if out := term.Output(); strings.Contains(out, "[y/N]") {
		t.Errorf("acme crash under an agent prompted:\n%s", out)
	}
	t.Logf("acme crash under CLAUDECODE=1 on a terminal ended after %v", time.Since(start).Round(time.Millisecond))

	time.Sleep(2 * time.Second) // its uploader, had it queued a report
	stored := c.stored(t)
	if strings.Contains(stored, "waymark.error_report") || strings.Contains(stored, "boom under an agent") {
		t.Error("an error report was sent from a run under an agent")
	}
	for path, content := range c.storedFiles(t) {
		if strings.HasSuffix(path, ".jsonl") { // not the queue databases
			checkSchema(t, path, content)
		}
	}
}

// equalCounts reports whether got equals want.
func equalCounts(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// TestSampledInstallsSendAQuarter: a CLI with SampleRate 0.25 run as 120 new installs; exactly
// the installs whose id hashes under the rate send (roughly a quarter: binomial bounds 12..48),
// with waymark.sample_rate; the others keep their state, say "not in the sample" and hold
// nothing pending; running all of them again adds no install; the report scales by 4 and calls
// its counts estimates, from the files and from VictoriaLogs alike.
func TestSampledInstallsSendAQuarter(t *testing.T) {
	c, vl := perRunStack(t)
	bin := goBuild(t, "collector-config/testdata/sampled", "sampled")
	const n = 120
	homes := make([]string, n)
	in := map[string]bool{}
	var out []string
	for i := range homes {
		homes[i] = scratchDir(t)
		installRun(t, bin, c.Endpoint, homes[i], nil, "hello")
		id := installID(t, homes[i])
		if sample.In(id, 0.25) {
			in[id] = true
		} else {
			out = append(out, homes[i])
		}
	}
	t.Logf("%d of %d installs are in the 0.25 sample", len(in), n)
	if len(in) < 12 || len(in) > 48 {
		t.Errorf("%d of %d installs in a 0.25 sample; want 12..48 (binomial, 4.4 standard deviations)", len(in), n)
	}
	sameSet := func() bool {
		got := storedInstalls(t, c)
		if len(got) != len(in) {
			return false
		}
		for id := range got {
			if !in[id] {
				return false
			}
		}
		return true
	}
	if !waitFor(90*time.Second, sameSet) {
		t.Fatalf("the collector stored %d installs, want exactly the %d in the sample", len(storedInstalls(t, c)), len(in))
	}
	if !strings.Contains(c.stored(t), `"key":"waymark.sample_rate","value":{"doubleValue":0.25}`) {
		t.Error("stored events do not carry waymark.sample_rate 0.25")
	}
	for _, home := range out[:min(len(out), 5)] {
		status := installRun(t, bin, c.Endpoint, home, nil, "telemetry", "status")
		if !strings.Contains(status, "not in the sample") {
			t.Errorf("status of an install out of the sample does not say so:\n%s", status)
		}
		var st struct {
			Pending    int      `json:"pending"`
			Milestones []string `json:"milestones"`
			Sample     struct {
				Rate     float64 `json:"rate"`
				InSample bool    `json:"in_sample"`
			} `json:"sample"`
		}
		if err := json.Unmarshal([]byte(installRun(t, bin, c.Endpoint, home, nil, "telemetry", "status", "--json")), &st); err != nil {
			t.Fatal(err)
		}
		if st.Pending != 0 || !slices.Equal(st.Milestones, []string{"first_run"}) || st.Sample.InSample || st.Sample.Rate != 0.25 {
			t.Errorf("an install out of the sample: pending %d, milestones %v, sample %+v; want nothing pending, first_run kept locally", st.Pending, st.Milestones, st.Sample)
		}
	}

	// Running every install again adds none.
	for _, home := range homes {
		installRun(t, bin, c.Endpoint, home, nil, "hello")
	}
	time.Sleep(3 * time.Second) // the uploaders of the second runs, had any started
	if !sameSet() {
		t.Errorf("after the second runs the collector holds %d installs, want still exactly the %d in the sample", len(storedInstalls(t, c)), len(in))
	}

	for _, args := range [][]string{{c.DataDir}, {"--victorialogs", vl}} {
		var s map[string]json.RawMessage
		var installs int
		want := int(math.Round(float64(len(in)) / 0.25))
		if !waitFor(60*time.Second, func() bool {
			s = productReport(t, args...)
			if s == nil {
				return false
			}
			field(t, s, "installs_30d", &installs)
			return installs == want
		}) {
			t.Fatalf("report %v: installs_30d %d, want %d (the %d in the sample, scaled by 4)", args, installs, want, len(in))
		}
		var estimate bool
		var rate float64
		field(t, s, "estimate", &estimate)
		field(t, s, "sample_rate", &rate)
		if !estimate || rate != 0.25 {
			t.Errorf("report %v: estimate %v, sample_rate %v; want true, 0.25", args, estimate, rate)
		}
	}
	text, err := exec.Command(goBuild(t, "cmd/waymark", "waymark"), "report", c.DataDir).Output()
	if err != nil || !strings.Contains(string(text), "estimate") {
		t.Errorf("the text report does not call its counts estimates (%v):\n%s", err, text)
	}
}

// TestErasureLeavesNoTrace: two installs deliver; one runs `acme telemetry disable --erase`;
// the reports (files and VictoriaLogs) leave it out at once; after `waymark erase` its id is in
// no collector file and not in VictoriaLogs, and the other install is untouched in both. An
// install offline when it asks keeps only the request, which a later run delivers.
func TestErasureLeavesNoTrace(t *testing.T) {
	c, vl := perRunStack(t)
	acme := goBuild(t, "examples/cli", "acme")
	waymark := goBuild(t, "cmd/waymark", "waymark")
	goneHome, keptHome, offlineHome := scratchDir(t), scratchDir(t), scratchDir(t)
	for _, h := range []string{goneHome, keptHome, offlineHome} {
		installRun(t, acme, c.Endpoint, h, nil, "hello")
	}
	gone, kept, offline := installID(t, goneHome), installID(t, keptHome), installID(t, offlineHome)
	delivered := func(id string) bool {
		return strings.Contains(c.stored(t), id) && vlCount(t, vl, `app.installation.id:="`+id+`"`) > 0
	}
	if !waitFor(60*time.Second, func() bool { return delivered(gone) && delivered(kept) && delivered(offline) }) {
		t.Fatalf("the three installs did not reach the collector and VictoriaLogs\ncollector:\n%s", c.output)
	}
	// `telemetry show` knows the events reached the collector once the uploader wrote its ledger.
	if !waitFor(30*time.Second, func() bool {
		return strings.Contains(installRun(t, acme, c.Endpoint, goneHome, nil, "telemetry", "show"), "first_run") &&
			strings.Contains(installRun(t, acme, c.Endpoint, offlineHome, nil, "telemetry", "show"), "first_run")
	}) {
		t.Fatal("the ledger of sent events never listed first_run")
	}
	keptFiles := vlCount(t, vl, `app.installation.id:="`+kept+`"`)

	out := installRun(t, acme, c.Endpoint, goneHome, nil, "telemetry", "disable", "--erase")
	if !strings.Contains(out, "erase everything it collected from installation "+gone) || !strings.Contains(out, "delivered") {
		t.Errorf("disable --erase does not say what was asked and that it was delivered:\n%s", out)
	}
	if !waitFor(30*time.Second, func() bool {
		return strings.Contains(c.stored(t), `"waymark.erasure"`) && vlCount(t, vl, `event_name:="waymark.erasure"`) == 1
	}) {
		t.Fatal("the erasure request did not reach the collector's files and VictoriaLogs")
	}

	// Offline: only the request stays, and a later run delivers it.
	out = installRun(t, acme, "http://127.0.0.1:9", offlineHome, nil, "telemetry", "disable", "--erase")
	if !strings.Contains(out, "stays pending") {
		t.Errorf("disable --erase offline does not say the request is pending:\n%s", out)
	}
	var st struct {
		DeviceID *string `json:"device_id"`
		Pending  int     `json:"pending"`
		Erasure  *struct {
			InstallationID string `json:"installation_id"`
		} `json:"erasure"`
	}
	json.Unmarshal([]byte(installRun(t, acme, c.Endpoint, offlineHome, nil, "telemetry", "status", "--json")), &st)
	if st.Erasure == nil || st.Erasure.InstallationID != offline || st.DeviceID != nil || st.Pending != 0 {
		t.Errorf("status after an offline erase: erasure %+v, device_id %v, pending %d; want only the request", st.Erasure, st.DeviceID, st.Pending)
	}
	installRun(t, acme, c.Endpoint, offlineHome, nil, "hello") // telemetry is off; the request goes out
	if !waitFor(30*time.Second, func() bool { return vlCount(t, vl, `event_name:="waymark.erasure"`) == 2 }) {
		t.Fatal("a later run did not deliver the pending erasure request")
	}
	if !waitFor(15*time.Second, func() bool {
		st.Erasure = nil
		json.Unmarshal([]byte(installRun(t, acme, c.Endpoint, offlineHome, nil, "telemetry", "status", "--json")), &st)
		return st.Erasure == nil
	}) {
		t.Error("the delivered erasure request is still pending in status")
	}

	// Before `waymark erase`, the reports already leave both out.
	for _, args := range [][]string{{c.DataDir}, {"--victorialogs", vl}} {
		var n int
		field(t, productReport(t, args...), "installs_30d", &n)
		if n != 1 {
			t.Errorf("report %v before waymark erase: installs_30d %d, want 1 (only the install that did not ask)", args, n)
		}
	}

	// The collector appends to its current files: stop it, as README.md's procedure says.
	if err := c.stop(t, 10*time.Second); err != nil {
		t.Fatalf("collector stop: %v\n%s", err, c.output)
	}
	keptBefore := entriesOf(t, c.stored(t), kept)
	for range 2 { // again and again: the second run finds nothing to do
		cmd := exec.Command(waymark, "erase", "--victorialogs", vl, "--collector-stopped", c.DataDir)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("waymark erase: %v\n%s", err, b)
		}
		t.Logf("waymark erase: %s", strings.TrimSpace(string(b)))
	}
	// Then the collector starts again, as the procedure says: its queue databases compact at
	// start, which drops the pages that still held the raw ids of records already delivered.
	c2 := startCollectorIn(t, c.DataDir, []string{"victorialogs.yaml"}, "WAYMARK_VICTORIALOGS_URL="+vl)
	if err := c2.stop(t, 10*time.Second); err != nil {
		t.Fatalf("collector stop after the restart: %v\n%s", err, c2.output)
	}
	for path, content := range c.storedFiles(t) {
		for _, id := range []string{gone, offline} {
			if strings.Contains(strings.ToLower(content), id) {
				t.Errorf("%s still holds erased id %s", path, id)
			}
		}
	}
	for _, id := range []string{gone, offline} {
		if n := vlCount(t, vl, `app.installation.id:="`+id+`"`); n != 0 {
			t.Errorf("VictoriaLogs still holds %d records with erased id %s", n, id)
		}
	}
	rows, err := logsql.Run(context.Background(), http.DefaultClient, vl, `* | stats count_uniq(app.installation.id) as installs`, time.Now())
	if err != nil || len(rows) != 1 || rows[0]["installs"] != "1" {
		t.Errorf("VictoriaLogs holds installs %v (%v); want only the one that did not ask", rows, err)
	}
	if got := entriesOf(t, c.stored(t), kept); got != keptBefore || got == "" {
		t.Errorf("the other install's records changed in the files:\nbefore:\n%s\nafter:\n%s", keptBefore, got)
	}
	if n := vlCount(t, vl, `app.installation.id:="`+kept+`"`); n != keptFiles {
		t.Errorf("VictoriaLogs holds %d records of the other install, had %d", n, keptFiles)
	}
	for path, content := range c.storedFiles(t) {
		if strings.HasSuffix(path, ".jsonl") {
			checkSchema(t, path, content)
		}
	}
}

// entriesOf returns, sorted, the resource entries (resourceLogs and resourceMetrics items, as
// stored) of the install id in the collector's lines s: its records, whatever else shares
// their lines.
func entriesOf(t *testing.T, s, id string) string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, id) {
			continue
		}
		var top map[string][]json.RawMessage
		if err := json.Unmarshal([]byte(l), &top); err != nil {
			t.Fatalf("a stored line is no OTLP JSON: %v", err)
		}
		for _, entries := range top {
			for _, e := range entries {
				if strings.Contains(string(e), `"stringValue":"`+id+`"`) {
					out = append(out, string(e))
				}
			}
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

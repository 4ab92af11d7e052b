package collectorconfig_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"

	"github.com/waymarkhq/waymark/collector-config/internal/knowndata"
	"github.com/waymarkhq/waymark/collector-config/logsql"
)

// startVictoriaLogs runs VictoriaLogs with the retention of the collector's files (400 days)
// on a loopback port, with extra flags, and returns its base URL.
func startVictoriaLogs(t *testing.T, extra ...string) (string, *process) {
	t.Helper()
	bin := backendBinary(t, "victoria-logs", "WAYMARK_VICTORIALOGS")
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	args := append([]string{
		fmt.Sprintf("-httpListenAddr=127.0.0.1:%d", port),
		"-storageDataPath=" + t.TempDir(),
		"-retentionPeriod=400d",
		"-loggerLevel=ERROR",
	}, extra...)
	return base, startBackend(t, exec.Command(bin, args...), base, "/health")
}

// history is a known data set: its events, the OTLP requests that carry them (some sent
// twice, as SDK retries do) and how many log records those requests hold.
type history struct {
	now     time.Time
	events  []knowndata.Event
	reqs    []*logspb.LogsData
	records int
	dupErrs int // error reports sent twice
}

// knownHistory generates the test's history: 60 days of 300 + 50 CLI installs and a dozen
// server sessions, ending at now.
func knownHistory(t *testing.T, now time.Time) history {
	t.Helper()
	h := history{now: now}
	err := knowndata.Generate(knowndata.Config{Seed: 11, Now: now, Days: 60, Installs: 300, Servers: true}, func(evs []knowndata.Event) error {
		h.events = append(h.events, evs...)
		for _, r := range knowndata.Requests(evs, 100) {
			h.reqs = append(h.reqs, r)
			n := len(r.ResourceLogs[0].ScopeLogs[0].LogRecords)
			h.records += n
			if len(h.reqs)%10 == 0 {
				h.reqs = append(h.reqs, r) // a retry: the same records, event.id included
				h.records += n
				for _, rec := range r.ResourceLogs[0].ScopeLogs[0].LogRecords {
					if rec.EventName == knowndata.Error {
						h.dupErrs++
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.dupErrs == 0 {
		t.Fatal("the history sends no error report twice; change the seed")
	}
	return h
}

// expectedAnswers computes, from the events themselves and without LogsQL, what every query
// of package logsql must return at now: query name → row key (Group values joined by " | ")
// → Values joined by " | ".
func expectedAnswers(evs []knowndata.Event, now time.Time) map[string]map[string]string {
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	in := func(t time.Time, d time.Duration) bool { return !t.Before(now.Add(-d)) && t.Before(now) }
	key := func(parts ...string) string { return strings.Join(parts, " | ") }
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	// Go truncates to multiples since 0001-01-01, a Monday at midnight UTC: so these are UTC
	// days and Monday-based UTC weeks, computed independently of LogsQL's bucket offsets.
	dayOf := func(t time.Time) string { return ts(t.Truncate(day)) }

	distinct := map[string]map[string]map[string]bool{} // query → key → ids
	add := func(q, k, id string) {
		if distinct[q] == nil {
			distinct[q] = map[string]map[string]bool{}
		}
		if distinct[q][k] == nil {
			distinct[q][k] = map[string]bool{}
		}
		distinct[q][k][id] = true
	}
	type pi = [2]string // product, install
	first := map[pi]time.Time{}
	reached := map[pi]map[string]bool{}
	latest := map[pi]knowndata.Event{}
	latestOfDay := map[[3]string]knowndata.Event{} // product, install, day
	type session struct {
		last     time.Time
		interval time.Duration
	}
	sessions := map[pi]*session{}
	activeWeeks := map[pi]map[time.Time]bool{}

	for _, e := range evs {
		p, k := e.Product, pi{e.Product, e.Install}
		if f, ok := first[k]; !ok || e.Time.Before(f) {
			first[k] = e.Time
		}
		if e.Name == knowndata.Milestone {
			if reached[k] == nil {
				reached[k] = map[string]bool{}
			}
			reached[k][e.Milestone] = true
		}
		if in(e.Time, 30*day) {
			add("installs_30d", p, e.Install)
			add("daily", key(p, dayOf(e.Time)), e.Install)
			dk := [3]string{p, e.Install, dayOf(e.Time)}
			if l, ok := latestOfDay[dk]; !ok || e.Time.After(l.Time) {
				latestOfDay[dk] = e
			}
			if l, ok := latest[k]; !ok || e.Time.After(l.Time) {
				latest[k] = e
			}
			if e.Name == knowndata.Error {
				add("errors.reports", key(p, e.ErrType, e.ErrMsg), e.ID)
				add("errors.installs", key(p, e.ErrType, e.ErrMsg), e.Install)
			}
		}
		if in(e.Time, day) {
			add("installs_1d", p, e.Install)
		}
		if e.Name == knowndata.Heartbeat && in(e.Time, 2*day) {
			sk := pi{p, e.Session}
			if s := sessions[sk]; s == nil || e.Time.After(s.last) {
				sessions[sk] = &session{e.Time, e.Interval}
			}
		}
		if in(e.Time, 12*week) {
			if activeWeeks[k] == nil {
				activeWeeks[k] = map[time.Time]bool{}
			}
			activeWeeks[k][e.Time.Truncate(week)] = true
		}
	}
	for k, f := range first {
		if in(f, 30*day) {
			add("new_installs", key(k[0], dayOf(f)), k[1])
			for m := range reached[k] {
				add("funnel", key(k[0], m), k[1])
			}
		}
		if in(f, 12*week) {
			cohort := f.Truncate(week)
			for w := range activeWeeks[k] {
				add("retention", key(k[0], ts(cohort), strconv.Itoa(int(w.Sub(cohort)/week))), k[1])
			}
		}
	}
	for dk, e := range latestOfDay {
		add("version_adoption", key(dk[0], dk[2], e.Version), dk[1])
	}
	for k, e := range latest {
		add("versions", key(k[0], e.Version), k[1])
		add("platforms", key(k[0], e.OS, e.Arch), k[1])
	}
	for sk, s := range sessions {
		iv := s.interval
		if iv == 0 {
			iv = 10 * time.Minute // the SDK's default, as the report assumes
		}
		iv = min(iv, day)
		if !s.last.Add(2 * iv).Before(now) {
			add("servers_live", sk[0], sk[1])
		}
	}

	out := map[string]map[string]string{}
	for _, q := range logsql.Queries() {
		out[q.Name] = map[string]string{}
	}
	for q, keys := range distinct {
		if strings.HasPrefix(q, "errors.") {
			continue
		}
		for k, ids := range keys {
			out[q][k] = strconv.Itoa(len(ids))
		}
	}
	for k, ids := range distinct["errors.reports"] {
		out["errors"][k] = key(strconv.Itoa(len(ids)), strconv.Itoa(len(distinct["errors.installs"][k])))
	}
	return out
}

// vlAnswers runs every query of package logsql on the VictoriaLogs at base, evaluated at now,
// and returns the rows in the form of expectedAnswers, and each query's duration.
func vlAnswers(t *testing.T, base string, now time.Time) (map[string]map[string]string, map[string]time.Duration) {
	t.Helper()
	ctx := context.Background()
	c := &http.Client{Timeout: 2 * time.Minute}
	out := map[string]map[string]string{}
	took := map[string]time.Duration{}
	for _, q := range logsql.Queries() {
		start := time.Now()
		rows, err := logsql.Run(ctx, c, base, q.LogsQL, now)
		took[q.Name] = time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		m := map[string]string{}
		for _, r := range rows {
			var k, v []string
			for _, f := range q.Group {
				k = append(k, r[f])
			}
			for _, f := range q.Values {
				v = append(v, r[f])
			}
			ks := strings.Join(k, " | ")
			if _, dup := m[ks]; dup {
				t.Errorf("%s: two rows for %q", q.Name, ks)
			}
			m[ks] = strings.Join(v, " | ")
		}
		out[q.Name] = m
	}
	return out, took
}

// diffAnswers reports every difference between got and want, per query.
func diffAnswers(t *testing.T, what string, got, want map[string]map[string]string) {
	t.Helper()
	for _, q := range logsql.Queries() {
		g, w := got[q.Name], want[q.Name]
		var diffs []string
		for k, wv := range w {
			if g[k] != wv {
				diffs = append(diffs, fmt.Sprintf("  %s: got %q, want %q", k, g[k], wv))
			}
		}
		for k, gv := range g {
			if _, ok := w[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("  %s: got %q, want no row", k, gv))
			}
		}
		sort.Strings(diffs)
		if len(diffs) > 0 {
			if len(diffs) > 20 {
				diffs = append(diffs[:20], fmt.Sprintf("  … %d more", len(diffs)-20))
			}
			t.Errorf("%s: %s differs (%d rows wanted):\n%s", what, q.Name, len(w), strings.Join(diffs, "\n"))
		}
	}
}

// waitStored waits until the VictoriaLogs at base holds want log records.
func waitStored(t *testing.T, base string, want int, logs ...fmt.Stringer) {
	t.Helper()
	ctx := context.Background()
	var got string
	ok := waitFor(2*time.Minute, func() bool {
		rows, err := logsql.Run(ctx, http.DefaultClient, base, `* | stats count() as records`, time.Now())
		if err != nil || len(rows) != 1 {
			return false
		}
		got = rows[0]["records"]
		return got == strconv.Itoa(want)
	})
	if !ok {
		var out strings.Builder
		for _, l := range logs {
			out.WriteString(l.String())
		}
		t.Fatalf("VictoriaLogs at %s holds %s records, want %d\n%s", base, got, want, out.String())
	}
}

// testNow is the end of the test history: the last whole minute, so that every event is in
// the past for VictoriaLogs (which refuses timestamps beyond its future retention).
func testNow() time.Time { return time.Now().UTC().Truncate(time.Minute) }

// TestVictoriaLogs sends a known history through the real collector (ingest.yaml +
// victorialogs.yaml) into a real VictoriaLogs and checks that every query of README.md
// returns exactly the counts computed from the events themselves.
func TestVictoriaLogs(t *testing.T) {
	collectorBinary(t)
	vl, vlp := startVictoriaLogs(t)
	c := startCollector(t, []string{"victorialogs.yaml"}, "WAYMARK_VICTORIALOGS_URL="+vl)
	now := testNow()
	h := knownHistory(t, now)
	sendAll(t, c.Endpoint+"/v1/logs", h.reqs, 4)
	waitStored(t, vl, h.records, c.output, vlp.output)

	got, took := vlAnswers(t, vl, now)
	want := expectedAnswers(h.events, now)
	diffAnswers(t, "single node", got, want)
	for _, q := range logsql.Queries() {
		if len(want[q.Name]) == 0 {
			t.Errorf("%s: the history gives no row at all; the test proves nothing", q.Name)
		}
		t.Logf("%-16s %3d rows  %v", q.Name, len(got[q.Name]), took[q.Name].Round(time.Millisecond))
	}
	t.Logf("%d events, %d records stored (with retries)", len(h.events), h.records)

	// One stream per product: the VL-Stream-Fields header keeps installs out of the stream.
	rows, err := logsql.Run(context.Background(), http.DefaultClient, vl, `* | stats count_uniq(_stream) as streams, count_uniq(app.installation.id) as installs`, now)
	if err != nil || len(rows) != 1 {
		t.Fatalf("streams: %v %v", rows, err)
	}
	if rows[0]["streams"] != "2" {
		t.Errorf("VictoriaLogs has %s streams for 2 products and %s installs; want 2 (VL-Stream-Fields: service.name)", rows[0]["streams"], rows[0]["installs"])
	}

	// The file export stays: the collector wrote every record to its files too.
	if n := strings.Count(c.stored(t), `"eventName":"waymark.`); n != h.records {
		t.Errorf("the collector's files hold %d records, want %d", n, h.records)
	}
}

// TestVictoriaLogsCluster runs VictoriaLogs as a cluster on loopback (two storage nodes and one
// insert/select front, the same binary), fed by two collectors behind nginx as a round-robin
// front door, and checks that every query answers the same as on a single node fed the same
// history, and as computed from the events.
func TestVictoriaLogsCluster(t *testing.T) {
	collectorBinary(t)
	nginx := nginxBinary(t)
	now := testNow()
	h := knownHistory(t, now)

	single, singleP := startVictoriaLogs(t)
	sc := startCollector(t, []string{"victorialogs.yaml"}, "WAYMARK_VICTORIALOGS_URL="+single)

	s1, s1p := startVictoriaLogs(t)
	s2, s2p := startVictoriaLogs(t)
	front, frontP := startVictoriaLogs(t, "-storageNode="+strings.TrimPrefix(s1, "http://")+","+strings.TrimPrefix(s2, "http://"))
	c1 := startCollector(t, []string{"victorialogs.yaml"}, "WAYMARK_VICTORIALOGS_URL="+front)
	c2 := startCollector(t, []string{"victorialogs.yaml"}, "WAYMARK_VICTORIALOGS_URL="+front)
	door := startNginx(t, nginx, c1.Endpoint, c2.Endpoint)

	sendAll(t, sc.Endpoint+"/v1/logs", h.reqs, 4)
	sendAll(t, door+"/v1/logs", h.reqs, 4)
	waitStored(t, single, h.records, sc.output, singleP.output)
	waitStored(t, front, h.records, c1.output, c2.output, frontP.output, s1p.output, s2p.output)

	// Both collectors took requests, and both storage nodes hold part of the data.
	for i, c := range []*collector{c1, c2} {
		if n := strings.Count(c.stored(t), `"eventName":"waymark.`); n == 0 || n == h.records {
			t.Errorf("collector %d behind the front door wrote %d of %d records; want a share", i+1, n, h.records)
		}
	}
	for i, s := range []string{s1, s2} {
		rows, err := logsql.Run(context.Background(), http.DefaultClient, s, `* | stats count() as records`, now)
		if err != nil || len(rows) != 1 || rows[0]["records"] == "" || rows[0]["records"] == "0" || rows[0]["records"] == strconv.Itoa(h.records) {
			t.Errorf("storage node %d holds %v (%v) of %d records; want a share", i+1, rows, err, h.records)
		}
	}

	gotSingle, _ := vlAnswers(t, single, now)
	gotCluster, took := vlAnswers(t, front, now)
	diffAnswers(t, "cluster vs single node", gotCluster, gotSingle)
	diffAnswers(t, "cluster vs the events", gotCluster, expectedAnswers(h.events, now))
	for _, q := range logsql.Queries() {
		t.Logf("cluster %-16s %3d rows  %v", q.Name, len(gotCluster[q.Name]), took[q.Name].Round(time.Millisecond))
	}
}

// nginxBinary finds nginx (Debian's package): $WAYMARK_NGINX, PATH or /usr/sbin/nginx. It fails
// the test when there is none, except under -short.

// startNginx runs nginx with collector-config/cluster/nginx.conf as a round-robin front door
// to the given collectors and returns its base URL.
func startNginx(t *testing.T, bin string, upstreams ...string) string {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join(repoRoot(t), "collector-config", "cluster", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	port := freePort(t)
	conf := strings.NewReplacer(
		"@PREFIX@", dir,
		"@LISTEN@", fmt.Sprintf("127.0.0.1:%d", port),
		"@COLLECTOR_1@", strings.TrimPrefix(upstreams[0], "http://"),
		"@COLLECTOR_2@", strings.TrimPrefix(upstreams[1], "http://"),
	).Replace(string(tmpl))
	if regexp.MustCompile(`@[A-Z0-9_]+@`).MatchString(strings.ReplaceAll(conf, "@NAME@", "")) {
		t.Fatalf("nginx.conf has a placeholder left:\n%s", conf)
	}
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p := startProcess(t, exec.Command(bin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;"))
	if !waitFor(30*time.Second, func() bool {
		resp, err := http.Get(base + "/nginx-health")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK && !p.exited()
	}) {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Fatalf("nginx did not start:\n%s\n%s", p.output, b)
	}
	return base
}

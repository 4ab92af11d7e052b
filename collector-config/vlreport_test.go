package collectorconfig_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
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

	"github.com/waymarkhq/waymark/collector-config/internal/sim"
	"github.com/waymarkhq/waymark/collector-config/logsql"
)

// The tests here show that `waymark report --victorialogs URL` equals `waymark report` over
// the collector's files when both hold the same events: the simulator (collector-config/
// simulate) sends a 60-day history of two products over OTLP/HTTP to the real collector, which
// writes its files and sends the same events to VictoriaLogs; then both reports are made for
// several --now, --range, --funnel, --product and --min-installs and compared field for field.
//
// Tolerance: every count must be equal. The medians (median_seconds_from_previous,
// median_uptime_seconds) may differ by at most medianTolerance seconds: VictoriaLogs computes
// the funnel's gaps as float64 nanoseconds (within 256 ns of the exact gap), which can move a
// median across a half second when it is rounded. Its quantile(0.5) is exactly element ⌊n/2⌋,
// as the file report's median, while a group holds at most 10 000 values per CPU core of a
// storage node, which holds for this history (a few thousand installs). When the medians agree exactly (the
// usual case), the text, CSV and HTML outputs must be byte for byte the same too.

// medianTolerance is how far, in seconds, a median from VictoriaLogs may be from the file
// report's.
const medianTolerance = 1.0

// simArgs are the simulator's flags for the history the report tests send: two products (a CLI and its
// servers), a few thousand installs over 60 days ending at end.
func simArgs(end time.Time) []string {
	return []string{"-installs", "3000", "-days", "60", "-seed", "7", "-products", "acme,acme-server",
		"-servers", "20", "-end", end.Format(time.RFC3339)}
}

// simulate sends the history to the collector (or front door) at endpoint and returns how
// many log records it sent (retries included).
func simulate(t *testing.T, endpoint string, args []string) int {
	t.Helper()
	bin := goBuild(t, "collector-config/simulate", "simulate")
	var stderr bytes.Buffer
	cmd := exec.Command(bin, append(args, "-endpoint", endpoint)...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("simulate: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`(\d+) events \(`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("simulate printed no event count:\n%s", stderr.String())
	}
	n, _ := strconv.Atoi(m[1])
	t.Logf("%s", strings.TrimSpace(stderr.String()))
	return n
}

// waitFiles waits until the collectors' files hold want log records in all.
func waitFiles(t *testing.T, want int, cs ...*collector) {
	t.Helper()
	got := 0
	if !waitFor(2*time.Minute, func() bool {
		got = 0
		for _, c := range cs {
			got += strings.Count(c.stored(t), `"eventName":"waymark.`)
		}
		return got == want
	}) {
		t.Fatalf("the collectors' files hold %d log records, want %d", got, want)
	}
}

// reportCases are the flag sets both reports are made with. now is the end of the history
// (midnight): the history has server heartbeats at every midnight, so --now a day earlier has
// events at Now itself.
func reportCases(end time.Time) [][]string {
	at := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	return [][]string{
		{"--now", at(end)},
		{"--now", at(end.AddDate(0, 0, -1))},
		{"--now", at(end.Add(-36*time.Hour + 17*time.Minute + 500*time.Millisecond))},
		{"--now", at(end.AddDate(0, 0, -1)), "--range", "7d"},
		{"--now", at(end.AddDate(0, 0, -3)), "--range", "90d"},
		{"--now", at(end), "--range", "365d"},
		{"--now", at(end.AddDate(0, 0, -2)), "--funnel", "first_deploy,first_run,first_project_created"},
		{"--now", at(end), "--funnel", "first_run,first_project_created,first_deploy"},
		{"--now", at(end.AddDate(0, 0, -4)), "--product", "acme-server"},
		{"--now", at(end.AddDate(0, 0, -11)), "--min-installs", "5"},
	}
}

// waymarkReport runs the real waymark report with args and returns its stdout.
func waymarkReport(t *testing.T, args ...string) []byte {
	t.Helper()
	bin := goBuild(t, "cmd/waymark", "waymark")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, append([]string{"report"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("waymark report %q: %v\n%s", args, err, stderr.String())
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("waymark report %q took %v", args, d)
	}
	return stdout.Bytes()
}

// compareReports makes both reports for every case and compares them; files are the
// collectors' data directories.
func compareReports(t *testing.T, vl string, end time.Time, files []string) {
	t.Helper()
	medians := 0
	for _, args := range reportCases(end) {
		fileJSON := waymarkReport(t, append(append([]string{"--json"}, args...), files...)...)
		start := time.Now()
		vlJSON := waymarkReport(t, append([]string{"--json", "--victorialogs", vl}, args...)...)
		took := time.Since(start)
		var f, v any
		if err := json.Unmarshal(fileJSON, &f); err != nil {
			t.Fatalf("%q: file report: %v", args, err)
		}
		if err := json.Unmarshal(vlJSON, &v); err != nil {
			t.Fatalf("%q: VictoriaLogs report: %v", args, err)
		}
		var diffs []string
		diffJSON("", f, v, &diffs)
		if len(diffs) > 0 {
			if len(diffs) > 30 {
				diffs = append(diffs[:30], fmt.Sprintf("… %d more", len(diffs)-30))
			}
			t.Errorf("%q: the VictoriaLogs report differs from the file report:\n  %s", args, strings.Join(diffs, "\n  "))
			continue
		}
		medians += countMedians(f)
		checkSubstance(t, args, f)
		t.Logf("%q: equal (VictoriaLogs report in %v)", args, took.Round(time.Millisecond))
		if bytes.Equal(fileJSON, vlJSON) {
			// The same numbers: every other output is the same too.
			dir := t.TempDir()
			for _, form := range [][]string{{}, {"--csv", filepath.Join(dir, "f")}, {"--html", filepath.Join(dir, "f.html")}} {
				fo := waymarkReport(t, append(append(append([]string{}, form...), args...), files...)...)
				vform := append([]string{}, form...)
				if len(vform) > 0 {
					vform[1] = strings.Replace(vform[1], filepath.Join(dir, "f"), filepath.Join(dir, "v"), 1)
				}
				vo := waymarkReport(t, append(append(vform, "--victorialogs", vl), args...)...)
				if !bytes.Equal(fo, vo) {
					t.Errorf("%q %q: the text differs:\nfiles:\n%s\nVictoriaLogs:\n%s", args, form, fo, vo)
				}
			}
			sameFiles(t, filepath.Join(dir, "f"), filepath.Join(dir, "v"))
			sameFiles(t, filepath.Join(dir, "f.html"), filepath.Join(dir, "v.html"))
		}
	}
	if medians == 0 {
		t.Error("no report has a median; the comparison of medians proves nothing")
	}
}

// diffJSON appends to diffs every difference between want and got (decoded JSON), named by its
// path; medians may differ by medianTolerance.
func diffJSON(path string, want, got any, diffs *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: got %v, want an object", path, got))
			return
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case !gok:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: missing, want %v", path, k, wv))
			case !wok:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: got %v, want nothing", path, k, gv))
			case strings.HasPrefix(k, "median_"):
				wf, wn := wv.(float64)
				gf, gn := gv.(float64)
				if wn != gn || (wn && math.Abs(wf-gf) > medianTolerance) || (!wn && wv != gv) {
					*diffs = append(*diffs, fmt.Sprintf("%s.%s: got %v, want %v (± %v)", path, k, gv, wv, medianTolerance))
				}
			default:
				diffJSON(path+"."+k, wv, gv, diffs)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*diffs = append(*diffs, fmt.Sprintf("%s: got %v, want %v", path, got, want))
			return
		}
		for i := range w {
			diffJSON(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], diffs)
		}
	default:
		if want != got {
			*diffs = append(*diffs, fmt.Sprintf("%s: got %v, want %v", path, got, want))
		}
	}
}

// countMedians counts the medians that are numbers in a decoded report.
func countMedians(v any) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if _, ok := e.(float64); ok && strings.HasPrefix(k, "median_") {
				n++
			}
			n += countMedians(e)
		}
	case []any:
		for _, e := range x {
			n += countMedians(e)
		}
	}
	return n
}

// checkSubstance fails the test when a report leaves empty what the history fills, so that an
// equality of empty reports proves nothing.
func checkSubstance(t *testing.T, args []string, report any) {
	t.Helper()
	products := report.(map[string]any)["products"].(map[string]any)
	for name, p := range products {
		s := p.(map[string]any)
		var missing []string
		if s["installs_30d"].(float64) == 0 {
			missing = append(missing, "installs_30d")
		}
		keys := []string{"versions", "os", "platforms", "runtimes", "daily"}
		if name == "acme" {
			// The report leaves out weeks in which no install was first seen: the 20 servers
			// of the history leave most weeks of a short range without one.
			keys = append(keys, "retention")
		}
		for _, k := range keys {
			if v, ok := s[k].(map[string]any); ok && len(v) == 0 {
				missing = append(missing, k)
			}
			if v, ok := s[k].([]any); ok && len(v) == 0 {
				missing = append(missing, k)
			}
		}
		switch name {
		case "acme":
			for _, k := range []string{"funnel", "errors"} {
				if v := s[k].([]any); len(v) == 0 {
					missing = append(missing, k)
				}
			}
		case "acme-server":
			if s["servers_live"].(float64) == 0 || len(s["servers"].([]any)) == 0 {
				missing = append(missing, "servers")
			}
		}
		if len(missing) > 0 {
			t.Errorf("%q: %s has empty %v; the history should fill them", args, name, missing)
		}
	}
}

// sameFiles compares two files, or two directories file by file.
func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	st, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	if !st.IsDir() {
		x, err1 := os.ReadFile(a)
		y, err2 := os.ReadFile(b)
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s and %s differ (%v %v)", a, b, err1, err2)
		}
		return
	}
	ea, _ := os.ReadDir(a)
	eb, _ := os.ReadDir(b)
	if len(ea) != len(eb) || len(ea) == 0 {
		t.Errorf("%s has %d files, %s %d", a, len(ea), b, len(eb))
		return
	}
	for _, e := range ea {
		sameFiles(t, filepath.Join(a, e.Name()), filepath.Join(b, e.Name()))
	}
}

// historyEnd is the end of the simulated history: today's midnight (UTC), so that its events
// are in VictoriaLogs' retention whatever the day the tests run.
func historyEnd() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }

// TestReportVictoriaLogs runs the real collector with ingest.yaml and
// victorialogs.yaml, fed by the simulator over OTLP/HTTP; `waymark report --json
// --victorialogs URL` equals `waymark report --json` over the collector's files.
func TestReportVictoriaLogs(t *testing.T) {
	collectorBinary(t)
	vl, vlp := startVictoriaLogs(t)
	c := startCollector(t, []string{"victorialogs.yaml"}, "WAYMARK_VICTORIALOGS_URL="+vl)
	end := historyEnd()
	n := simulate(t, c.Endpoint, simArgs(end))
	waitStored(t, vl, n, c.output, vlp.output)
	waitFiles(t, n, c)
	compareReports(t, vl, end, []string{c.DataDir})

	// The two sources exclude each other.
	bin := goBuild(t, "cmd/waymark", "waymark")
	out, err := exec.Command(bin, "report", "--victorialogs", vl, c.DataDir).CombinedOutput()
	if code := exitCode(err); code != 2 || !strings.Contains(string(out), "not both") {
		t.Errorf("PATH with --victorialogs: exit %d, %s; want 2 and a message", code, out)
	}
}

// TestReportVictoriaLogsCluster sends the same history (simArgs) through nginx to two
// collectors, each sending to the insert/select front of a VictoriaLogs cluster of two storage
// nodes; the report against the front equals the report over both collectors' files.
func TestReportVictoriaLogsCluster(t *testing.T) {
	collectorBinary(t)
	nginx := nginxBinary(t)
	s1, s1p := startVictoriaLogs(t)
	s2, s2p := startVictoriaLogs(t)
	front, frontP := startVictoriaLogs(t, "-storageNode="+strings.TrimPrefix(s1, "http://")+","+strings.TrimPrefix(s2, "http://"))
	c1 := startCollector(t, []string{"victorialogs.yaml"}, "WAYMARK_VICTORIALOGS_URL="+front)
	c2 := startCollector(t, []string{"victorialogs.yaml"}, "WAYMARK_VICTORIALOGS_URL="+front)
	door := startNginx(t, nginx, c1.Endpoint, c2.Endpoint)
	end := historyEnd()
	// The same history as simArgs, its log requests sent by four clients at once: the
	// simulate command posts logs and metrics in turn, which a round-robin front door would
	// split into all logs to one collector and all metrics to the other.
	var reqs []*logspb.LogsData
	n := 0
	var batch []*sim.Upload
	flush := func() {
		if len(batch) > 0 {
			reqs = append(reqs, sim.LogsData(batch))
			batch = nil
		}
	}
	st, err := sim.Run(sim.Config{Installs: 3000, Days: 60, Seed: 7, Products: []string{"acme", "acme-server"}, Servers: 20, End: end}, func(u *sim.Upload) error {
		batch = append(batch, u)
		n += len(u.Records)
		if len(batch) == 100 {
			flush()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	flush()
	t.Logf("simulated %d installs, %d servers, %d events in %d requests", st.Installs, st.Servers, n, len(reqs))
	sendAll(t, door+"/v1/logs", reqs, 4)
	waitStored(t, front, n, c1.output, c2.output, frontP.output, s1p.output, s2p.output)
	waitFiles(t, n, c1, c2)

	// Both collectors and both storage nodes hold a share.
	for i, c := range []*collector{c1, c2} {
		if k := strings.Count(c.stored(t), `"eventName":"waymark.`); k == 0 || k == n {
			t.Errorf("collector %d wrote %d of %d records; want a share", i+1, k, n)
		}
	}
	for i, s := range []string{s1, s2} {
		rows, err := logsql.Run(context.Background(), http.DefaultClient, s, `* | stats count() as records`, time.Now())
		if err != nil || len(rows) != 1 || rows[0]["records"] == "0" || rows[0]["records"] == strconv.Itoa(n) {
			t.Errorf("storage node %d holds %v (%v) of %d records; want a share", i+1, rows, err, n)
		}
	}
	compareReports(t, front, end, []string{c1.DataDir, c2.DataDir})
}

// exitCode is a finished command's exit status (0 when err is nil, -1 when it did not run).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := err.(*exec.ExitError); ok {
		return e.ExitCode()
	}
	return -1
}

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fixtureNow is the --now the fixtures in testdata/store were written for.
const fixtureNow = "2026-11-20T12:00:00Z"

type jsonReport struct {
	Installs30d int              `json:"installs_30d"`
	Installs1d  int              `json:"installs_1d"`
	Funnel      []map[string]any `json:"funnel"`
	Versions    map[string]int   `json:"versions"`
	OS          map[string]int   `json:"os"`
	Arch        map[string]int   `json:"arch"`
	ServersLive *int             `json:"servers_live"`
}

// acmeSection returns the "acme" section of a --json output.
func acmeSection(t *testing.T, out string) (jsonReport, map[string]json.RawMessage) {
	t.Helper()
	var top struct {
		Products map[string]json.RawMessage `json:"products"`
	}
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	var r jsonReport
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(top.Products["acme"], &r); err != nil {
		t.Fatalf("no acme section: %v\n%s", err, out)
	}
	_ = json.Unmarshal(top.Products["acme"], &raw)
	return r, raw
}

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	return code, out.String(), errb.String()
}

func TestReportJSON(t *testing.T) {
	code, out, errs := runCmd(t, "report", "--json", "--funnel", "first_run,first_deploy,first_project", "--now", fixtureNow, "testdata/store")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	// Every key of a product's section of the report, and no other.
	r, raw := acmeSection(t, out)
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	wantKeys := []string{"active", "agent_shares", "agents", "arch", "daily", "errors", "estimate", "funnel", "installs_1d", "installs_30d", "min_installs", "new", "os", "platforms", "range", "retention", "runtimes", "sample_rate", "servers", "servers_live", "version_adoption", "versions"}
	if strings.Join(slices.Sorted(slices.Values(keys)), ",") != strings.Join(wantKeys, ",") {
		t.Errorf("keys = %v, want %v", slices.Sorted(slices.Values(keys)), wantKeys)
	}
	if string(raw["servers_live"]) != "1" {
		t.Errorf("servers_live = %s, want the integer 1", raw["servers_live"])
	}

	if r.Installs30d != 6 || r.Installs1d != 3 {
		t.Errorf("installs_30d, installs_1d = %d, %d; want 6, 3", r.Installs30d, r.Installs1d)
	}
	// Installs first seen in the range (A was first seen before it), in the declared order.
	wantFunnel := []map[string]any{
		{"milestone": "first_run", "installs": 3.0, "conversion": 1.0, "step_conversion": 1.0, "median_seconds_from_previous": nil},
		{"milestone": "first_deploy", "installs": 1.0, "conversion": 0.3333, "step_conversion": 0.3333, "median_seconds_from_previous": 3600.0},
		{"milestone": "first_project", "installs": 0.0, "conversion": 0.0, "step_conversion": 0.0, "median_seconds_from_previous": nil},
	}
	if !reflect.DeepEqual(r.Funnel, wantFunnel) {
		t.Errorf("funnel = %v\nwant     %v", r.Funnel, wantFunnel)
	}
	if want := map[string]int{"1.4.2": 4, "1.4.1": 1, "1.3.0": 1}; !reflect.DeepEqual(r.Versions, want) {
		t.Errorf("versions = %v, want %v", r.Versions, want)
	}
	if want := map[string]int{"linux": 4, "darwin": 1, "windows": 1}; !reflect.DeepEqual(r.OS, want) {
		t.Errorf("os = %v, want %v", r.OS, want)
	}
	if want := map[string]int{"amd64": 4, "arm64": 2}; !reflect.DeepEqual(r.Arch, want) {
		t.Errorf("arch = %v, want %v", r.Arch, want)
	}

	// Every damaged line is named by file and line on stderr, and nothing else is.
	damaged := filepath.Join("testdata", "store", "damaged.jsonl")
	rotated := filepath.Join("testdata", "store", "rotated", "logs-2026-11-19T00-00-00.000.jsonl")
	for _, w := range []string{
		damaged + ":1: ", damaged + ":2: ", damaged + ":5: ", damaged + ":6: truncated last line",
		rotated + ":4: log records skipped: 1 no timestamp",
	} {
		if !strings.Contains(errs, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errs)
		}
	}
	if n := strings.Count(errs, "\n"); n != 5 {
		t.Errorf("stderr has %d lines, want 5:\n%s", n, errs)
	}
	if strings.Contains(out, "warning") {
		t.Errorf("a warning leaked into the JSON output:\n%s", out)
	}
}

func TestReportDefaultFunnelOrder(t *testing.T) {
	_, out, _ := runCmd(t, "report", "--json", "--now", fixtureNow, "testdata/store")
	r, _ := acmeSection(t, out)
	if len(r.Funnel) != 2 || r.Funnel[0]["milestone"] != "first_run" || r.Funnel[1]["milestone"] != "first_deploy" {
		t.Errorf("default funnel = %v, want first_run then first_deploy (installs descending)", r.Funnel)
	}
}

func TestReportFlagsAfterPaths(t *testing.T) {
	code, out, errs := runCmd(t, "report", "testdata/store/logs.jsonl", "--now", fixtureNow, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r, _ := acmeSection(t, out)
	// logs.jsonl alone: A, B and the server E (F's event is after --now).
	if r.Installs30d != 3 {
		t.Errorf("installs_30d = %d, want 3", r.Installs30d)
	}
	if errs != "" {
		t.Errorf("unexpected warnings: %s", errs)
	}
}

func TestReportText(t *testing.T) {
	code, out, _ := runCmd(t, "report", "--funnel", "first_run,first_deploy", "--now", fixtureNow, "testdata/store")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"as of 2026-11-20T12:00:00Z", "last 30 days  6", "last day      3", "Live servers", "first_deploy  1", "33.3%", "Installs first seen in the range"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestReportHTML(t *testing.T) {
	page := filepath.Join(t.TempDir(), "report.html")
	code, out, errs := runCmd(t, "report", "--json", "--html", page, "--now", fixtureNow, "testdata/store")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !json.Valid([]byte(out)) {
		t.Errorf("--html changed stdout: %s", out)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if n := strings.Count(html, "<svg viewBox"); n < 5 {
		t.Errorf("page has %d SVG charts, want at least 5", n)
	}
	// Every chart is a figure holding its SVG and a table of its numbers.
	for i, fig := range strings.Split(html, "<figure>")[1:] {
		fig = fig[:strings.Index(fig, "</figure>")]
		if !strings.Contains(fig, "<table>") {
			t.Errorf("figure %d has no table", i)
		}
	}
	// Local references to the page's own patterns (url(#…)) fetch nothing.
	html = strings.ReplaceAll(html, "url(#", "")
	for _, banned := range []string{"<script", "http://", "https://", "@import", "url(", "width=\"640\""} {
		if banned == "http://" {
			// The SVG namespace is an identifier, not a fetch.
			html = strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, "")
		}
		if strings.Contains(html, banned) {
			t.Errorf("page contains %q; it must be self-contained", banned)
		}
	}
	for _, want := range []string{"first_run", "1.4.2", "windows", "arm64"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestReportUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nope"},
		{"report"},
		{"report", "--now", "yesterday", "testdata/store"},
		{"report", "--funnel", ",", "testdata/store"},
		{"report", "--bogus", "testdata/store"},
	} {
		if code, _, _ := runCmd(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code, _, errs := runCmd(t, "report", "testdata/does-not-exist"); code != 1 || !strings.Contains(errs, "does-not-exist") {
		t.Errorf("missing path: exit %d, stderr %q; want 1 naming the path", code, errs)
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2026-11-20T12:00:00Z":      time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC),
		"2026-11-20T13:00:00+01:00": time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC),
		"2026-11-20":                time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
	} {
		got, err := parseTime(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestReportVictoriaLogsFlag(t *testing.T) {
	// A VictoriaLogs that holds nothing: every query answers no row.
	var queries atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/select/logsql/query" || r.FormValue("query") == "" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		queries.Add(1)
	}))
	defer srv.Close()

	code, out, errs := runCmd(t, "report", "--json", "--now", fixtureNow, "--victorialogs", srv.URL+"/")
	if code != 0 || strings.TrimSpace(out) != `{
  "products": {}
}` {
		t.Errorf("empty VictoriaLogs: exit %d, stdout %q, stderr %q; want 0 and no product", code, out, errs)
	}
	if queries.Load() == 0 {
		t.Error("no query reached VictoriaLogs")
	}

	for _, args := range [][]string{
		{"report", "--victorialogs", srv.URL, "testdata/store"},
		{"report", "testdata/store", "--victorialogs", srv.URL},
		{"report", "--victorialogs", "ftp://127.0.0.1:9428"},
		{"report", "--victorialogs", "127.0.0.1:9428"},
		{"report", "--victorialogs", "http://127.0.0.1:9428/?x=1"},
	} {
		if code, _, errs := runCmd(t, args...); code != 2 || !strings.Contains(errs, "victorialogs") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message naming --victorialogs", args, code, errs)
		}
	}

	// Nothing listens: exit 1, naming the URL.
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	if code, _, errs := runCmd(t, "report", "--victorialogs", url); code != 1 || !strings.Contains(errs, url) {
		t.Errorf("unreachable VictoriaLogs: exit %d, stderr %q; want 1 naming %s", code, errs, url)
	}
}

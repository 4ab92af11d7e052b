package sim

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/uuidx"
)

func writeStore(t *testing.T, cfg Config, rotate int64) string {
	t.Helper()
	dir := t.TempDir()
	w, err := NewFileWriter(dir, rotate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(cfg, w.Write); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// The same seed gives byte-identical files, rotated files named by time; another seed differs.
func TestFilesAreDeterministic(t *testing.T) {
	cfg := Config{Installs: 300, Days: 20, Seed: 7, Products: []string{"acme", "acme-server"}}
	a := readAll(t, writeStore(t, cfg, 200<<10))
	b := readAll(t, writeStore(t, cfg, 200<<10))
	if len(a) < 3 {
		t.Fatalf("expected rotated files, got %d files", len(a))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
		if name != "logs.jsonl" && name != "metrics.jsonl" {
			stamp := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(name, "logs-"), "metrics-"), ".jsonl")
			if _, err := time.Parse("2006-01-02T15-04-05.000", stamp); err != nil {
				t.Errorf("rotated file %s: name carries no time: %v", name, err)
			}
		}
	}
	cfg.Seed = 8
	c := readAll(t, writeStore(t, cfg, 200<<10))
	if bytes.Equal(a["logs.jsonl"], c["logs.jsonl"]) {
		t.Error("another seed gave the same file")
	}
}

// Every stored line is an OTLP JSON export request that protojson accepts, and every event has
// the SDK's shape: exactly the resource keys the SDK sends, a UUID event.id, milestone ids as UUIDv5.
func TestEventShapes(t *testing.T) {
	cfg := Config{Installs: 400, Days: 30, Seed: 3, Products: []string{"acme", "acme-server"}, ErrorRate: 0.05}
	dir := writeStore(t, cfg, 0)
	data, err := os.ReadFile(filepath.Join(dir, "logs.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	products := map[string]map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var ld logspb.LogsData
		if err := protojson.Unmarshal(line, &ld); err != nil {
			t.Fatalf("line is not OTLP JSON: %v\n%s", err, line)
		}
		if !json.Valid(line) {
			t.Fatal("invalid JSON")
		}
		for _, rl := range ld.ResourceLogs {
			res := map[string]string{}
			var keys []string
			for _, kv := range rl.Resource.Attributes {
				res[kv.Key] = kv.Value.GetStringValue()
				keys = append(keys, kv.Key)
			}
			want := "service.name service.version app.installation.id os.type host.arch process.runtime.name process.runtime.version telemetry.sdk.name telemetry.sdk.language telemetry.sdk.version"
			if res["session.id"] != "" {
				want += " session.id"
			}
			if got := strings.Join(keys, " "); got != want {
				t.Fatalf("resource keys %q, want %q", got, want)
			}
			if !uuidx.Valid(res["app.installation.id"]) {
				t.Fatalf("installation id %q", res["app.installation.id"])
			}
			if products[res["service.name"]] == nil {
				products[res["service.name"]] = map[string]bool{}
			}
			if sl := rl.ScopeLogs[0]; sl.Scope.Name != "waymark" || sl.Scope.Version != SDKVersion {
				t.Fatalf("scope %v", sl.Scope)
			}
			for _, r := range rl.ScopeLogs[0].LogRecords {
				names[r.EventName]++
				products[res["service.name"]][r.EventName] = true
				attrs := map[string]string{}
				for _, kv := range r.Attributes {
					attrs[kv.Key] = kv.Value.GetStringValue()
				}
				if !uuidx.Valid(attrs["event.id"]) {
					t.Fatalf("event.id %q", attrs["event.id"])
				}
				if r.EventName == "waymark.milestone" {
					want, _ := uuidx.V5(res["app.installation.id"], attrs["milestone.name"])
					if attrs["event.id"] != want {
						t.Fatalf("milestone event.id %s, want UUIDv5 %s", attrs["event.id"], want)
					}
				}
				if r.TimeUnixNano == 0 || r.TimeUnixNano != r.ObservedTimeUnixNano || r.SeverityNumber != logspb.SeverityNumber_SEVERITY_NUMBER_INFO {
					t.Fatalf("record times/severity: %v", r)
				}
			}
		}
	}
	for _, n := range []string{"waymark.milestone", "waymark.usage", "waymark.heartbeat", "waymark.error_report"} {
		if names[n] == 0 {
			t.Errorf("no %s event simulated", n)
		}
	}
	if products["acme"]["waymark.heartbeat"] || !products["acme-server"]["waymark.heartbeat"] || products["acme-server"]["waymark.milestone"] {
		t.Errorf("heartbeats belong to the servers' product only, milestones to the CLI's: %v", products)
	}
}

// Growth, releases and the funnel show in the simulated history.
func TestHistoryHasTrends(t *testing.T) {
	cfg := Config{Installs: 2000, Days: 60, Seed: 11}
	firstRun := map[int]int{} // day → installs arriving
	versions := map[string]bool{}
	steps := map[string]int{}
	start := time.Date(2026, 9, 21, 0, 0, 0, 0, time.UTC)
	_, err := Run(cfg, func(u *Upload) error {
		versions[u.Resource.Version] = true
		for _, r := range u.Records {
			if r.Name == "waymark.milestone" {
				steps[r.Attrs[0].Str]++
				if r.Attrs[0].Str == Funnel[0] {
					firstRun[int(r.Time.Sub(start)/(24*time.Hour))]++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	early, late := 0, 0
	for d, n := range firstRun {
		if d < 20 {
			early += n
		} else if d >= 40 {
			late += n
		}
	}
	if late <= early*3/2 {
		t.Errorf("no growth: %d arrivals in the first 20 days, %d in the last 20", early, late)
	}
	vs := make([]string, 0, len(versions))
	for v := range versions {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	if len(vs) < 4 {
		t.Errorf("versions %v, want several releases in use", vs)
	}
	if !(steps[Funnel[0]] > steps[Funnel[1]] && steps[Funnel[1]] > steps[Funnel[2]] && steps[Funnel[2]] > 0) {
		t.Errorf("funnel %v does not narrow", steps)
	}
}

// The protobuf sent to an endpoint and the JSON written to files carry the same messages.
func TestEndpointAndFilesAgree(t *testing.T) {
	var ups []*Upload
	if _, err := Run(Config{Installs: 50, Days: 10, Seed: 5, ErrorRate: 0.2}, func(u *Upload) error {
		ups = append(ups, u)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var fromJSON logspb.LogsData
	if err := protojson.Unmarshal(AppendLogsJSON(nil, ups), &fromJSON); err != nil {
		t.Fatal(err)
	}
	// The collector writes an empty body object where the SDK sent none.
	for _, rl := range fromJSON.ResourceLogs {
		for _, r := range rl.ScopeLogs[0].LogRecords {
			if r.Body == nil || r.Body.Value != nil {
				t.Fatal("want an empty body in the file")
			}
			r.Body = nil
		}
	}
	if !proto.Equal(&fromJSON, LogsData(ups)) {
		t.Error("file JSON and OTLP protobuf differ")
	}
	var m metricspb.MetricsData
	if err := protojson.Unmarshal(AppendMetricsJSON(nil, ups), &m); err != nil {
		t.Fatal(err)
	}
	want := MetricsData(ups)
	for _, rm := range want.ResourceMetrics {
		for _, sm := range rm.ScopeMetrics {
			for _, mt := range sm.Metrics {
				if mt.Name == "waymark.milestones" {
					mt.Description = "Milestones first recorded on this installation."
				}
				if mt.Name == "waymark.heartbeats" {
					mt.Description = "Server heartbeats."
				}
			}
		}
	}
	if !proto.Equal(&m, want) {
		t.Error("file metrics JSON and OTLP protobuf differ")
	}
}

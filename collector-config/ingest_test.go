package collectorconfig_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
)

// Canary values a hostile client sends; none may reach the stored files.
const (
	canaryHost    = "canary-host-7f3a.example.internal"
	canaryEmail   = "canary.user.7f3a@example.com"
	canaryBody    = "canary-body-7f3a"
	canaryEvent   = "acme.canary_event_7f3a"
	canaryMetric  = "acme.canary_metric_7f3a"
	canaryScope   = "canary-scope-attr-7f3a"
	canaryTraceID = "7f3a7f3a7f3a7f3a7f3a7f3a7f3a7f3a"
	canaryHuge    = "canary-huge-7f3a"
)

func TestIngest(t *testing.T) {
	c := startCollector(t, nil)
	ctx := context.Background()
	client := &http.Client{Timeout: 10 * time.Second}
	logsURL, metricsURL := c.Endpoint+"/v1/logs", c.Endpoint+"/v1/metrics"
	post := func(url string, body []byte, gz bool) (int, string) {
		t.Helper()
		code, resp, err := otlpgen.Post(ctx, client, url, body, gz)
		if err != nil {
			t.Fatalf("POST %s: %v", url, err)
		}
		return code, resp
	}
	must := func(url string, msg proto.Message) {
		t.Helper()
		code, resp, err := otlpgen.Send(ctx, client, url, msg)
		if err != nil || code != http.StatusOK {
			t.Fatalf("POST %s: %d %q %v", url, code, resp, err)
		}
	}

	now := time.Now()
	// Synthetic installs: five CLI installs reach first_run (one of them sends it
	// twice, as a replay with the same event.id), two also first_deploy; one server beats.
	var ids []string
	for i := range 5 {
		in := otlpgen.NewInstall("acme", "1.4.2", "linux", runtime.GOARCH)
		if i == 4 {
			in.Version, in.OS, in.Arch = "1.4.1", "darwin", "arm64"
		}
		ids = append(ids, in.ID)
		run := otlpgen.Milestone("first_run", now.Add(-time.Minute))
		must(logsURL, otlpgen.Logs(in, run, otlpgen.Event("waymark.usage", now.Add(-time.Minute))))
		if i == 2 {
			must(logsURL, otlpgen.Logs(in, run)) // the same event again
		}
		if i < 2 {
			must(logsURL, otlpgen.Logs(in, otlpgen.Milestone("first_deploy", now)))
		}
		must(metricsURL, otlpgen.MilestoneCounts(in, now.Add(-time.Minute), now, map[string]int64{"first_run": 1}))
	}
	srv := otlpgen.NewInstall("acme", "1.4.2", "linux", runtime.GOARCH)
	srv.Session = otlpgen.UUID()
	start := now.Add(-3 * time.Second)
	must(logsURL, otlpgen.Logs(srv, otlpgen.Heartbeat(start, now.Add(-2*time.Second), time.Minute),
		otlpgen.Heartbeat(start, now, time.Minute)))

	// A hostile client. Extra resource attribute host.name, an e-mail on the event,
	// a body, trace context and scope attributes, an unknown event, a non-Waymark metric.
	bad := otlpgen.NewInstall("acme", "1.4.2", "linux", runtime.GOARCH)
	bad.Extra = map[string]string{"host.name": canaryHost, "user.name": canaryEmail}
	ms := otlpgen.Milestone("first_run", now)
	ms.Attributes = append(ms.Attributes, otlpgen.Str("user.email", canaryEmail))
	ms.Body = &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: canaryBody}}
	ms.TraceId = bytes.Repeat([]byte{0x7f, 0x3a}, 8)
	ms.SpanId = bytes.Repeat([]byte{0x7f, 0x3a}, 4)
	unknown := otlpgen.Event(canaryEvent, now, otlpgen.Str("user.email", canaryEmail))
	usage := otlpgen.Event("waymark.usage", now, otlpgen.Str("milestone.name", canaryEmail)) // a key allowed elsewhere only
	hostile := otlpgen.Logs(bad, ms, unknown, usage)
	hostile.ResourceLogs[0].ScopeLogs[0].Scope.Attributes = []*commonpb.KeyValue{otlpgen.Str("scope.secret", canaryScope)}
	must(logsURL, hostile)
	hm := otlpgen.MilestoneCounts(bad, now.Add(-time.Minute), now, map[string]int64{"first_run": 1})
	dp := hm.ResourceMetrics[0].ScopeMetrics[0].Metrics[0].GetSum().DataPoints[0]
	dp.Attributes = append(dp.Attributes, otlpgen.Str("user.email", canaryEmail))
	other := &metricspb.Metric{Name: canaryMetric, Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{
		DataPoints: []*metricspb.NumberDataPoint{{TimeUnixNano: uint64(now.UnixNano()), Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: 1}}}}}}
	hm.ResourceMetrics[0].ScopeMetrics[0].Metrics = append(hm.ResourceMetrics[0].ScopeMetrics[0].Metrics, other)
	must(metricsURL, hm)

	// A 2 MB body is refused, plain or gzipped (the limit holds after decompression too).
	huge := otlpgen.Logs(bad, otlpgen.Event("waymark.usage", now, otlpgen.Str("event.id", canaryHuge+strings.Repeat("x", 2<<20))))
	for _, gz := range []bool{false, true} {
		body, err := otlpgen.Encode(huge, gz)
		if err != nil {
			t.Fatal(err)
		}
		code, resp := post(logsURL, body, gz)
		t.Logf("2 MB body (gzip %v, %d bytes on the wire): %d %q", gz, len(body), code, resp)
		if code != http.StatusBadRequest {
			t.Errorf("2 MB body (gzip %v, %d bytes on the wire): status %d %q, want 400", gz, len(body), code, resp)
		}
	}
	// Just under the limit is accepted, so the refusals above are the size limit at work.
	under, err := otlpgen.Encode(otlpgen.Logs(bad, otlpgen.Event("waymark.usage", now, otlpgen.Str("event.id", "under-limit-"+strings.Repeat("y", 200<<10)))), false)
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := post(logsURL, under, false); code != http.StatusOK {
		t.Errorf("%d-byte body: status %d %q, want 200", len(under), code, resp)
	}
	// Nor is anything but OTLP logs and metrics accepted.
	if code, _ := post(c.Endpoint+"/v1/traces", []byte{}, false); code == http.StatusOK {
		t.Errorf("/v1/traces answered 200; the collector has no traces pipeline")
	}

	// The files hold every install's events, and the metrics of the five CLI installs and the
	// hostile one (a 200 means written; the wait covers a slow disk).
	withMetrics := append(slices.Clone(ids), bad.ID)
	ok := waitFor(20*time.Second, func() bool {
		files := c.storedFiles(t)
		logs, metrics := files[filepath.Join(c.DataDir, "logs.jsonl")], files[filepath.Join(c.DataDir, "metrics.jsonl")]
		for _, id := range append(slices.Clone(withMetrics), srv.ID) {
			if !strings.Contains(logs, id) {
				return false
			}
		}
		for _, id := range withMetrics {
			if !strings.Contains(metrics, id) {
				return false
			}
		}
		return true
	})
	if !ok {
		t.Fatalf("stored files lack some installs after 20 s:\n%s\ncollector output:\n%s", c.stored(t), c.output)
	}

	t.Run("hostile extras never stored", func(t *testing.T) {
		s := c.stored(t)
		for _, canary := range []string{canaryHost, canaryEmail, canaryBody, canaryEvent, canaryMetric, canaryScope, canaryTraceID, canaryHuge, "host.name", "user.email", "user.name", "scope.secret"} {
			if strings.Contains(s, canary) {
				t.Errorf("stored files contain %q", canary)
			}
		}
	})

	t.Run("only the schema stored", func(t *testing.T) {
		for path, content := range c.storedFiles(t) {
			checkSchema(t, path, content)
		}
	})

	t.Run("report", func(t *testing.T) {
		r, warnings := runReport(t, "--funnel", "first_run,first_deploy", c.DataDir)
		if warnings != "" {
			t.Errorf("report warned about the collector's own files:\n%s", warnings)
		}
		// 5 CLI installs, the server, and the hostile install once stripped.
		if r.Installs30d != 7 || r.Installs1d != 7 {
			t.Errorf("installs_30d, installs_1d = %d, %d; want 7, 7", r.Installs30d, r.Installs1d)
		}
		if got := r.funnel(); got != "first_run=6,first_deploy=2" {
			t.Errorf("funnel = %s, want first_run=6,first_deploy=2", got)
		}
		if r.Versions["1.4.2"] != 6 || r.Versions["1.4.1"] != 1 || r.OS["darwin"] != 1 || r.OS["linux"] != 6 || r.Arch["arm64"] < 1 {
			t.Errorf("versions %v, os %v, arch %v", r.Versions, r.OS, r.Arch)
		}
		if string(r.ServersLive) != "1" {
			t.Errorf("servers_live = %s, want 1", r.ServersLive)
		}

		page := filepath.Join(t.TempDir(), "report.html")
		cmd := exec.Command(goBuild(t, "cmd/waymark", "waymark"), "report", "--html", page, c.DataDir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("waymark report --html: %v\n%s", err, out)
		}
		b, err := os.ReadFile(page)
		if err != nil || !bytes.Contains(b, []byte("<svg")) || bytes.Contains(b, []byte("<script")) {
			t.Errorf("--html page: %v; has <svg: %v", err, bytes.Contains(b, []byte("<svg")))
		}
	})
}

package export

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/statedir"
)

var testResource = []attribute.KeyValue{
	attribute.String("service.name", "acme"),
	attribute.String("app.installation.id", "5b1c0f5e-8a5e-4c1e-9d55-0b1b8f1c2d3e"),
}

// failOnHandle makes any call to the global OTel error handler fail the test:
// that handler prints on the host's stderr.
func failOnHandle(t *testing.T) {
	t.Helper()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { t.Errorf("otel.Handle called: %v", err) }))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) })
}

func TestPipelineSpoolsEventsWithOnlyOurResource(t *testing.T) {
	failOnHandle(t)
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "canary.attr=CANARYRES")
	t.Setenv("OTEL_SERVICE_NAME", "CANARYSVC")
	sp := OpenSpool(statedir.New(t.TempDir()), SpoolOptions{})
	p, err := NewPipeline(Options{Resource: testResource, Destination: ToSpool, Spool: sp, Version: "0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	if err := p.Emit(schema.EventMilestone, attribute.String("milestone.name", "first_run"), attribute.String("event.id", "e1")); err != nil {
		t.Fatal(err)
	}
	entries, err := sp.batch(Logs, 1<<20)
	if err != nil || len(entries) != 1 || entries[0].kind != KindMilestone {
		t.Fatalf("spool = %+v, %v; want one milestone entry", entries, err)
	}
	if bytes.Contains(entries[0].payload, []byte("CANARY")) {
		t.Fatal("OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME leaked into the payload")
	}
	var req collogspb.ExportLogsServiceRequest
	if err := proto.Unmarshal(entries[0].payload, &req); err != nil {
		t.Fatal(err)
	}
	rl := req.ResourceLogs[0]
	if n := len(rl.Resource.Attributes); n != len(testResource) {
		t.Fatalf("resource has %d attributes, want exactly %d", n, len(testResource))
	}
	lr := rl.ScopeLogs[0].LogRecords[0]
	if lr.EventName != schema.EventMilestone || rl.ScopeLogs[0].Scope.Name != ScopeName {
		t.Fatalf("event %q scope %q", lr.EventName, rl.ScopeLogs[0].Scope.Name)
	}
	if len(lr.TraceId) != 0 || len(lr.SpanId) != 0 {
		t.Fatal("trace ids recorded")
	}
}

func TestPipelineMetricsAreDeltaAndEmptyCollectionsWriteNothing(t *testing.T) {
	failOnHandle(t)
	sp := OpenSpool(statedir.New(t.TempDir()), SpoolOptions{})
	p, err := NewPipeline(Options{Resource: testResource, Destination: ToSpool, Spool: sp})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	if err := p.FlushMetrics(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, _ := sp.Stat(); st.Pending != 0 {
		t.Fatalf("an empty collection spooled %d entries", st.Pending)
	}
	p.AddMilestone("first_run")
	if err := p.FlushMetrics(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A second flush with nothing new adds nothing: delta, not cumulative.
	if err := p.FlushMetrics(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries, _ := sp.batch(Metrics, 1<<20)
	if len(entries) != 1 {
		t.Fatalf("%d metric entries, want 1", len(entries))
	}
	var req colmetricspb.ExportMetricsServiceRequest
	if err := proto.Unmarshal(entries[0].payload, &req); err != nil {
		t.Fatal(err)
	}
	m := req.ResourceMetrics[0].ScopeMetrics[0].Metrics[0]
	sum := m.GetSum()
	if m.Name != "waymark.milestones" || sum == nil || sum.AggregationTemporality != metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA || sum.DataPoints[0].GetAsInt() != 1 {
		t.Fatalf("metric = %v", m)
	}
}

func TestPipelineHeartbeatMetrics(t *testing.T) {
	sp := OpenSpool(statedir.New(t.TempDir()), SpoolOptions{})
	p, _ := NewPipeline(Options{Resource: testResource, Destination: ToSpool, Spool: sp})
	p.AddHeartbeat(3 * time.Second)
	p.AddHeartbeat(4 * time.Second)
	p.FlushMetrics(context.Background())
	p.AddHeartbeat(5 * time.Second)
	p.FlushMetrics(context.Background())
	entries, _ := sp.batch(Metrics, 1<<20)
	if len(entries) != 2 {
		t.Fatalf("%d metric entries, want 2", len(entries))
	}
	want := []struct {
		beats  int64
		uptime float64
	}{{2, 4}, {1, 5}}
	for i, e := range entries {
		var req colmetricspb.ExportMetricsServiceRequest
		if err := proto.Unmarshal(e.payload, &req); err != nil {
			t.Fatal(err)
		}
		got := map[string]*metricspb.Metric{}
		for _, m := range req.ResourceMetrics[0].ScopeMetrics[0].Metrics {
			got[m.Name] = m
		}
		hb, up := got["waymark.heartbeats"], got["waymark.session.uptime"]
		if hb == nil || up == nil || got["waymark.milestones"] != nil {
			t.Fatalf("collection %d: metrics %v", i, got)
		}
		if v := hb.GetSum().DataPoints[0].GetAsInt(); v != want[i].beats || hb.GetSum().AggregationTemporality != metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA {
			t.Errorf("collection %d: heartbeats %d (%v), want delta %d", i, v, hb.GetSum().AggregationTemporality, want[i].beats)
		}
		if v := up.GetGauge().DataPoints[0].GetAsDouble(); v != want[i].uptime {
			t.Errorf("collection %d: uptime %v, want %v", i, v, want[i].uptime)
		}
	}
}

func TestPipelineLocalAndDebug(t *testing.T) {
	failOnHandle(t)
	state := t.TempDir()
	local := filepath.Join(state, "local.jsonl")
	p, err := NewPipeline(Options{Resource: testResource, Destination: ToLocalLog, LocalLog: statedir.New(state)})
	if err != nil {
		t.Fatal(err)
	}
	p.Emit(schema.EventMilestone, attribute.String("milestone.name", "first_run"))
	p.AddMilestone("first_run")
	p.FlushMetrics(context.Background())
	b, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	var v EventView
	if err := json.Unmarshal(bytes.TrimSpace(b), &v); err != nil || v.Event != schema.EventMilestone || v.Attributes["milestone.name"] != "first_run" {
		t.Fatalf("local log %q: %v", b, err)
	}
	if len(bytes.Split(bytes.TrimSpace(b), []byte("\n"))) != 1 {
		t.Fatalf("local log has more than the one event: %q", b)
	}

	var out bytes.Buffer
	d, _ := NewPipeline(Options{Resource: testResource, Destination: ToDebug, Debug: &out, Endpoint: "http://127.0.0.1:4318"})
	d.Emit(schema.EventUsage, attribute.String("event.id", "u1"))
	if !strings.Contains(out.String(), `"event":"waymark.usage"`) || !strings.Contains(out.String(), "app.installation.id") {
		t.Fatalf("debug output %q", out.String())
	}
}

// A write failure reaches the caller of Emit, never the OTel error handler.
func TestPipelineWriteErrorsReturnToCallerNotOTel(t *testing.T) {
	failOnHandle(t)
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	sp := OpenSpool(statedir.New(file), SpoolOptions{})
	p, _ := NewPipeline(Options{Resource: testResource, Destination: ToSpool, Spool: sp})
	if err := p.Emit(schema.EventMilestone); err == nil {
		t.Fatal("Emit into an unwritable spool returned nil")
	}
	if err := p.Emit(schema.EventUsage); err == nil {
		t.Fatal("second failing Emit returned nil")
	}
}

func TestEnvHazard(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "")
	t.Setenv("OTEL_SERVICE_NAME", "")
	if h := EnvHazard(); h != "" {
		t.Fatalf("clean env: %q", h)
	}
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "missing-equals")
	if h := EnvHazard(); !strings.Contains(h, "OTEL_RESOURCE_ATTRIBUTES") {
		t.Fatalf("malformed OTEL_RESOURCE_ATTRIBUTES: %q", h)
	}
}

func TestPipelineBuildsProviderOnlyWhenUsed(t *testing.T) {
	sp := OpenSpool(statedir.New(t.TempDir()), SpoolOptions{})
	p, _ := NewPipeline(Options{Resource: testResource, Destination: ToSpool, Spool: sp})
	if p.lp != nil {
		t.Fatal("provider built before any event")
	}
	if err := p.FlushMetrics(context.Background()); err != nil || p.lp != nil {
		t.Fatalf("flushing no metrics built the provider (%v)", err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Emit(schema.EventUsage); err == nil {
		t.Fatal("Emit after Shutdown succeeded")
	}
	if st, _ := sp.Stat(); st.Pending != 0 {
		t.Fatalf("%d entries after Shutdown", st.Pending)
	}
}

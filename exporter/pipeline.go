package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/waymarkhq/waymark/internal/otlpwire"
)

// Event names Waymark emits. Nothing else is ever sent.
const (
	EventMilestone   = "waymark.milestone"
	EventUsage       = "waymark.usage"
	EventHeartbeat   = "waymark.heartbeat"
	EventErrorReport = "waymark.error_report"
)

// ScopeName is the instrumentation scope of every event and metric.
const ScopeName = "waymark"

// Destination says where a Pipeline puts what it records.
type Destination uint8

const (
	// ToSpool encodes each event as OTLP protobuf and appends it to the spool,
	// from which an Uploader sends it (mode on).
	ToSpool Destination = iota
	// ToLocalLog appends each event as a JSON line to a local file and never
	// sends it (mode local). Metrics are not recorded.
	ToLocalLog
	// ToDebug prints each event as it would be sent to a writer and keeps
	// nothing (mode debug).
	ToDebug
)

// Options configures a Pipeline.
type Options struct {
	// Resource is the complete, allowlisted resource. It is encoded as given;
	// the resource the OTel SDK builds (which merges OTEL_RESOURCE_ATTRIBUTES)
	// is never used.
	Resource []attribute.KeyValue
	// Destination selects spool, local log or debug output.
	Destination Destination
	// Spool receives encoded events and metrics when Destination is ToSpool.
	Spool *Spool
	// LocalLog is the JSON-lines file used when Destination is ToLocalLog.
	LocalLog string
	// Debug receives the dry-run rendering when Destination is ToDebug.
	Debug io.Writer
	// Endpoint is shown in debug output only.
	Endpoint string
	// Version is the Waymark version recorded as the scope version.
	Version string
}

// Pipeline is Waymark's private OpenTelemetry pipeline: an sdk/log
// LoggerProvider for events and an sdk/metric MeterProvider with delta
// temporality, both ending in Waymark's own exporters. It never registers a
// global provider or error handler, never reads the caller's context, and
// never returns an error into the OTel SDK (which would print it).
type Pipeline struct {
	opts   Options
	lp     *sdklog.LoggerProvider
	logger log.Logger
	mp     *sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
	logExp *logExporter
	metExp *metricExporter

	milestones metric.Int64Counter
	heartbeats metric.Int64Counter
	uptime     metric.Float64Gauge
}

// EnvHazard reports why the OTel SDK would write to the process's standard
// error if Waymark built its pipeline in this process (a malformed
// OTEL_RESOURCE_ATTRIBUTES or OTEL_GO_X_CARDINALITY_LIMIT goes to the global
// error handler, which prints). It returns "" when building is safe. Callers
// turn telemetry off for the process when it is not.
func EnvHazard(lookup func(string) (string, bool)) string {
	if v, ok := lookup("OTEL_GO_X_CARDINALITY_LIMIT"); ok && strings.TrimSpace(v) != "" {
		if _, err := strconv.Atoi(strings.TrimSpace(v)); err != nil {
			return "OTEL_GO_X_CARDINALITY_LIMIT is not an integer; the OTel SDK would print an error"
		}
	}
	if _, err := resource.New(context.Background(), resource.WithFromEnv()); err != nil {
		return "OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME is malformed; the OTel SDK would print an error"
	}
	return ""
}

// NewPipeline builds the pipeline. It starts no goroutine.
func NewPipeline(o Options) (*Pipeline, error) {
	switch o.Destination {
	case ToSpool:
		if o.Spool == nil {
			return nil, errors.New("exporter: ToSpool needs a Spool")
		}
	case ToLocalLog:
		if o.LocalLog == "" {
			return nil, errors.New("exporter: ToLocalLog needs a LocalLog path")
		}
	case ToDebug:
		if o.Debug == nil {
			return nil, errors.New("exporter: ToDebug needs a Debug writer")
		}
	default:
		return nil, fmt.Errorf("exporter: unknown destination %d", o.Destination)
	}
	p := &Pipeline{opts: o}
	p.logExp = &logExporter{opts: o}
	p.lp = sdklog.NewLoggerProvider(
		sdklog.WithProcessor(syncProcessor{exp: p.logExp}),
		// Pinned so that OTEL_LOGRECORD_* variables cannot cut our attributes.
		sdklog.WithAttributeCountLimit(64),
		sdklog.WithAttributeValueLengthLimit(8192),
	)
	p.logger = p.lp.Logger(ScopeName, log.WithInstrumentationVersion(o.Version))

	p.metExp = &metricExporter{opts: o}
	p.reader = sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(deltaTemporality))
	p.mp = sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(p.reader),
		sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter),
		sdkmetric.WithCardinalityLimit(256),
	)
	meter := p.mp.Meter(ScopeName, metric.WithInstrumentationVersion(o.Version))
	var err error
	if p.milestones, err = meter.Int64Counter("waymark.milestones",
		metric.WithDescription("Milestones first reached on an installation."), metric.WithUnit("{milestone}")); err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	if p.heartbeats, err = meter.Int64Counter("waymark.heartbeats",
		metric.WithDescription("Server heartbeats."), metric.WithUnit("{heartbeat}")); err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	if p.uptime, err = meter.Float64Gauge("waymark.session.uptime",
		metric.WithDescription("Seconds since the server process started."), metric.WithUnit("s")); err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	return p, nil
}

func deltaTemporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return metricdata.DeltaTemporality
}

type resultKey struct{}

// Emit records one event with the given attributes. It returns the error of
// the durable write (spool or local log), so a caller can tell whether the
// event is safe before it marks anything as done.
func (p *Pipeline) Emit(event string, attrs ...attribute.KeyValue) error {
	var rec log.Record
	now := time.Now()
	rec.SetEventName(event)
	rec.SetTimestamp(now)
	rec.SetObservedTimestamp(now)
	rec.SetSeverity(log.SeverityInfo)
	rec.AddAttributes(attrs...)
	var res error
	// A context with no span: the host's trace ids never reach our records.
	ctx := context.WithValue(context.Background(), resultKey{}, &res)
	p.logger.Emit(ctx, rec)
	return res
}

// AddMilestone counts a milestone first recorded on this installation.
func (p *Pipeline) AddMilestone(name string) {
	p.milestones.Add(context.Background(), 1, metric.WithAttributes(attribute.String("milestone.name", name)))
}

// AddHeartbeat counts a heartbeat and sets the uptime gauge.
func (p *Pipeline) AddHeartbeat(uptime time.Duration) {
	p.heartbeats.Add(context.Background(), 1)
	p.uptime.Record(context.Background(), uptime.Seconds())
}

// FlushMetrics collects the delta since the last collection and records it
// (spooled in mode on; dropped in local and debug modes). An empty collection
// writes nothing.
func (p *Pipeline) FlushMetrics(ctx context.Context) error {
	var rm metricdata.ResourceMetrics
	if err := p.reader.Collect(ctx, &rm); err != nil {
		return fmt.Errorf("exporter: collect metrics: %w", err)
	}
	return p.metExp.Export(ctx, &rm)
}

// Shutdown stops both providers. Events already emitted are already durable.
func (p *Pipeline) Shutdown(ctx context.Context) error {
	return errors.Join(p.lp.Shutdown(ctx), p.mp.Shutdown(ctx))
}

// syncProcessor hands each record straight to the exporter. The SDK's own
// SimpleProcessor would do the same but reports into the host's global
// MeterProvider when OTel's experimental self-observability is switched on.
type syncProcessor struct{ exp *logExporter }

func (s syncProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (s syncProcessor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	err := s.exp.Export(ctx, []sdklog.Record{*r})
	if p, ok := ctx.Value(resultKey{}).(*error); ok && p != nil {
		*p = s.exp.takeErr()
	}
	return err
}
func (s syncProcessor) Shutdown(context.Context) error   { return nil }
func (s syncProcessor) ForceFlush(context.Context) error { return nil }

// logExporter is Waymark's sdk/log Exporter. It encodes OTLP itself and
// writes to the durable destination. It never returns an error to the SDK:
// the SDK would pass it to the global error handler, which prints on the
// host's stderr. The last error is kept for the caller instead.
type logExporter struct {
	opts Options
	mu   sync.Mutex
	err  error
}

var _ sdklog.Exporter = (*logExporter)(nil)

func (e *logExporter) takeErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.err
	e.err = nil
	return err
}

// Export implements sdklog.Exporter.
func (e *logExporter) Export(_ context.Context, recs []sdklog.Record) error {
	var errs []error
	for i := range recs {
		if err := e.export(&recs[i]); err != nil {
			errs = append(errs, err)
		}
	}
	e.mu.Lock()
	e.err = errors.Join(errs...)
	e.mu.Unlock()
	return nil
}

func (e *logExporter) export(r *sdklog.Record) error {
	switch e.opts.Destination {
	case ToDebug:
		line, _ := json.Marshal(Describe(r, e.opts.Resource))
		_, err := fmt.Fprintf(e.opts.Debug, "waymark debug: would send to %s/v1/logs: %s\n", e.opts.Endpoint, line)
		return err
	case ToLocalLog:
		line, err := json.Marshal(Describe(r, nil))
		if err != nil {
			return err
		}
		return appendLocal(e.opts.LocalLog, append(line, '\n'))
	default:
		scope := instrumentation.Scope{Name: ScopeName, Version: e.opts.Version}
		payload := otlpwire.AppendLogsData(nil, e.opts.Resource, scope, []sdklog.Record{*r})
		return e.opts.Spool.Append(kindOf(r.EventName()), Logs, payload)
	}
}

// Shutdown implements sdklog.Exporter.
func (e *logExporter) Shutdown(context.Context) error { return nil }

// ForceFlush implements sdklog.Exporter. Every export is already durable.
func (e *logExporter) ForceFlush(context.Context) error { return nil }

func kindOf(event string) Kind {
	switch event {
	case EventMilestone:
		return KindMilestone
	case EventErrorReport:
		return KindErrorReport
	case EventHeartbeat:
		return KindHeartbeat
	default:
		return KindUsage
	}
}

// localLogCap bounds local.jsonl; local mode must not fill a disk.
const localLogCap = 1 << 20

func appendLocal(path string, line []byte) error {
	if fi, err := os.Stat(path); err == nil && fi.Size()+int64(len(line)) > localLogCap {
		return fmt.Errorf("exporter: local log %s is full", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("exporter: local log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("exporter: local log: %w", err)
	}
	_, err = f.Write(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("exporter: local log: %w", err)
	}
	return nil
}

// EventView is the readable form of one event, used by debug mode, the local
// log and `telemetry status`.
type EventView struct {
	Time       string            `json:"time"`
	Event      string            `json:"event"`
	Attributes map[string]any    `json:"attributes"`
	Resource   map[string]string `json:"resource,omitempty"`
}

// Describe renders a record (and, when res is given, the resource it would be
// sent with) in readable form.
func Describe(r *sdklog.Record, res []attribute.KeyValue) EventView {
	v := EventView{
		Time:       r.Timestamp().UTC().Format(time.RFC3339Nano),
		Event:      r.EventName(),
		Attributes: map[string]any{},
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		v.Attributes[string(kv.Key)] = kv.Value.AsInterface()
		return true
	})
	if len(res) > 0 {
		v.Resource = make(map[string]string, len(res))
		for _, kv := range res {
			v.Resource[string(kv.Key)] = kv.Value.String()
		}
	}
	return v
}

// metricExporter is Waymark's sdk/metric Exporter: delta temporality,
// default aggregations, its own encoding, the spool as destination.
type metricExporter struct{ opts Options }

var _ sdkmetric.Exporter = (*metricExporter)(nil)

// Temporality implements sdkmetric.Exporter: always delta, so short-lived
// processes never need a delta-to-cumulative conversion downstream.
func (e *metricExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return deltaTemporality(k)
}

// Aggregation implements sdkmetric.Exporter.
func (e *metricExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

// Export implements sdkmetric.Exporter. Empty collections write nothing.
func (e *metricExporter) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	if e.opts.Destination != ToSpool || !hasPoints(rm) {
		return nil
	}
	payload := otlpwire.AppendMetricsData(nil, e.opts.Resource, rm)
	return e.opts.Spool.Append(KindMetrics, Metrics, payload)
}

// ForceFlush implements sdkmetric.Exporter.
func (e *metricExporter) ForceFlush(context.Context) error { return nil }

// Shutdown implements sdkmetric.Exporter.
func (e *metricExporter) Shutdown(context.Context) error { return nil }

func hasPoints(rm *metricdata.ResourceMetrics) bool {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if len(d.DataPoints) > 0 {
					return true
				}
			case metricdata.Sum[float64]:
				if len(d.DataPoints) > 0 {
					return true
				}
			case metricdata.Gauge[int64]:
				if len(d.DataPoints) > 0 {
					return true
				}
			case metricdata.Gauge[float64]:
				if len(d.DataPoints) > 0 {
					return true
				}
			}
		}
	}
	return false
}

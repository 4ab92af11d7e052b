package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
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
// LoggerProvider for events ending in Waymark's own exporter, and Waymark's
// three delta metrics collected into OTel's metricdata types. It never
// registers a global provider or error handler, never reads the caller's
// context, and never returns an error into the OTel SDK (which would print
// it).
//
// Metrics do not go through sdk/metric: linking its MeterProvider alone
// costs a CLI about 1.3 ms of start-up and 0.7 MB on every run, telemetry on
// or off (bench/README.md), which breaks the start-up budget of SPEC §5 by
// itself. Two counters and a gauge need no aggregation engine; deltaMetrics
// below keeps them.
type Pipeline struct {
	opts    Options
	metrics deltaMetrics

	// The LoggerProvider is built on the first Emit: most runs of a CLI
	// record nothing and should not pay for it.
	once   sync.Once
	lp     *sdklog.LoggerProvider
	logger log.Logger
	logExp *logExporter
}

// EnvHazard reports why the OTel SDK would write to the process's standard
// error if Waymark built its pipeline in this process: a malformed
// OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME goes to the global error
// handler, which prints, when sdk/log builds its default resource (which
// Waymark never sends). It returns "" when building is safe; callers turn
// telemetry off for the process when it is not. lookup is unused today and
// kept so the check can grow without reading the environment twice.
func EnvHazard(lookup func(string) (string, bool)) string {
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
	p.metrics.start = time.Now()
	return p, nil
}

// build makes the LoggerProvider, once, unless Shutdown came first.
func (p *Pipeline) build() {
	p.once.Do(func() {
		p.logExp = &logExporter{opts: p.opts}
		p.lp = sdklog.NewLoggerProvider(
			sdklog.WithProcessor(syncProcessor{exp: p.logExp}),
			// Pinned so that OTEL_LOGRECORD_* variables cannot cut our attributes.
			sdklog.WithAttributeCountLimit(64),
			sdklog.WithAttributeValueLengthLimit(8192),
		)
		p.logger = p.lp.Logger(ScopeName, log.WithInstrumentationVersion(p.opts.Version))
	})
}

type resultKey struct{}

// Emit records one event with the given attributes. It returns the error of
// the durable write (spool or local log), so a caller can tell whether the
// event is safe before it marks anything as done.
func (p *Pipeline) Emit(event string, attrs ...attribute.KeyValue) error {
	p.build()
	if p.logger == nil {
		return errors.New("exporter: pipeline is shut down")
	}
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
	p.metrics.addMilestone(name)
}

// AddHeartbeat counts a heartbeat and sets the uptime gauge.
func (p *Pipeline) AddHeartbeat(uptime time.Duration) {
	p.metrics.addHeartbeat(uptime, time.Now())
}

// FlushMetrics collects the delta since the last collection and records it
// (spooled in mode on; dropped in local and debug modes). An empty collection
// writes nothing.
func (p *Pipeline) FlushMetrics(context.Context) error {
	rm := p.metrics.collect(p.opts.Version, time.Now())
	if rm == nil || p.opts.Destination != ToSpool {
		return nil
	}
	payload := otlpwire.AppendMetricsData(nil, p.opts.Resource, rm)
	return p.opts.Spool.Append(KindMetrics, Metrics, payload)
}

// Shutdown stops the logger provider, if one was built; Emit fails after it.
// Events already emitted are durable.
func (p *Pipeline) Shutdown(ctx context.Context) error {
	p.once.Do(func() {}) // no provider is built after this
	if p.lp == nil {
		return nil
	}
	return p.lp.Shutdown(ctx)
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

// deltaMetrics keeps Waymark's metrics between collections: the
// waymark.milestones and waymark.heartbeats counters (delta temporality, so
// short-lived processes never need a delta-to-cumulative step downstream) and
// the waymark.session.uptime gauge.
type deltaMetrics struct {
	mu         sync.Mutex
	start      time.Time // start of the current delta window
	milestones map[string]int64
	heartbeats int64
	uptime     float64
	uptimeAt   time.Time
}

func (d *deltaMetrics) addMilestone(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.milestones == nil {
		d.milestones = make(map[string]int64)
	}
	d.milestones[name]++
}

func (d *deltaMetrics) addHeartbeat(uptime time.Duration, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.heartbeats++
	d.uptime, d.uptimeAt = uptime.Seconds(), now
}

// collect returns the window's metrics and starts a new window, or nil when
// nothing was measured since the last collection.
func (d *deltaMetrics) collect(version string, now time.Time) *metricdata.ResourceMetrics {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ms []metricdata.Metrics
	if len(d.milestones) > 0 {
		names := make([]string, 0, len(d.milestones))
		for n := range d.milestones {
			names = append(names, n)
		}
		sort.Strings(names)
		pts := make([]metricdata.DataPoint[int64], 0, len(names))
		for _, n := range names {
			pts = append(pts, metricdata.DataPoint[int64]{
				Attributes: attribute.NewSet(attribute.String("milestone.name", n)),
				StartTime:  d.start, Time: now, Value: d.milestones[n],
			})
		}
		ms = append(ms, metricdata.Metrics{
			Name: "waymark.milestones", Description: "Milestones first reached on an installation.", Unit: "{milestone}",
			Data: metricdata.Sum[int64]{DataPoints: pts, Temporality: metricdata.DeltaTemporality, IsMonotonic: true},
		})
	}
	if d.heartbeats > 0 {
		ms = append(ms, metricdata.Metrics{
			Name: "waymark.heartbeats", Description: "Server heartbeats.", Unit: "{heartbeat}",
			Data: metricdata.Sum[int64]{
				DataPoints:  []metricdata.DataPoint[int64]{{StartTime: d.start, Time: now, Value: d.heartbeats}},
				Temporality: metricdata.DeltaTemporality, IsMonotonic: true,
			},
		})
	}
	if !d.uptimeAt.IsZero() {
		ms = append(ms, metricdata.Metrics{
			Name: "waymark.session.uptime", Description: "Seconds since the server process started.", Unit: "s",
			Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{Time: d.uptimeAt, Value: d.uptime}}},
		})
	}
	d.milestones, d.heartbeats, d.uptimeAt, d.start = nil, 0, time.Time{}, now
	if len(ms) == 0 {
		return nil
	}
	return &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{
		Scope:   instrumentation.Scope{Name: ScopeName, Version: version},
		Metrics: ms,
	}}}
}

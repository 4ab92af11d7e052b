package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/waymarkhq/waymark/internal/otlpwire"
	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/statedir"
)

// ScopeName is the instrumentation scope of every event and metric.
const ScopeName = schema.Scope

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
	// LocalLog is the state dir whose local.jsonl receives events when
	// Destination is ToLocalLog.
	LocalLog *statedir.Dir
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
// or off (bench/README.md), which breaks Waymark's start-up budget (1.5 ms over the host) by
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
	closed atomic.Bool
}

// NewPipeline builds the pipeline. It starts no goroutine.
func NewPipeline(o Options) (*Pipeline, error) {
	switch o.Destination {
	case ToSpool:
		if o.Spool == nil {
			return nil, errors.New("export: ToSpool needs a Spool")
		}
	case ToLocalLog:
		if o.LocalLog == nil {
			return nil, errors.New("export: ToLocalLog needs a LocalLog state dir")
		}
	case ToDebug:
		if o.Debug == nil {
			return nil, errors.New("export: ToDebug needs a Debug writer")
		}
	default:
		return nil, fmt.Errorf("export: unknown destination %d", o.Destination)
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
			// The records' resource is never encoded (the exporter sends
			// its own); an empty one spares the SDK detecting its default
			// resource, about a third of a millisecond of a first run.
			sdklog.WithResource(resource.Empty()),
		)
		p.logger = p.lp.Logger(ScopeName, log.WithInstrumentationVersion(p.opts.Version))
	})
}

type resultKey struct{}

// payloadHint is room for an event's or a run's metrics' OTLP payload (about
// 500 bytes), so it is encoded into one allocation instead of growing
// through eight.
const payloadHint = 1024

// Emit records one event with the given attributes. It returns the error of
// this event's own durable write (spool or local log), so a caller can tell
// whether the event is safe before it marks anything as done. Concurrent
// Emits each get their own result.
func (p *Pipeline) Emit(event string, attrs ...attribute.KeyValue) error {
	p.build()
	if p.logger == nil || p.closed.Load() {
		return errors.New("export: pipeline is shut down")
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
	payload := otlpwire.AppendSumsAndGauges(make([]byte, 0, payloadHint), p.opts.Resource, rm)
	return p.opts.Spool.Append(Kind(schema.MetricsKind), Metrics, payload)
}

// Shutdown stops the logger provider, if one was built; every Emit after it
// fails and records nothing. Events already emitted are durable.
func (p *Pipeline) Shutdown(ctx context.Context) error {
	p.closed.Store(true)
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
	err := s.exp.export(r)
	if p, ok := ctx.Value(resultKey{}).(*error); ok && p != nil {
		*p = err
	}
	return nil
}
func (s syncProcessor) Shutdown(context.Context) error   { return nil }
func (s syncProcessor) ForceFlush(context.Context) error { return nil }

// logExporter is Waymark's sdk/log Exporter. It encodes OTLP itself and
// writes to the durable destination. It never returns an error to the SDK:
// the SDK would pass it to the global error handler, which prints on the
// host's stderr. The processor hands each record's own result to its Emit.
type logExporter struct {
	opts Options
}

var _ sdklog.Exporter = (*logExporter)(nil)

// Export implements sdklog.Exporter. Waymark's processor calls export
// directly, so each record's result reaches its own caller; this path only
// serves the interface, and drops errors rather than hand them to the SDK.
func (e *logExporter) Export(_ context.Context, recs []sdklog.Record) error {
	for i := range recs {
		e.export(&recs[i])
	}
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
		if err := e.opts.LocalLog.Append(statedir.LocalLog, append(line, '\n'), localLogCap); err != nil {
			return fmt.Errorf("export: local log: %w", err)
		}
		return nil
	default:
		scope := instrumentation.Scope{Name: ScopeName, Version: e.opts.Version}
		payload := otlpwire.AppendLogsData(make([]byte, 0, payloadHint), e.opts.Resource, scope, []sdklog.Record{*r})
		ev, ok := schema.Lookup(r.EventName())
		if !ok {
			return fmt.Errorf("export: %q is not an event of the schema", r.EventName())
		}
		return e.opts.Spool.Append(Kind(ev.Kind), Logs, payload)
	}
}

// Shutdown implements sdklog.Exporter.
func (e *logExporter) Shutdown(context.Context) error { return nil }

// ForceFlush implements sdklog.Exporter. Every export is already durable.
func (e *logExporter) ForceFlush(context.Context) error { return nil }

// localLogCap bounds local.jsonl; local mode must not fill a disk.
const localLogCap = 1 << 20

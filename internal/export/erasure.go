package export

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/waymarkhq/waymark/internal/otlpwire"
	"github.com/waymarkhq/waymark/internal/schema"
)

// ErasurePayload encodes the erasure request of one install: a LogsData
// message with the install's resource and one waymark.erasure record whose
// only attribute is event.id. It is sent on its own, outside the spool,
// because it is the one thing sent while telemetry is off.
func ErasurePayload(res []attribute.KeyValue, version, eventID string, at time.Time) []byte {
	capture := &captureProcessor{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(capture), sdklog.WithResource(resource.Empty()))
	var rec log.Record
	rec.SetEventName(schema.EventErasure)
	rec.SetTimestamp(at)
	rec.SetObservedTimestamp(at)
	rec.SetSeverity(log.SeverityInfo)
	rec.AddAttributes(attribute.String("event.id", eventID))
	lp.Logger(ScopeName, log.WithInstrumentationVersion(version)).Emit(context.Background(), rec)
	lp.Shutdown(context.Background())
	scope := instrumentation.Scope{Name: ScopeName, Version: version}
	return otlpwire.AppendLogsData(make([]byte, 0, payloadHint), res, scope, capture.recs)
}

// captureProcessor keeps the records it is given.
type captureProcessor struct{ recs []sdklog.Record }

func (c *captureProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (c *captureProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	c.recs = append(c.recs, r.Clone())
	return nil
}
func (c *captureProcessor) Shutdown(context.Context) error   { return nil }
func (c *captureProcessor) ForceFlush(context.Context) error { return nil }

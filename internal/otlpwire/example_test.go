package otlpwire_test

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/otlpwire"
)

// spoolExporter stands in for Waymark's exporter: it encodes each batch the
// SDK hands it.
type spoolExporter struct {
	res     []attribute.KeyValue
	entries [][]byte
}

func (e *spoolExporter) Export(_ context.Context, recs []sdklog.Record) error {
	scope := instrumentation.Scope{Name: "github.com/waymarkhq/waymark/exporter"}
	e.entries = append(e.entries, otlpwire.AppendLogsData(nil, e.res, scope, recs))
	return nil
}
func (*spoolExporter) Shutdown(context.Context) error   { return nil }
func (*spoolExporter) ForceFlush(context.Context) error { return nil }

func ExampleAppendLogsData() {
	exp := &spoolExporter{res: []attribute.KeyValue{
		attribute.String("service.name", "acme"),
		attribute.String("service.version", "1.4.2"),
	}}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	defer lp.Shutdown(context.Background())
	logger := lp.Logger("github.com/waymarkhq/waymark/exporter")

	for _, name := range []string{"first_run", "first_deploy"} {
		var r log.Record
		r.SetEventName("waymark.milestone")
		r.SetTimestamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		r.AddAttributes(attribute.String("milestone.name", name))
		logger.Emit(context.Background(), r)
	}

	// The uploader concatenates spool entries into one request body.
	var body []byte
	for _, e := range exp.entries {
		body = append(body, e...)
	}
	var req collogspb.ExportLogsServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		fmt.Println(err)
		return
	}
	for _, rl := range req.ResourceLogs {
		lr := rl.ScopeLogs[0].LogRecords[0]
		fmt.Println(rl.Resource.Attributes[0].Value.GetStringValue(), lr.EventName,
			lr.Attributes[0].Value.GetStringValue(), time.Unix(0, int64(lr.TimeUnixNano)).UTC().Format(time.RFC3339))
	}
	// Output:
	// acme waymark.milestone first_run 2026-01-02T03:04:05Z
	// acme waymark.milestone first_deploy 2026-01-02T03:04:05Z
}

package otlpwire

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/trace"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"
)

var (
	testTime     = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)
	testObserved = testTime.Add(time.Millisecond)
)

// waymarkResource is a realistic resource (the keys the SDK sends) followed by one
// attribute of every attribute.Type.
func waymarkResource() []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("service.name", "acme"),
		attribute.String("service.version", "1.4.2"),
		attribute.String("app.installation.id", "3f0c6a52-8d7e-4b1a-9c2f-5e6d7a8b9c0d"),
		attribute.String("os.type", "linux"),
		attribute.String("host.arch", "amd64"),
		attribute.String("process.runtime.name", "go"),
		attribute.String("process.runtime.version", "go1.26.0"),
		attribute.String("telemetry.sdk.name", "waymark"),
		attribute.String("telemetry.sdk.language", "go"),
		attribute.String("telemetry.sdk.version", "0.1.0"),
	}
}

func allTypesResource() []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("s", "é✓"),
		attribute.String("empty", ""),
		attribute.Bool("t", true),
		attribute.Bool("f", false),
		attribute.Int64("neg", math.MinInt64),
		attribute.Int64("zero", 0),
		attribute.Float64("nan", math.NaN()),
		attribute.Float64("inf", math.Inf(-1)),
		attribute.Float64("negzero", math.Copysign(0, -1)),
		attribute.BoolSlice("bs", []bool{true, false}),
		attribute.Int64Slice("is", []int64{-1, 0, math.MaxInt64}),
		attribute.Float64Slice("fs", []float64{0.5, math.Inf(1)}),
		attribute.StringSlice("ss", []string{"", "b"}),
		attribute.StringSlice("ss0", []string{}),
		attribute.ByteSlice("bytes", []byte{0, 0xff}),
		attribute.Slice("slice", attribute.StringValue("x"), attribute.Int64Value(1)),
		attribute.Map("map", attribute.String("k", "v")),
		{Key: "none"}, // the EMPTY value
		attribute.String("", "empty key"),
	}
}

func wantAllTypesResource() *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
		pbKV("s", pbStr("é✓")),
		pbKV("empty", pbStr("")),
		pbKV("t", pbBool(true)),
		pbKV("f", pbBool(false)),
		pbKV("neg", pbInt(math.MinInt64)),
		pbKV("zero", pbInt(0)),
		pbKV("nan", pbDouble(math.NaN())),
		pbKV("inf", pbDouble(math.Inf(-1))),
		pbKV("negzero", pbDouble(math.Copysign(0, -1))),
		pbKV("bs", pbArray(pbBool(true), pbBool(false))),
		pbKV("is", pbArray(pbInt(-1), pbInt(0), pbInt(math.MaxInt64))),
		pbKV("fs", pbArray(pbDouble(0.5), pbDouble(math.Inf(1)))),
		pbKV("ss", pbArray(pbStr(""), pbStr("b"))),
		pbKV("ss0", pbArray()),
		pbKV("bytes", pbBytes([]byte{0, 0xff})),
		pbKV("slice", pbArray(pbStr("x"), pbInt(1))),
		pbKV("map", pbMap(pbKV("k", pbStr("v")))),
		pbKV("none", &commonpb.AnyValue{}),
		pbKV("", pbStr("empty key")),
	}}
}

func wantWaymarkResource() *resourcepb.Resource {
	r := &resourcepb.Resource{}
	for _, kv := range waymarkResource() {
		r.Attributes = append(r.Attributes, pbKV(string(kv.Key), pbStr(kv.Value.AsString())))
	}
	return r
}

func milestoneRecord() log.Record {
	var r log.Record
	r.SetEventName("waymark.milestone")
	r.SetTimestamp(testTime)
	r.SetObservedTimestamp(testObserved)
	r.SetSeverity(log.SeverityInfo)
	r.AddAttributes(
		attribute.String("milestone.name", "first_deploy"),
		attribute.String("event.id", "6c1b1f0e-3a4d-5e6f-8a9b-0c1d2e3f4a5b"),
	)
	return r
}

func wantMilestoneRecord() *logspb.LogRecord {
	return &logspb.LogRecord{
		TimeUnixNano:         uint64(testTime.UnixNano()),
		ObservedTimeUnixNano: uint64(testObserved.UnixNano()),
		SeverityNumber:       logspb.SeverityNumber_SEVERITY_NUMBER_INFO,
		EventName:            "waymark.milestone",
		Attributes: []*commonpb.KeyValue{
			pbKV("milestone.name", pbStr("first_deploy")),
			pbKV("event.id", pbStr("6c1b1f0e-3a4d-5e6f-8a9b-0c1d2e3f4a5b")),
		},
	}
}

func TestAppendLogsDataMilestone(t *testing.T) {
	recs := emit(t, context.Background(), milestoneRecord())
	got := AppendLogsData(nil, waymarkResource(), testScope(), recs)
	want := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{
		logsData(wantWaymarkResource(), pbTestScope(), wantMilestoneRecord()),
	}}
	checkEncoding(t, got, &collogspb.ExportLogsServiceRequest{}, want)
	// LogsData and the export request are the same message on the wire.
	checkEncoding(t, got, &logspb.LogsData{}, &logspb.LogsData{ResourceLogs: want.ResourceLogs})
}

func TestAppendLogsDataEveryField(t *testing.T) {
	long := strings.Repeat("ü", 200) // 400 bytes: two-byte length varints
	var r log.Record
	r.SetEventName("waymark.error_report")
	r.SetTimestamp(testTime)
	r.SetObservedTimestamp(testObserved)
	r.SetSeverity(log.SeverityError4)
	r.SetSeverityText("ERROR4")
	r.SetBody(attribute.MapValue(
		attribute.String("message", long),
		attribute.Int64("n", -7),
	))
	r.AddAttributes(allTypesResource()...)
	recs := emit(t, context.Background(), r)
	if recs[0].DroppedAttributes() != 0 {
		t.Fatalf("SDK dropped %d attributes; the test expects none", recs[0].DroppedAttributes())
	}

	scope := instrumentation.Scope{
		Name: "acme", Version: "1.4.2", SchemaURL: "https://opentelemetry.io/schemas/1.37.0",
		Attributes: attribute.NewSet(attribute.String("scope.k", "v")),
	}
	got := AppendLogsData(nil, allTypesResource(), scope, recs)

	// The SDK drops record attributes with an empty key; nothing else.
	wantAttrs := wantAllTypesResource().Attributes
	wantAttrs = wantAttrs[:len(wantAttrs)-1]
	want := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: wantAllTypesResource(),
		ScopeLogs: []*logspb.ScopeLogs{{
			Scope: &commonpb.InstrumentationScope{
				Name: "acme", Version: "1.4.2",
				Attributes: []*commonpb.KeyValue{pbKV("scope.k", pbStr("v"))},
			},
			SchemaUrl: "https://opentelemetry.io/schemas/1.37.0",
			LogRecords: []*logspb.LogRecord{{
				TimeUnixNano:         uint64(testTime.UnixNano()),
				ObservedTimeUnixNano: uint64(testObserved.UnixNano()),
				SeverityNumber:       logspb.SeverityNumber_SEVERITY_NUMBER_ERROR4,
				SeverityText:         "ERROR4",
				EventName:            "waymark.error_report",
				Body:                 pbMap(pbKV("message", pbStr(long)), pbKV("n", pbInt(-7))),
				Attributes:           wantAttrs,
			}},
		}},
	}}}
	decoded := &collogspb.ExportLogsServiceRequest{}
	checkEncoding(t, got, decoded, want)

	// proto.Equal treats -0 and +0 alike; the bits must survive too.
	for _, kv := range decoded.ResourceLogs[0].Resource.Attributes {
		if kv.Key == "negzero" && !math.Signbit(kv.Value.GetDoubleValue()) {
			t.Errorf("negative zero lost its sign")
		}
	}
}

func TestAppendLogsDataBodies(t *testing.T) {
	big := strings.Repeat("x", 20000) // three-byte length varint
	tests := []struct {
		name string
		body attribute.Value
		want *commonpb.AnyValue // nil: no body field
	}{
		{"none", attribute.Value{}, nil},
		{"string", attribute.StringValue("hello"), pbStr("hello")},
		{"empty string", attribute.StringValue(""), pbStr("")},
		{"unicode", attribute.StringValue("日本語 🚀 \u0000 \u00e9"), pbStr("日本語 🚀 \u0000 \u00e9")},
		{"127 bytes", attribute.StringValue(big[:127]), pbStr(big[:127])},
		{"128 bytes", attribute.StringValue(big[:128]), pbStr(big[:128])},
		{"16384 bytes", attribute.StringValue(big[:16384]), pbStr(big[:16384])},
		{"20000 bytes", attribute.StringValue(big), pbStr(big)},
		{"invalid utf-8", attribute.StringValue("a\xffb\xc3"), pbStr("a\uFFFDb\uFFFD")},
		{"false", attribute.BoolValue(false), pbBool(false)},
		{"true", attribute.BoolValue(true), pbBool(true)},
		{"zero", attribute.Int64Value(0), pbInt(0)},
		{"negative", attribute.Int64Value(-1), pbInt(-1)},
		{"min int", attribute.Int64Value(math.MinInt64), pbInt(math.MinInt64)},
		{"max int", attribute.Int64Value(math.MaxInt64), pbInt(math.MaxInt64)},
		{"float", attribute.Float64Value(-2.25), pbDouble(-2.25)},
		{"nan", attribute.Float64Value(math.NaN()), pbDouble(math.NaN())},
		{"+inf", attribute.Float64Value(math.Inf(1)), pbDouble(math.Inf(1))},
		{"-inf", attribute.Float64Value(math.Inf(-1)), pbDouble(math.Inf(-1))},
		{"bytes", attribute.ByteSliceValue([]byte("\x00\x01\xfe")), pbBytes([]byte("\x00\x01\xfe"))},
		{"empty bytes", attribute.ByteSliceValue(nil), pbBytes(nil)},
		{"empty slice", attribute.SliceValue(), pbArray()},
		{"empty map", attribute.MapValue(), pbMap()},
		{"nested", attribute.SliceValue(
			attribute.MapValue(attribute.Slice("inner", attribute.BoolValue(true), attribute.Value{})),
			attribute.StringSliceValue([]string{big[:200]}),
			attribute.Value{},
		), pbArray(
			pbMap(pbKV("inner", pbArray(pbBool(true), &commonpb.AnyValue{}))),
			pbArray(pbStr(big[:200])),
			&commonpb.AnyValue{},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r log.Record
			r.SetTimestamp(testTime)
			r.SetObservedTimestamp(testObserved)
			r.SetBody(tt.body)
			recs := emit(t, context.Background(), r)
			got := AppendLogsData(nil, nil, testScope(), recs)
			want := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{
				logsData(&resourcepb.Resource{}, pbTestScope(), &logspb.LogRecord{
					TimeUnixNano:         uint64(testTime.UnixNano()),
					ObservedTimeUnixNano: uint64(testObserved.UnixNano()),
					Body:                 tt.want,
				}),
			}}
			checkEncoding(t, got, &collogspb.ExportLogsServiceRequest{}, want)
		})
	}
}

// Zero-valued fields are omitted, as proto3 does: a record with nothing
// but an observed time encodes to just that field.
func TestAppendLogsDataZeroFields(t *testing.T) {
	var r log.Record
	r.SetObservedTimestamp(testObserved)
	recs := emit(t, context.Background(), r)
	got := AppendLogsData(nil, nil, instrumentation.Scope{}, recs)
	want := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{
		logsData(&resourcepb.Resource{}, &commonpb.InstrumentationScope{}, &logspb.LogRecord{
			ObservedTimeUnixNano: uint64(testObserved.UnixNano()),
		}),
	}}
	checkEncoding(t, got, &collogspb.ExportLogsServiceRequest{}, want)

	// No records at all still makes one well-formed ResourceLogs.
	got = AppendLogsData(nil, nil, instrumentation.Scope{}, nil)
	want.ResourceLogs[0].ScopeLogs[0].LogRecords = nil
	checkEncoding(t, got, &collogspb.ExportLogsServiceRequest{}, want)
}

func TestAppendLogsDataDroppedAttributes(t *testing.T) {
	exp := &memExporter{}
	lp := sdklog.NewLoggerProvider(
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)),
		sdklog.WithAttributeCountLimit(1),
	)
	defer lp.Shutdown(context.Background())
	lp.Logger("x").Emit(context.Background(), milestoneRecord())
	got := AppendLogsData(nil, nil, instrumentation.Scope{}, exp.recs)
	var req collogspb.ExportLogsServiceRequest
	if err := proto.Unmarshal(got, &req); err != nil {
		t.Fatal(err)
	}
	lr := req.ResourceLogs[0].ScopeLogs[0].LogRecords[0]
	if lr.DroppedAttributesCount != 1 || len(lr.Attributes) != 1 {
		t.Fatalf("dropped_attributes_count = %d with %d attributes, want 1 and 1", lr.DroppedAttributesCount, len(lr.Attributes))
	}
}

// The uploader concatenates spooled entries into one request body.
func TestAppendLogsDataConcatenates(t *testing.T) {
	first := emit(t, context.Background(), milestoneRecord())
	var usage log.Record
	usage.SetEventName("waymark.usage")
	usage.SetObservedTimestamp(testObserved)
	second := emit(t, context.Background(), usage, milestoneRecord())

	buf := AppendLogsData(nil, waymarkResource(), testScope(), first)
	buf = AppendLogsData(buf, allTypesResource(), testScope(), second)
	want := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{
		logsData(wantWaymarkResource(), pbTestScope(), wantMilestoneRecord()),
		logsData(wantAllTypesResource(), pbTestScope(),
			&logspb.LogRecord{EventName: "waymark.usage", ObservedTimeUnixNano: uint64(testObserved.UnixNano())},
			wantMilestoneRecord()),
	}}
	checkEncoding(t, buf, &collogspb.ExportLogsServiceRequest{}, want)

	// Appending keeps what dst held.
	prefix := []byte("keep")
	out := AppendLogsData(prefix, nil, testScope(), first)
	if !bytes.HasPrefix(out, []byte("keep")) {
		t.Fatalf("AppendLogsData overwrote dst's contents")
	}
}

// The host's trace context must never leak into what is sent.
func TestAppendLogsDataOmitsTraceContext(t *testing.T) {
	traceID := trace.TraceID{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	spanID := trace.SpanID{0xca, 0xfe, 0xba, 0xbe, 1, 2, 3, 4}
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled,
	}))
	recs := emit(t, ctx, milestoneRecord())
	if recs[0].TraceID() != traceID || recs[0].SpanID() != spanID {
		t.Fatalf("precondition: the SDK record should carry the context's ids")
	}
	got := AppendLogsData(nil, waymarkResource(), testScope(), recs)
	if bytes.Contains(got, traceID[:]) || bytes.Contains(got, spanID[:]) {
		t.Fatalf("trace or span id bytes appear in the encoding: %x", got)
	}
	want := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{
		logsData(wantWaymarkResource(), pbTestScope(), wantMilestoneRecord()),
	}}
	checkEncoding(t, got, &collogspb.ExportLogsServiceRequest{}, want)
}

// Nothing at all is allocated for a milestone when dst has room.
func TestAppendLogsDataAllocs(t *testing.T) {
	recs := emit(t, context.Background(), milestoneRecord())
	res := waymarkResource()
	scope := testScope()
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendLogsData(buf[:0], res, scope, recs)
	})
	if allocs != 0 {
		t.Errorf("AppendLogsData allocated %v times per run, want 0", allocs)
	}
}

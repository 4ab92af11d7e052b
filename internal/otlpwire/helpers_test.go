package otlpwire

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// memExporter keeps what a real sdklog pipeline exports.
type memExporter struct {
	mu   sync.Mutex
	recs []sdklog.Record
}

func (e *memExporter) Export(_ context.Context, recs []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range recs {
		e.recs = append(e.recs, recs[i].Clone())
	}
	return nil
}

func (*memExporter) Shutdown(context.Context) error   { return nil }
func (*memExporter) ForceFlush(context.Context) error { return nil }

// testScope is the scope the test logger emits with.
func testScope() instrumentation.Scope {
	return instrumentation.Scope{Name: "github.com/waymarkhq/waymark/exporter", Version: "0.1.0"}
}

// emit sends recs through a real LoggerProvider and returns the SDK records
// its exporter received.
func emit(tb testing.TB, ctx context.Context, recs ...log.Record) []sdklog.Record {
	tb.Helper()
	exp := &memExporter{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	defer lp.Shutdown(context.Background())
	s := testScope()
	l := lp.Logger(s.Name, log.WithInstrumentationVersion(s.Version))
	for _, r := range recs {
		l.Emit(ctx, r)
	}
	if len(exp.recs) != len(recs) {
		tb.Fatalf("exported %d records, want %d", len(exp.recs), len(recs))
	}
	return exp.recs
}

// Builders for expected messages.

func pbStr(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

func pbBool(b bool) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: b}}
}

func pbInt(i int64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: i}}
}

func pbDouble(f float64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}
}

func pbBytes(b []byte) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: b}}
}

func pbArray(vs ...*commonpb.AnyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vs}}}
}

func pbMap(kvs ...*commonpb.KeyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: kvs}}}
}

func pbKV(k string, v *commonpb.AnyValue) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: v}
}

// refAnyValue is the test's independent oracle for how an attribute.Value
// maps to AnyValue, used where inputs are random (fuzzing).
func refAnyValue(v attribute.Value) *commonpb.AnyValue {
	fix := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
	switch v.Type() {
	case attribute.BOOL:
		return pbBool(v.AsBool())
	case attribute.INT64:
		return pbInt(v.AsInt64())
	case attribute.FLOAT64:
		return pbDouble(v.AsFloat64())
	case attribute.STRING:
		return pbStr(fix(v.AsString()))
	case attribute.BYTESLICE:
		return pbBytes(v.AsByteSlice())
	case attribute.BOOLSLICE:
		a := pbArray()
		for _, x := range v.AsBoolSlice() {
			a.GetArrayValue().Values = append(a.GetArrayValue().Values, pbBool(x))
		}
		return a
	case attribute.INT64SLICE:
		a := pbArray()
		for _, x := range v.AsInt64Slice() {
			a.GetArrayValue().Values = append(a.GetArrayValue().Values, pbInt(x))
		}
		return a
	case attribute.FLOAT64SLICE:
		a := pbArray()
		for _, x := range v.AsFloat64Slice() {
			a.GetArrayValue().Values = append(a.GetArrayValue().Values, pbDouble(x))
		}
		return a
	case attribute.STRINGSLICE:
		a := pbArray()
		for _, x := range v.AsStringSlice() {
			a.GetArrayValue().Values = append(a.GetArrayValue().Values, pbStr(fix(x)))
		}
		return a
	case attribute.SLICE:
		a := pbArray()
		for _, x := range v.AsSlice() {
			a.GetArrayValue().Values = append(a.GetArrayValue().Values, refAnyValue(x))
		}
		return a
	case attribute.MAP:
		m := pbMap()
		for _, kv := range v.AsMap() {
			m.GetKvlistValue().Values = append(m.GetKvlistValue().Values, refKV(kv))
		}
		return m
	}
	return &commonpb.AnyValue{}
}

func refKV(kv attribute.KeyValue) *commonpb.KeyValue {
	return pbKV(strings.ToValidUTF8(string(kv.Key), "\uFFFD"), refAnyValue(kv.Value))
}

func refResource(attrs []attribute.KeyValue) *resourcepb.Resource {
	r := &resourcepb.Resource{}
	for _, kv := range attrs {
		r.Attributes = append(r.Attributes, refKV(kv))
	}
	return r
}

// refLogRecord is the oracle for one SDK record.
func refLogRecord(r *sdklog.Record) *logspb.LogRecord {
	lr := &logspb.LogRecord{
		TimeUnixNano:           uint64(r.Timestamp().UnixNano()),
		ObservedTimeUnixNano:   uint64(r.ObservedTimestamp().UnixNano()),
		SeverityNumber:         logspb.SeverityNumber(r.Severity()),
		SeverityText:           strings.ToValidUTF8(r.SeverityText(), "\uFFFD"),
		EventName:              strings.ToValidUTF8(r.EventName(), "\uFFFD"),
		DroppedAttributesCount: uint32(r.DroppedAttributes()),
	}
	if r.Timestamp().IsZero() {
		lr.TimeUnixNano = 0
	}
	if r.Body().Type() != attribute.EMPTY {
		lr.Body = refAnyValue(r.Body())
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		lr.Attributes = append(lr.Attributes, refKV(kv))
		return true
	})
	return lr
}

// logsData wraps one resource, scope and records as the encoder should.
func logsData(res *resourcepb.Resource, scope *commonpb.InstrumentationScope, lrs ...*logspb.LogRecord) *logspb.ResourceLogs {
	return &logspb.ResourceLogs{
		Resource:  res,
		ScopeLogs: []*logspb.ScopeLogs{{Scope: scope, LogRecords: lrs}},
	}
}

func pbTestScope() *commonpb.InstrumentationScope {
	s := testScope()
	return &commonpb.InstrumentationScope{Name: s.Name, Version: s.Version}
}

// checkEncoding fails unless got decodes into a message proto.Equal to want
// and is byte-identical to google.golang.org/protobuf's deterministic
// encoding of want (fields in field-number order, real oneofs last, as the
// encoder writes them).
func checkEncoding(t testing.TB, got []byte, decoded, want proto.Message) {
	t.Helper()
	if err := proto.Unmarshal(got, decoded); err != nil {
		t.Fatalf("proto.Unmarshal: %v", err)
	}
	if !proto.Equal(decoded, want) {
		t.Fatalf("decoded message differs\n got: %s\nwant: %s", prototext.Format(decoded), prototext.Format(want))
	}
	canonical, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
	if err != nil {
		t.Fatalf("proto.Marshal(want): %v", err)
	}
	if string(canonical) != string(got) {
		t.Fatalf("encoding is not byte-identical to proto.Marshal\n got: %x\nwant: %x", got, canonical)
	}
}

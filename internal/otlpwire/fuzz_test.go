package otlpwire

import (
	"context"
	"math"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
)

// FuzzAppendLogsData encodes random resource attributes, record
// attributes and bodies, and checks that the official decoder reads back
// exactly what went in (strings repaired to valid UTF-8).
func FuzzAppendLogsData(f *testing.F) {
	f.Add("service.name", "acme", int64(0), 0.0, false, []byte(nil), int32(9))
	f.Add("", "", int64(-1), math.Inf(1), true, []byte{0}, int32(-5))
	f.Add("k\xff", "é\xc3", int64(math.MinInt64), math.NaN(), true, []byte("\xff\xfe"), int32(math.MaxInt32))
	f.Add("✓", string(make([]byte, 300)), int64(math.MaxInt64), math.Copysign(0, -1), false, make([]byte, 200), int32(24))
	f.Fuzz(func(t *testing.T, key, s string, i int64, fl float64, b bool, raw []byte, sev int32) {
		res := []attribute.KeyValue{
			attribute.String(key, s),
			attribute.Int64("i", i),
			attribute.Float64(key+".f", fl),
			attribute.Bool("b", b),
			attribute.StringSlice(key, []string{s, key}),
			attribute.Int64Slice("is", []int64{i, -i}),
			attribute.Float64Slice("fs", []float64{fl}),
			attribute.BoolSlice("bs", []bool{b, !b}),
			attribute.ByteSlice("raw", raw),
			attribute.Map("m", attribute.String(key, s), attribute.Int64(s, i)),
			attribute.Slice("sl", attribute.StringValue(s), attribute.Value{}),
		}
		var r log.Record
		r.SetEventName(s)
		r.SetSeverity(log.Severity(sev))
		r.SetSeverityText(key)
		r.SetObservedTimestamp(testObserved)
		if i > 0 {
			r.SetTimestamp(testTime.Add(-1e9))
		}
		r.SetBody(attribute.SliceValue(
			attribute.StringValue(s),
			attribute.ByteSliceValue(raw),
			attribute.Float64Value(fl),
			attribute.MapValue(attribute.String(key, s), attribute.Bool("b", b)),
		))
		r.AddAttributes(attribute.String(key, s), attribute.Int64("n", i), attribute.ByteSlice("raw", raw))
		recs := emit(t, context.Background(), r, r)

		got := AppendLogsData(nil, res, testScope(), recs)
		want := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{
			logsData(refResource(res), pbTestScope(), refLogRecord(&recs[0]), refLogRecord(&recs[1])),
		}}
		decoded := &collogspb.ExportLogsServiceRequest{}
		checkEncoding(t, got, decoded, want)

		// proto.Equal cannot tell -0 from +0 or one NaN from another.
		gotF := decoded.ResourceLogs[0].Resource.Attributes[2].Value.GetDoubleValue()
		if math.Float64bits(gotF) != math.Float64bits(fl) {
			t.Fatalf("float %x decoded as %x", math.Float64bits(fl), math.Float64bits(gotF))
		}
	})
}

package otlpwire

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"
)

// dump renders decoded data with every value's type, so that int64(1),
// float64(1) and "1" differ, NaNs compare by bits, and nil and empty slices
// look alike (protobuf does not tell them apart either).
func dump(ld LogsData) string {
	var b strings.Builder
	for _, rl := range ld.ResourceLogs {
		b.WriteString("resource{")
		dumpKVs(&b, rl.Resource)
		b.WriteString("}\n")
		for _, sl := range rl.ScopeLogs {
			fmt.Fprintf(&b, "  scope %q %q\n", sl.ScopeName, sl.ScopeVersion)
			for _, lr := range sl.LogRecords {
				fmt.Fprintf(&b, "    record t=%d o=%d name=%q {", lr.TimeUnixNano, lr.ObservedTimeUnixNano, lr.EventName)
				dumpKVs(&b, lr.Attributes)
				b.WriteString("}\n")
			}
		}
	}
	return b.String()
}

func dumpKVs(b *strings.Builder, kvs []KeyValue) {
	for i, kv := range kvs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "%q=", kv.Key)
		dumpValue(b, kv.Value)
	}
}

func dumpValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("nil")
	case string:
		fmt.Fprintf(b, "s:%q", x)
	case bool:
		fmt.Fprintf(b, "b:%t", x)
	case int64:
		fmt.Fprintf(b, "i:%d", x)
	case float64:
		fmt.Fprintf(b, "d:%x", math.Float64bits(x))
	case []byte:
		fmt.Fprintf(b, "x:%x", x)
	case []any:
		b.WriteString("a[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(" ")
			}
			dumpValue(b, e)
		}
		b.WriteString("]")
	case []KeyValue:
		b.WriteString("m{")
		dumpKVs(b, x)
		b.WriteString("}")
	default:
		fmt.Fprintf(b, "unexpected %T", v)
	}
}

// fromPB is the oracle: what DecodeLogsData must return for a message that
// google.golang.org/protobuf decoded.
func fromPB(m *logspb.LogsData) LogsData {
	var out LogsData
	for _, rl := range m.ResourceLogs {
		r := ResourceLogs{Resource: kvsFromPB(rl.GetResource().GetAttributes())}
		for _, sl := range rl.ScopeLogs {
			s := ScopeLogs{ScopeName: sl.GetScope().GetName(), ScopeVersion: sl.GetScope().GetVersion()}
			for _, lr := range sl.LogRecords {
				s.LogRecords = append(s.LogRecords, LogRecord{
					TimeUnixNano:         lr.TimeUnixNano,
					ObservedTimeUnixNano: lr.ObservedTimeUnixNano,
					EventName:            lr.EventName,
					Attributes:           kvsFromPB(lr.Attributes),
				})
			}
			r.ScopeLogs = append(r.ScopeLogs, s)
		}
		out.ResourceLogs = append(out.ResourceLogs, r)
	}
	return out
}

func kvsFromPB(kvs []*commonpb.KeyValue) []KeyValue {
	var out []KeyValue
	for _, kv := range kvs {
		out = append(out, KeyValue{Key: kv.Key, Value: valueFromPB(kv.Value)})
	}
	return out
}

func valueFromPB(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_BytesValue:
		return x.BytesValue
	case *commonpb.AnyValue_ArrayValue:
		out := []any{}
		for _, e := range x.ArrayValue.GetValues() {
			out = append(out, valueFromPB(e))
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		return kvsFromPB(x.KvlistValue.GetValues())
	}
	return nil
}

func mustDecode(t testing.TB, b []byte) LogsData {
	t.Helper()
	got, err := DecodeLogsData(b)
	if err != nil {
		t.Fatalf("DecodeLogsData: %v", err)
	}
	return got
}

// The decoder reads back what the encoder wrote: a Waymark event exactly,
// and every attribute type.
func TestDecodeReadsEncoder(t *testing.T) {
	var r log.Record
	r.SetEventName("waymark.milestone")
	r.SetTimestamp(testTime)
	r.SetObservedTimestamp(testObserved)
	r.SetSeverity(log.SeverityInfo)
	r.AddAttributes(
		attribute.String("milestone.name", "first_run"),
		attribute.String("event.id", "0d7d7c1e-5f6a-5b7c-8d9e-0f1a2b3c4d5e"),
		attribute.Int64("n", -42),
		attribute.Float64("f", 0.25),
		attribute.Bool("ok", true),
		attribute.String("bad\xff", "é\xc3"),
	)
	recs := emit(t, context.Background(), r, r)
	res := append(waymarkResource(), allTypesResource()...)
	b := AppendLogsData(nil, res, testScope(), recs)
	b = AppendLogsData(b, waymarkResource(), testScope(), recs[:1]) // concatenated requests

	got := mustDecode(t, b)
	if len(got.ResourceLogs) != 2 || len(got.ResourceLogs[0].ScopeLogs) != 1 ||
		len(got.ResourceLogs[0].ScopeLogs[0].LogRecords) != 2 || len(got.ResourceLogs[1].ScopeLogs[0].LogRecords) != 1 {
		t.Fatalf("shape:\n%s", dump(got))
	}
	sl := got.ResourceLogs[0].ScopeLogs[0]
	if sl.ScopeName != testScope().Name || sl.ScopeVersion != testScope().Version {
		t.Errorf("scope = %q %q", sl.ScopeName, sl.ScopeVersion)
	}
	lr := sl.LogRecords[0]
	if lr.EventName != "waymark.milestone" || lr.TimeUnixNano != uint64(testTime.UnixNano()) ||
		lr.ObservedTimeUnixNano != uint64(testObserved.UnixNano()) {
		t.Errorf("record = %+v", lr)
	}
	want := `"milestone.name"=s:"first_run", "event.id"=s:"0d7d7c1e-5f6a-5b7c-8d9e-0f1a2b3c4d5e", "n"=i:-42, ` +
		`"f"=d:3fd0000000000000, "ok"=b:true, ` + "\"bad\ufffd\"=s:\"é\ufffd\""
	var sb strings.Builder
	dumpKVs(&sb, lr.Attributes)
	if sb.String() != want {
		t.Errorf("attributes\n got: %s\nwant: %s", sb.String(), want)
	}

	// Every attribute type, against the official decoder's reading.
	official := &logspb.LogsData{}
	if err := proto.Unmarshal(b, official); err != nil {
		t.Fatal(err)
	}
	if g, w := dump(got), dump(fromPB(official)); g != w {
		t.Errorf("decoded differs from proto.Unmarshal\n got:\n%s\nwant:\n%s", g, w)
	}
	if !strings.Contains(dump(got), `"inf"=d:fff0000000000000`) || !strings.Contains(dump(got), `"ss0"=a[]`) {
		t.Errorf("resource lost values:\n%s", dump(got))
	}
}

// fullRecord sets every field of a LogRecord, most of which the decoder
// must skip.
func fullRecord(name string, attrs ...*commonpb.KeyValue) *logspb.LogRecord {
	return &logspb.LogRecord{
		TimeUnixNano:           1,
		ObservedTimeUnixNano:   math.MaxUint64,
		SeverityNumber:         logspb.SeverityNumber_SEVERITY_NUMBER_FATAL4,
		SeverityText:           "FATAL",
		Body:                   pbArray(pbStr("body"), pbMap(pbKV("k", pbInt(1)))),
		Attributes:             attrs,
		DroppedAttributesCount: 7,
		Flags:                  1,
		TraceId:                make([]byte, 16),
		SpanId:                 []byte{1, 2, 3, 4, 5, 6, 7, 8},
		EventName:              name,
	}
}

// Messages built and encoded by google.golang.org/protobuf, with every field
// of OTLP's logs set, decode to what it decodes them to.
func TestDecodeReadsOfficialMessages(t *testing.T) {
	nested := pbStr("deep")
	for i := 0; i < maxValueDepth; i++ {
		nested = pbArray(nested)
	}
	cases := map[string]*logspb.LogsData{
		"empty":               {},
		"empty resource logs": {ResourceLogs: []*logspb.ResourceLogs{{}}},
		"full": {ResourceLogs: []*logspb.ResourceLogs{
			{
				Resource: &resourcepb.Resource{
					Attributes:             []*commonpb.KeyValue{pbKV("service.name", pbStr("acme")), pbKV("", &commonpb.AnyValue{})},
					DroppedAttributesCount: 3,
				},
				ScopeLogs: []*logspb.ScopeLogs{
					{
						Scope: &commonpb.InstrumentationScope{
							Name: "waymark", Version: "0.2.0",
							Attributes:             []*commonpb.KeyValue{pbKV("scope.attr", pbStr("x"))},
							DroppedAttributesCount: 1,
						},
						LogRecords: []*logspb.LogRecord{
							fullRecord("waymark.usage", pbKV("event.id", pbStr("id")), pbKV("nil", nil)),
							fullRecord("", pbKV("b", pbBytes(nil)), pbKV("b2", pbBytes([]byte{0, 255}))),
							{},
						},
						SchemaUrl: "https://opentelemetry.io/schemas/1.26.0",
					},
					{},
				},
				SchemaUrl: "https://example.com",
			},
			{ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{fullRecord("second",
				pbKV("i", pbInt(math.MinInt64)), pbKV("d", pbDouble(math.NaN())), pbKV("f", pbBool(false)),
				pbKV("arr", pbArray(pbStr(""), pbInt(0), pbArray(), pbMap())),
				pbKV("map", pbMap(pbKV("a", pbStr("1")), pbKV("a", pbInt(2)))),
				pbKV("deep", nested),
			)}}}},
		}},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := proto.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			got := mustDecode(t, b)
			if g, w := dump(got), dump(fromPB(m)); g != w {
				t.Errorf("decoded differs\n got:\n%s\nwant:\n%s", g, w)
			}
			// The export request is the same message on the wire.
			req := &collogspb.ExportLogsServiceRequest{ResourceLogs: m.ResourceLogs}
			b2, err := proto.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := dump(mustDecode(t, b2)), dump(got); g != w {
				t.Errorf("export request decodes differently\n got:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

// Protobuf merges a singular message field that occurs twice, lets the last
// scalar win, and skips a known field with an unexpected wire type; the
// decoder must read such input as google.golang.org/protobuf does.
func TestDecodeMergesAsProtobuf(t *testing.T) {
	kv := func(k string, v []byte) []byte {
		b := appendStringField(nil, keyValueKey, k)
		return appendBytes(b, keyValueValue, v)
	}
	str := func(s string) []byte { return appendString(nil, anyValueString, s) }
	arr := func(vals ...[]byte) []byte {
		var inner []byte
		for _, v := range vals {
			inner = appendBytes(inner, arrayValueValues, v)
		}
		return appendBytes(nil, anyValueArray, inner)
	}
	var rec []byte
	rec = appendFixed64(appendTag(rec, logRecordTime, wireFixed64), 5)
	rec = appendVarint(appendTag(rec, logRecordTime, wireVarint), 9)                         // wrong wire type: unknown
	rec = appendVarint(appendTag(rec, logRecordEventName, wireVarint), 1)                    // wrong wire type: unknown
	rec = appendString(rec, logRecordEventName, "first")                                     // overwritten below
	rec = appendBytes(rec, logRecordAttributes, kv("a", append(str("x"), arr(str("y"))...))) // last member wins
	rec = appendBytes(rec, logRecordAttributes, kv("b", arr(str("1"))))
	rec = appendString(rec, logRecordEventName, "second")
	rec = appendTag(rec, 99, wireStartGroup) // a group, skipped whole
	rec = appendVarint(appendTag(rec, 1, wireVarint), 1)
	rec = appendTag(rec, 99, wireEndGroup)
	rec = append(appendTag(rec, 98, wireFixed32), 1, 2, 3, 4)
	// The same attribute's value twice: arrays merge.
	twice := append(kv("c", arr(str("1"))), appendBytes(nil, keyValueValue, arr(str("2")))...)
	rec = appendBytes(rec, logRecordAttributes, twice)

	var res []byte
	res = appendBytes(res, resourceAttributes, kv("r1", str("1")))
	var rl []byte
	rl = appendBytes(rl, resourceLogsResource, res)
	res2 := appendBytes(nil, resourceAttributes, kv("r2", str("2")))
	rl = appendBytes(rl, resourceLogsResource, res2) // merged: r1 and r2
	scope1 := appendString(appendString(nil, scopeName, "s"), scopeVersion, "v1")
	scope2 := appendString(nil, scopeVersion, "v2")
	var sl []byte
	sl = appendBytes(sl, scopeLogsScope, scope1)
	sl = appendBytes(sl, scopeLogsLogRecords, rec)
	sl = appendBytes(sl, scopeLogsScope, scope2) // merged: name s, version v2
	rl = appendBytes(rl, resourceLogsScopeLogs, sl)
	msg := appendBytes(nil, logsDataResourceLogs, rl)

	official := &logspb.LogsData{}
	if err := proto.Unmarshal(msg, official); err != nil {
		t.Fatal(err)
	}
	got := mustDecode(t, msg)
	if g, w := dump(got), dump(fromPB(official)); g != w {
		t.Fatalf("decoded differs from proto.Unmarshal\n got:\n%s\nwant:\n%s", g, w)
	}
	want := `resource{"r1"=s:"1", "r2"=s:"2"}
  scope "s" "v2"
    record t=5 o=0 name="second" {"a"=a[s:"y"], "b"=a[s:"1"], "c"=a[s:"1" s:"2"]}
`
	if dump(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", dump(got), want)
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	good := AppendLogsData(nil, waymarkResource(), testScope(), emit(t, context.Background(), log.Record{}))
	deep := appendString(nil, anyValueString, "x")
	for i := 0; i <= maxValueDepth; i++ {
		deep = appendBytes(nil, anyValueArray, appendBytes(nil, arrayValueValues, deep))
	}
	deepAttr := appendBytes(nil, logRecordAttributes, appendBytes(appendStringField(nil, keyValueKey, "k"), keyValueValue, deep))
	deepMsg := appendBytes(nil, logsDataResourceLogs, appendBytes(nil, resourceLogsScopeLogs, appendBytes(nil, scopeLogsLogRecords, deepAttr)))
	var many []byte
	for i := 0; i <= maxElements; i++ {
		many = appendBytes(many, logRecordAttributes, nil)
	}
	manyMsg := appendBytes(nil, logsDataResourceLogs, appendBytes(nil, resourceLogsScopeLogs, appendBytes(nil, scopeLogsLogRecords, many)))
	var groups []byte
	for i := 0; i <= maxGroupDepth; i++ {
		groups = appendTag(groups, 5, wireStartGroup)
	}
	for i := 0; i <= maxGroupDepth; i++ {
		groups = appendTag(groups, 5, wireEndGroup)
	}
	badUTF8Key := appendBytes(nil, logsDataResourceLogs, appendBytes(nil, resourceLogsResource,
		appendBytes(nil, resourceAttributes, []byte{0x0a, 1, 0xff})))

	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"truncated", good[:len(good)-1], ErrMalformed},
		{"length past the end", []byte{0x0a, 5, 0}, ErrMalformed},
		{"tag without value", []byte{0x08}, ErrMalformed},
		{"unterminated varint", []byte{0x08, 0x80}, ErrMalformed},
		{"eleven-byte varint", append([]byte{0x08}, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00), ErrMalformed},
		{"varint overflow", append([]byte{0x08}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02), ErrMalformed},
		{"field number 0", []byte{0x00, 0x00}, ErrMalformed},
		{"field number too large", appendVarint(nil, uint64(1<<29)<<3), ErrMalformed},
		{"stray end group", []byte{0x0c}, ErrMalformed},
		{"wire type 6", []byte{0x0e}, ErrMalformed},
		{"wire type 7", []byte{0x0f}, ErrMalformed},
		{"mismatched group", []byte{0x0b, 0x14}, ErrMalformed},
		{"unterminated group", []byte{0x0b, 0x08, 0x01}, ErrMalformed},
		{"truncated fixed64", []byte{0x09, 1, 2}, ErrMalformed},
		{"truncated fixed32", []byte{0x0d, 1, 2}, ErrMalformed},
		{"invalid UTF-8 key", badUTF8Key, ErrMalformed},
		{"bad inner message", appendBytes(nil, logsDataResourceLogs, []byte{0x12, 9}), ErrMalformed},
		{"values too deep", deepMsg, ErrLimit},
		{"too many elements", manyMsg, ErrLimit},
		{"groups too deep", groups, ErrLimit},
		{"too large", appendBytes(nil, 15, make([]byte, MaxDecodeSize)), ErrLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeLogsData(c.in)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if len(got.ResourceLogs) != 0 {
				t.Errorf("returned data with the error: %s", dump(got))
			}
			var official logspb.LogsData
			perr := proto.Unmarshal(c.in, &official)
			if c.want == ErrMalformed && perr == nil {
				t.Errorf("proto.Unmarshal accepts what DecodeLogsData calls malformed")
			}
			if c.want == ErrLimit && c.name != "groups too deep" && perr != nil {
				t.Errorf("limit case is not valid protobuf: %v", perr)
			}
		})
	}
	// Exactly at the limits, the input decodes.
	ok := appendString(nil, anyValueString, "x")
	for i := 0; i < maxValueDepth; i++ {
		ok = appendBytes(nil, anyValueArray, appendBytes(nil, arrayValueValues, ok))
	}
	attr := appendBytes(nil, logRecordAttributes, appendBytes(appendStringField(nil, keyValueKey, "k"), keyValueValue, ok))
	if _, err := DecodeLogsData(appendBytes(nil, logsDataResourceLogs, appendBytes(nil, resourceLogsScopeLogs, appendBytes(nil, scopeLogsLogRecords, attr)))); err != nil {
		t.Errorf("nesting of %d: %v", maxValueDepth, err)
	}
}

// fuzzSeeds are valid messages from both encoders and a few broken ones.
func fuzzSeeds(f *testing.F) {
	var r log.Record
	r.SetEventName("waymark.milestone")
	r.SetTimestamp(testTime)
	r.AddAttributes(attribute.String("event.id", "x"), attribute.Int64("i", 3), attribute.Float64("d", 1.5), attribute.Bool("b", true),
		attribute.Slice("s", attribute.StringValue("a"), attribute.MapValue(attribute.String("k", "v"))), attribute.ByteSlice("raw", []byte{1}))
	recs := emit(f, context.Background(), r)
	f.Add(AppendLogsData(nil, waymarkResource(), testScope(), recs))
	f.Add(AppendLogsData(nil, allTypesResource(), testScope(), recs))
	for _, m := range []*logspb.LogsData{
		{ResourceLogs: []*logspb.ResourceLogs{{ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{fullRecord("e", pbKV("k", pbStr("v")))}}}}}},
	} {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x0b, 0x0c})
	f.Add([]byte{0x0a, 0x04, 0x0a, 0x02, 0x0a, 0x00})
}

// FuzzDecodeLogsData checks that the decoder never panics, and that
// whatever google.golang.org/protobuf reads as a LogsData it reads the same
// (unless over its limits). It may accept more: it does not look inside
// the fields it skips.
func FuzzDecodeLogsData(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeLogsData(b)
		var official logspb.LogsData
		perr := proto.Unmarshal(b, &official)
		if errors.Is(err, ErrLimit) {
			return
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		if perr != nil {
			return
		}
		if err != nil {
			t.Fatalf("proto.Unmarshal accepts what DecodeLogsData rejects: %v", err)
		}
		if g, w := dump(got), dump(fromPB(&official)); g != w {
			t.Fatalf("decoded differs from proto.Unmarshal\n got:\n%s\nwant:\n%s", g, w)
		}
	})
}

// A realistic spool batch decodes in well under the uploader's budget.
func BenchmarkDecodeLogsData(b *testing.B) {
	var recs []sdklog.Record
	var rs []log.Record
	for i := 0; i < 50; i++ {
		var r log.Record
		r.SetEventName("waymark.milestone")
		r.SetTimestamp(testTime)
		r.AddAttributes(attribute.String("milestone.name", "m"+strconv.Itoa(i)), attribute.String("event.id", "0d7d7c1e-5f6a-5b7c-8d9e-0f1a2b3c4d5e"))
		rs = append(rs, r)
	}
	recs = emit(b, context.Background(), rs...)
	var msg []byte
	for i := range recs {
		msg = AppendLogsData(msg, waymarkResource(), testScope(), recs[i:i+1])
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeLogsData(msg); err != nil {
			b.Fatal(err)
		}
	}
}

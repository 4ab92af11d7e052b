package collectorconfig_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
)

// Every field of the OTLP messages that the collector decodes (the pdata model of v0.161.0)
// and that the schema does not name, each planted with a canary in a request that is
// otherwise what the SDK sends, as protobuf and as OTLP/JSON, logs and metrics. The field is
// dropped (the record stored without it) or the record refused; it is never stored.

// fieldCanary starts every text planted here; fieldCanaryNum is planted where the field is
// a number. Neither may appear in any stored file.
const (
	fieldCanary    = "fldc9e2"
	fieldCanaryNum = 1987654321
)

// unknownField is a protobuf field number that no OTLP message defines.
const unknownField = 99

// fieldCase is one request: an install whose request plants something in one field, and an
// honest install sent with it.
type fieldCase struct {
	field string
	// logs or metrics builds the planted install's part of the request.
	logs    func(in otlpgen.Install) *logspb.LogsData
	metrics func(in otlpgen.Install) *metricspb.MetricsData
	// editJSON plants, in the OTLP/JSON encoding, what protobuf's JSON mapping does not
	// write (fields outside the Go types: unknown keys, the deprecated scope lists). The
	// planted install's resource is the request's first.
	editJSON func(req map[string]any)
	// stored says that the planted install's records are stored, without the field; when
	// false they are dropped.
	stored bool
	// forbid lists further strings that must not be stored (ids as hex).
	forbid []string
	// only, when set, is the one encoding the case is sent in: "protobuf" or "JSON".
	only string
}

// fc is a text canary naming the field it is planted in.
func fc(field string) string { return fieldCanary + "-" + field }

// withUnknown appends to m's wire encoding an unknown field holding a canary.
func withUnknown(m proto.Message, where string) {
	raw := protowire.AppendTag(nil, unknownField, protowire.BytesType)
	raw = protowire.AppendString(raw, fc("unknown-"+where))
	r := m.ProtoReflect()
	r.SetUnknown(append(r.GetUnknown(), raw...))
}

// withRawField appends to m's wire encoding field num holding msg, a field the Go types
// here do not define.
func withRawField(t *testing.T, m proto.Message, num protowire.Number, msg proto.Message) {
	b, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	raw := protowire.AppendTag(nil, num, protowire.BytesType)
	raw = protowire.AppendBytes(raw, b)
	r := m.ProtoReflect()
	r.SetUnknown(append(r.GetUnknown(), raw...))
}

// jsonAt walks an OTLP/JSON tree decoded into maps and slices: a string steps into an
// object's key, an int into an array's element.
func jsonAt(v any, path ...any) map[string]any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v.(map[string]any)
}

// jsonOf decodes msg's OTLP/JSON encoding into maps and slices.
func jsonOf(t *testing.T, msg proto.Message) any {
	t.Helper()
	b, err := otlpgen.JSON(msg)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// unknownJSON plants an unknown key with a canary in obj.
func unknownJSON(obj map[string]any, where string) {
	obj[fieldCanary+"Unknown"] = fc("unknown-json-" + where)
}

// entityRefs are two entity references, one with 100 KB of text: what a client could put on
// a resource about its user, host and home.
func entityRefs(where string) []*commonpb.EntityRef {
	return []*commonpb.EntityRef{
		{SchemaUrl: "https://" + fc(where+"-er-schema") + ".example/1.0", Type: fc(where + "-er-type"),
			IdKeys: []string{"service.name", fc(where + "-er-id")}, DescriptionKeys: []string{fc(where + "-er-desc")}},
		{Type: "host", IdKeys: []string{fc(where+"-er-user") + ":/home/carol:" + strings.Repeat("carol@laptop.example ", 100<<10/21)}},
	}
}

func strindex(n int32) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValueStrindex{StringValueStrindex: n}}
}

// logFieldCases plants a canary in every field of the logs model outside the schema.
func logFieldCases(t *testing.T, now time.Time) []fieldCase {
	ms := func(in otlpgen.Install) *logspb.LogsData {
		return otlpgen.Logs(in, otlpgen.Milestone("first_run", now))
	}
	res := func(ld *logspb.LogsData) *logspb.ResourceLogs { return ld.ResourceLogs[0] }
	rec := func(ld *logspb.LogsData) *logspb.LogRecord { return ld.ResourceLogs[0].ScopeLogs[0].LogRecords[0] }
	traceID := []byte(fieldCanary + "-trace-id") // 16 bytes
	spanID := []byte(fieldCanary + "-s")[:8]

	cases := []fieldCase{
		{field: "Resource.entity_refs", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			res(ld).Resource.EntityRefs = entityRefs("logs")
			return ld
		}},
		{field: "Resource.dropped_attributes_count", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			res(ld).Resource.DroppedAttributesCount = fieldCanaryNum
			return ld
		}},
		{field: "ResourceLogs.schema_url", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			res(ld).SchemaUrl = "https://" + fc("rl-schema") + ".example/1.0"
			return ld
		}},
		{field: "InstrumentationScope.attributes", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			res(ld).ScopeLogs[0].Scope.Attributes = []*commonpb.KeyValue{otlpgen.Str(fc("scope-key"), fc("scope-val"))}
			return ld
		}},
		{field: "InstrumentationScope.dropped_attributes_count", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			res(ld).ScopeLogs[0].Scope.DroppedAttributesCount = fieldCanaryNum
			return ld
		}},
		{field: "ScopeLogs.schema_url", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			res(ld).ScopeLogs[0].SchemaUrl = "https://" + fc("sl-schema") + ".example/1.0"
			return ld
		}},
		{field: "LogRecord.severity_number", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			rec(ld).SeverityNumber = logspb.SeverityNumber(fieldCanaryNum)
			return ld
		}},
		{field: "LogRecord.severity_text", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			rec(ld).SeverityText = fc("severity")
			return ld
		}},
		{field: "LogRecord.body", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			rec(ld).Body = str(fc("body"))
			return ld
		}},
		{field: "LogRecord.body (string_value_strindex)", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			rec(ld).Body = strindex(fieldCanaryNum)
			return ld
		}},
		{field: "LogRecord.attributes (a key outside the schema)", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			rec(ld).Attributes = append(rec(ld).Attributes, otlpgen.Str(fc("rec-key"), fc("rec-val")))
			return ld
		}},
		{field: "LogRecord.dropped_attributes_count", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			rec(ld).DroppedAttributesCount = fieldCanaryNum
			return ld
		}},
		{field: "LogRecord.flags", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			rec(ld).Flags = fieldCanaryNum
			return ld
		}},
		{field: "LogRecord.trace_id and span_id", stored: true, forbid: []string{hex.EncodeToString(traceID), hex.EncodeToString(spanID)},
			logs: func(in otlpgen.Install) *logspb.LogsData {
				ld := ms(in)
				rec(ld).TraceId, rec(ld).SpanId = traceID, spanID
				return ld
			}},
		{field: "KeyValue.key_strindex (resource)", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			res(ld).Resource.Attributes[0].KeyStrindex = fieldCanaryNum
			return ld
		}},
		{field: "KeyValue.key_strindex (record)", stored: true, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			for _, a := range rec(ld).Attributes {
				a.KeyStrindex = fieldCanaryNum
			}
			return ld
		}},
		// A required key given as a string-table index is no string: the resource is dropped.
		{field: "AnyValue.string_value_strindex (service.name)", stored: false, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			replaceAttr(&res(ld).Resource.Attributes, "service.name", strindex(fieldCanaryNum))
			return ld
		}},
		// Optional keys given as an index or as an empty value: no string, dropped whole.
		{field: "AnyValue.string_value_strindex (session.id)", stored: false, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			replaceAttr(&res(ld).Resource.Attributes, "session.id", strindex(fieldCanaryNum))
			return ld
		}},
		{field: "AnyValue empty (session.id)", stored: false, logs: func(in otlpgen.Install) *logspb.LogsData {
			ld := ms(in)
			replaceAttr(&res(ld).Resource.Attributes, "session.id", &commonpb.AnyValue{})
			return ld
		}},
		{field: "AnyValue.string_value_strindex (api.version)", stored: false, logs: func(in otlpgen.Install) *logspb.LogsData {
			in.Session = otlpgen.UUID()
			r := otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute)
			replaceAttr(&r.Attributes, "api.version", strindex(fieldCanaryNum))
			return otlpgen.Logs(in, r)
		}},
		{field: "AnyValue empty (api.version)", stored: false, logs: func(in otlpgen.Install) *logspb.LogsData {
			in.Session = otlpgen.UUID()
			r := otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute)
			replaceAttr(&r.Attributes, "api.version", &commonpb.AnyValue{})
			return otlpgen.Logs(in, r)
		}},
	}

	// Unknown fields at every level: the decoder skips them.
	unknown := func(where string, pick func(ld *logspb.LogsData) proto.Message, path ...any) fieldCase {
		return fieldCase{field: "unknown field in " + where, stored: true,
			logs: func(in otlpgen.Install) *logspb.LogsData {
				ld := ms(in)
				withUnknown(pick(ld), where)
				return ld
			},
			editJSON: func(req map[string]any) { unknownJSON(jsonAt(req, path...), where) },
		}
	}
	cases = append(cases,
		unknown("ExportLogsServiceRequest", func(ld *logspb.LogsData) proto.Message { return ld }),
		unknown("ResourceLogs", func(ld *logspb.LogsData) proto.Message { return res(ld) }, "resourceLogs", 0),
		unknown("Resource", func(ld *logspb.LogsData) proto.Message { return res(ld).Resource }, "resourceLogs", 0, "resource"),
		unknown("ScopeLogs", func(ld *logspb.LogsData) proto.Message { return res(ld).ScopeLogs[0] }, "resourceLogs", 0, "scopeLogs", 0),
		unknown("InstrumentationScope", func(ld *logspb.LogsData) proto.Message { return res(ld).ScopeLogs[0].Scope },
			"resourceLogs", 0, "scopeLogs", 0, "scope"),
		unknown("LogRecord", func(ld *logspb.LogsData) proto.Message { return rec(ld) }, "resourceLogs", 0, "scopeLogs", 0, "logRecords", 0),
		unknown("KeyValue", func(ld *logspb.LogsData) proto.Message { return rec(ld).Attributes[0] },
			"resourceLogs", 0, "scopeLogs", 0, "logRecords", 0, "attributes", 0),
		unknown("AnyValue", func(ld *logspb.LogsData) proto.Message { return rec(ld).Attributes[0].Value },
			"resourceLogs", 0, "scopeLogs", 0, "logRecords", 0, "attributes", 0, "value"),
	)

	// The deprecated list of scopes (field 1000, instrumentation_library_logs). In protobuf it
	// is read as the scopes when the resource has none, so its records go through every
	// check, and ignored otherwise. In OTLP/JSON ("deprecatedScopeLogs") it is decoded but
	// never read as the scopes: a resource with nothing else is dropped for want of records,
	// and beside real scopes it is left behind by the rebuild.
	deprecated := func() *logspb.ScopeLogs {
		r := otlpgen.Milestone("first_run", now)
		r.Attributes = append(r.Attributes, otlpgen.Str(fc("deprecated-key"), fc("deprecated-val")))
		r.Body = str(fc("deprecated-body"))
		return &logspb.ScopeLogs{Scope: otlpgen.Scope(), LogRecords: []*logspb.LogRecord{r}, SchemaUrl: fc("deprecated-schema")}
	}
	jsonDeprecated := func(req map[string]any) {
		jsonAt(req, "resourceLogs", 0)["deprecatedScopeLogs"] = []any{jsonOf(t, deprecated())}
	}
	cases = append(cases,
		fieldCase{field: "ResourceLogs deprecated scope list (alone)", stored: true, only: "protobuf",
			logs: func(in otlpgen.Install) *logspb.LogsData {
				ld := ms(in)
				res(ld).ScopeLogs = nil
				withRawField(t, res(ld), 1000, deprecated())
				return ld
			}},
		fieldCase{field: "ResourceLogs deprecated scope list (alone)", stored: false, only: "JSON",
			logs: func(in otlpgen.Install) *logspb.LogsData {
				ld := ms(in)
				res(ld).ScopeLogs = nil
				return ld
			},
			editJSON: jsonDeprecated},
		fieldCase{field: "ResourceLogs deprecated scope list (beside the scopes)", stored: true,
			logs: func(in otlpgen.Install) *logspb.LogsData {
				ld := ms(in)
				withRawField(t, res(ld), 1000, deprecated())
				return ld
			},
			editJSON: jsonDeprecated},
	)
	return cases
}

// metricFieldCases plants a canary in every field of the metrics model outside the schema.
// (Histograms, exponential histograms, summaries and cumulative or non-monotonic sums are
// refused whole by their type; TestHostileRequests sends them.)
func metricFieldCases(t *testing.T, now time.Time) []fieldCase {
	counts := func(in otlpgen.Install) *metricspb.MetricsData {
		return otlpgen.MilestoneCounts(in, now.Add(-time.Minute), now, map[string]int64{"first_run": 1})
	}
	res := func(md *metricspb.MetricsData) *metricspb.ResourceMetrics { return md.ResourceMetrics[0] }
	metric := func(md *metricspb.MetricsData) *metricspb.Metric {
		return md.ResourceMetrics[0].ScopeMetrics[0].Metrics[0]
	}
	point := func(md *metricspb.MetricsData) *metricspb.NumberDataPoint { return metric(md).GetSum().DataPoints[0] }
	traceID := []byte(fieldCanary + "-exemplar") // 16 bytes

	cases := []fieldCase{
		{field: "Resource.entity_refs", stored: true, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			res(md).Resource.EntityRefs = entityRefs("metrics")
			return md
		}},
		{field: "Resource.dropped_attributes_count", stored: true, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			res(md).Resource.DroppedAttributesCount = fieldCanaryNum
			return md
		}},
		{field: "ResourceMetrics.schema_url", stored: true, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			res(md).SchemaUrl = "https://" + fc("rm-schema") + ".example/1.0"
			return md
		}},
		{field: "InstrumentationScope.attributes and dropped_attributes_count", stored: true, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			s := res(md).ScopeMetrics[0].Scope
			s.Attributes = []*commonpb.KeyValue{otlpgen.Str(fc("mscope-key"), fc("mscope-val"))}
			s.DroppedAttributesCount = fieldCanaryNum
			return md
		}},
		{field: "ScopeMetrics.schema_url", stored: true, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			res(md).ScopeMetrics[0].SchemaUrl = "https://" + fc("sm-schema") + ".example/1.0"
			return md
		}},
		{field: "Metric.description, unit and metadata", stored: true, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			m := metric(md)
			m.Description, m.Unit = fc("description"), fc("unit")
			m.Metadata = []*commonpb.KeyValue{otlpgen.Str(fc("meta-key"), fc("meta-val"))}
			return md
		}},
		{field: "NumberDataPoint.flags", stored: true, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			point(md).Flags = fieldCanaryNum
			return md
		}},
		{field: "NumberDataPoint.exemplars", stored: true, forbid: []string{hex.EncodeToString(traceID)},
			metrics: func(in otlpgen.Install) *metricspb.MetricsData {
				md := counts(in)
				point(md).Exemplars = []*metricspb.Exemplar{{
					FilteredAttributes: []*commonpb.KeyValue{otlpgen.Str(fc("ex-key"), fc("ex-val"))},
					TimeUnixNano:       uint64(now.UnixNano()), Value: &metricspb.Exemplar_AsInt{AsInt: fieldCanaryNum},
					TraceId: traceID, SpanId: traceID[:8],
				}}
				return md
			}},
		{field: "NumberDataPoint.attributes (a key outside the schema)", stored: true, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			point(md).Attributes = append(point(md).Attributes, otlpgen.Str(fc("dp-key"), fc("dp-val")))
			return md
		}},
		{field: "KeyValue.key_strindex (data point)", stored: true, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			point(md).Attributes[0].KeyStrindex = fieldCanaryNum
			return md
		}},
		{field: "KeyValue.key_strindex (resource)", stored: true, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			res(md).Resource.Attributes[0].KeyStrindex = fieldCanaryNum
			return md
		}},
		{field: "AnyValue.string_value_strindex (milestone.name)", stored: false, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			point(md).Attributes[0].Value = strindex(fieldCanaryNum)
			return md
		}},
		{field: "AnyValue.string_value_strindex (session.id)", stored: false, metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			replaceAttr(&res(md).Resource.Attributes, "session.id", strindex(fieldCanaryNum))
			return md
		}},
	}
	unknown := func(where string, pick func(md *metricspb.MetricsData) proto.Message, path ...any) fieldCase {
		return fieldCase{field: "unknown field in " + where, stored: true,
			metrics: func(in otlpgen.Install) *metricspb.MetricsData {
				md := counts(in)
				withUnknown(pick(md), where)
				return md
			},
			editJSON: func(req map[string]any) { unknownJSON(jsonAt(req, path...), where) },
		}
	}
	sm := []any{"resourceMetrics", 0, "scopeMetrics", 0}
	cases = append(cases,
		unknown("ExportMetricsServiceRequest", func(md *metricspb.MetricsData) proto.Message { return md }),
		unknown("ResourceMetrics", func(md *metricspb.MetricsData) proto.Message { return res(md) }, "resourceMetrics", 0),
		unknown("Resource", func(md *metricspb.MetricsData) proto.Message { return res(md).Resource }, "resourceMetrics", 0, "resource"),
		unknown("ScopeMetrics", func(md *metricspb.MetricsData) proto.Message { return res(md).ScopeMetrics[0] }, sm...),
		unknown("InstrumentationScope", func(md *metricspb.MetricsData) proto.Message { return res(md).ScopeMetrics[0].Scope },
			append(sm[:4:4], "scope")...),
		unknown("Metric", func(md *metricspb.MetricsData) proto.Message { return metric(md) }, append(sm[:4:4], "metrics", 0)...),
		unknown("Sum", func(md *metricspb.MetricsData) proto.Message { return metric(md).GetSum() }, append(sm[:4:4], "metrics", 0, "sum")...),
		unknown("NumberDataPoint", func(md *metricspb.MetricsData) proto.Message { return point(md) },
			append(sm[:4:4], "metrics", 0, "sum", "dataPoints", 0)...),
		unknown("KeyValue", func(md *metricspb.MetricsData) proto.Message { return point(md).Attributes[0] },
			append(sm[:4:4], "metrics", 0, "sum", "dataPoints", 0, "attributes", 0)...),
	)
	// The deprecated list of scopes (field 1000, instrumentation_library_metrics), read as
	// for logs.
	deprecated := func() *metricspb.ScopeMetrics {
		md := counts(otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64"))
		s := md.ResourceMetrics[0].ScopeMetrics[0]
		s.SchemaUrl = fc("deprecated-schema")
		s.Metrics[0].Description = fc("deprecated-description")
		dp := s.Metrics[0].GetSum().DataPoints[0]
		dp.Attributes = append(dp.Attributes, otlpgen.Str(fc("deprecated-key"), fc("deprecated-val")))
		return s
	}
	rawDeprecated := func(md *metricspb.MetricsData) { withRawField(t, res(md), 1000, deprecated()) }
	jsonDeprecated := func(req map[string]any) {
		jsonAt(req, "resourceMetrics", 0)["deprecatedScopeMetrics"] = []any{jsonOf(t, deprecated())}
	}
	cases = append(cases, fieldCase{field: "ResourceMetrics deprecated scope list (alone)", stored: true, only: "protobuf",
		metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			res(md).ScopeMetrics = nil
			rawDeprecated(md)
			return md
		}}, fieldCase{field: "ResourceMetrics deprecated scope list (beside the scopes)", stored: true,
		metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			rawDeprecated(md)
			return md
		},
		editJSON: jsonDeprecated,
	}, fieldCase{field: "ResourceMetrics deprecated scope list (alone)", stored: false, only: "JSON",
		metrics: func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in)
			res(md).ScopeMetrics = nil
			return md
		},
		editJSON: jsonDeprecated,
	})
	return cases
}

// fieldRequest is one encoded case: the planted install first, then the honest one.
type fieldRequest struct {
	fieldCase
	asJSON          bool
	path            string
	body            []byte
	planted, honest string // installation ids
}

// encodeFieldCase builds the case's request in one encoding.
func encodeFieldCase(t *testing.T, fcase fieldCase, asJSON bool, now time.Time) fieldRequest {
	t.Helper()
	in := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
	honest := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
	r := fieldRequest{fieldCase: fcase, asJSON: asJSON, planted: in.ID, honest: honest.ID}
	var msg proto.Message
	if fcase.logs != nil {
		ld := fcase.logs(in)
		ld.ResourceLogs = append(ld.ResourceLogs, otlpgen.Logs(honest, otlpgen.Event("waymark.usage", now)).ResourceLogs...)
		msg, r.path = ld, "/v1/logs"
	} else {
		md := fcase.metrics(in)
		md.ResourceMetrics = append(md.ResourceMetrics, otlpgen.MilestoneCounts(honest, now.Add(-time.Minute), now, map[string]int64{"first_run": 1}).ResourceMetrics...)
		msg, r.path = md, "/v1/metrics"
	}
	if !asJSON {
		b, err := proto.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		r.body = b
		return r
	}
	tree := jsonOf(t, msg)
	if fcase.editJSON != nil {
		fcase.editJSON(tree.(map[string]any))
	}
	b, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	r.body = b
	return r
}

func (r fieldRequest) name() string {
	return fmt.Sprintf("%s %s (%s)", r.path, r.field, map[bool]string{false: "protobuf", true: "JSON"}[r.asJSON])
}

// post sends the request and fails unless the collector accepts it.
func (r fieldRequest) post(t *testing.T, c *collector) {
	t.Helper()
	if r.asJSON {
		if code, resp := curlPost(t, c.Endpoint+r.path, "application/json", r.body); code != "200" {
			t.Fatalf("%s: curl: %s %s", r.name(), code, resp)
		}
		return
	}
	code, resp, err := otlpgen.Post(context.Background(), &http.Client{Timeout: 20 * time.Second}, c.Endpoint+r.path, r.body, false)
	if err != nil || code != http.StatusOK {
		t.Fatalf("%s: %d %q %v", r.name(), code, resp, err)
	}
}

// fieldRequests encodes every case, logs and metrics, in both encodings.
func fieldRequests(t *testing.T, now time.Time) []fieldRequest {
	var reqs []fieldRequest
	for _, fcase := range append(logFieldCases(t, now), metricFieldCases(t, now)...) {
		for _, asJSON := range []bool{false, true} {
			if fcase.only != "" && (fcase.only == "JSON") != asJSON {
				continue
			}
			reqs = append(reqs, encodeFieldCase(t, fcase, asJSON, now))
		}
	}
	return reqs
}

// fieldForbidden is every string of the cases that must not be stored.
func fieldForbidden(reqs []fieldRequest) []string {
	forbidden := []string{fieldCanary, fmt.Sprint(fieldCanaryNum)}
	for _, r := range reqs {
		forbidden = append(forbidden, r.forbid...)
	}
	return forbidden
}

// TestFieldsOutsideTheSchemaNeverStored sends every case to the real collector (ingest.yaml)
// and checks that no canary is in any file under its data directory, that every stored
// line holds only the schema's fields, and that each planted install is stored (the field
// dropped) or not at all (the record refused), as its case says.
func TestFieldsOutsideTheSchemaNeverStored(t *testing.T) {
	c := startCollector(t, nil)
	now := time.Now()
	reqs := fieldRequests(t, now)
	for _, r := range reqs {
		r.post(t, c)
	}
	t.Logf("%d requests sent", len(reqs))
	logsPath, metricsPath := filepath.Join(c.DataDir, "logs.jsonl"), filepath.Join(c.DataDir, "metrics.jsonl")
	fileOf := func(r fieldRequest) string {
		return map[string]string{"/v1/logs": logsPath, "/v1/metrics": metricsPath}[r.path]
	}
	if !waitFor(30*time.Second, func() bool {
		files := c.storedFiles(t)
		for _, r := range reqs {
			if !strings.Contains(files[fileOf(r)], r.honest) {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("an honest install sent beside a planted field is not stored after 30 s\ncollector:\n%s", c.output)
	}

	files := c.storedFiles(t)
	for path, content := range files {
		for _, f := range fieldForbidden(reqs) {
			if i := strings.Index(strings.ToLower(content), strings.ToLower(f)); i >= 0 {
				t.Errorf("%s holds %q: …%s…", path, f, content[max(0, i-300):min(len(content), i+100)])
			}
		}
		checkSchema(t, path, content)
	}
	for _, r := range reqs {
		if got := strings.Contains(files[fileOf(r)], r.planted); got != r.stored {
			t.Errorf("%s: planted install stored %v, want %v", r.name(), got, r.stored)
		}
	}
}

// TestFieldsOutsideTheSchemaNeverReachVictoriaLogs sends the logs cases through the
// collector with victorialogs.yaml into a real VictoriaLogs, and checks that none of its
// stored fields holds a canary.
func TestFieldsOutsideTheSchemaNeverReachVictoriaLogs(t *testing.T) {
	collectorBinary(t)
	vl, vlp := startVictoriaLogs(t)
	c := startCollector(t, []string{"victorialogs.yaml"}, "WAYMARK_VICTORIALOGS_URL="+vl)
	now := testNow().Add(-time.Minute)
	var reqs []fieldRequest
	for _, fcase := range logFieldCases(t, now) {
		for _, asJSON := range []bool{false, true} {
			if fcase.only != "" && (fcase.only == "JSON") != asJSON {
				continue
			}
			reqs = append(reqs, encodeFieldCase(t, fcase, asJSON, now))
		}
	}
	for _, r := range reqs {
		r.post(t, c)
	}
	logsPath := filepath.Join(c.DataDir, "logs.jsonl")
	if !waitFor(30*time.Second, func() bool {
		s := c.storedFiles(t)[logsPath]
		for _, r := range reqs {
			if !strings.Contains(s, r.honest) {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("the honest installs are not all in the collector's file after 30 s\n%s", c.output)
	}
	time.Sleep(1500 * time.Millisecond)
	records := strings.Count(c.storedFiles(t)[logsPath], `"eventName":"waymark.`)
	waitStored(t, vl, records, c.output, vlp.output)

	// The rows themselves, asked for until VictoriaLogs returns every one that its count saw
	// (a query right after the data became countable may still miss parts being merged).
	var all []byte
	var err error
	if !waitFor(30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		all, err = httpGet(ctx, vl+"/select/logsql/query?query="+url.QueryEscape("*")+"&limit=100000")
		return err == nil && bytes.Count(all, []byte("\n")) == records
	}) {
		t.Errorf("VictoriaLogs returned %d rows (%v), want %d", bytes.Count(all, []byte("\n")), err, records)
	}
	for _, f := range fieldForbidden(reqs) {
		if i := bytes.Index(bytes.ToLower(all), bytes.ToLower([]byte(f))); i >= 0 {
			t.Errorf("VictoriaLogs holds %q: …%s…", f, all[max(0, i-300):min(len(all), i+100)])
		}
	}
	for _, r := range reqs {
		if got := bytes.Contains(all, []byte(r.planted)); got != r.stored {
			t.Errorf("%s: planted install in VictoriaLogs %v, want %v", r.name(), got, r.stored)
		}
	}
}

// TestFieldsOutsideTheSchemaNeverLeaveForBackends runs the collector with every backend
// overlay (victorialogs.yaml, victoriametrics.yaml, prometheus.yaml), all pointed at one
// recording OTLP endpoint, sends every case, and checks what each exporter sent: no canary
// in the decoded bodies, and the honest installs there. (VictoriaLogs itself ignores entity
// refs; this shows that the overlays' own pipelines drop them.)
func TestFieldsOutsideTheSchemaNeverLeaveForBackends(t *testing.T) {
	var mu sync.Mutex
	sent := map[string][]byte{} // path → decoded bodies, concatenated
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// The protobuf as JSON too, so that numbers show as text.
		var msg proto.Message = &logspb.LogsData{}
		if strings.Contains(r.URL.Path, "metrics") {
			msg = &metricspb.MetricsData{}
		}
		if err := proto.Unmarshal(b, msg); err != nil {
			t.Errorf("%s: %v", r.URL.Path, err)
		}
		j, _ := protojson.Marshal(msg)
		mu.Lock()
		sent[r.URL.Path] = append(append(sent[r.URL.Path], b...), j...)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	c := startCollector(t, []string{"victorialogs.yaml", "victoriametrics.yaml", "prometheus.yaml"},
		"WAYMARK_VICTORIALOGS_URL="+srv.URL, "WAYMARK_VICTORIAMETRICS_URL="+srv.URL, "WAYMARK_PROMETHEUS_URL="+srv.URL)
	reqs := fieldRequests(t, time.Now())
	for _, r := range reqs {
		r.post(t, c)
	}
	paths := map[string]string{
		"/insert/opentelemetry/v1/logs": "/v1/logs", "/opentelemetry/v1/metrics": "/v1/metrics", "/api/v1/otlp/v1/metrics": "/v1/metrics",
	}
	if !waitFor(60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for out, in := range paths {
			for _, r := range reqs {
				if r.path == in && !bytes.Contains(sent[out], []byte(r.honest)) {
					return false
				}
			}
		}
		return true
	}) {
		t.Fatalf("the honest installs did not all reach every backend pipeline after 60 s\n%s", c.output)
	}
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for out, in := range paths {
		for _, f := range fieldForbidden(reqs) {
			if i := bytes.Index(bytes.ToLower(sent[out]), bytes.ToLower([]byte(f))); i >= 0 {
				t.Errorf("%s received %q: …%q…", out, f, sent[out][max(0, i-200):min(len(sent[out]), i+100)])
			}
		}
		for _, r := range reqs {
			if r.path == in && bytes.Contains(sent[out], []byte(r.planted)) != r.stored {
				t.Errorf("%s: %s: planted install sent %v, want %v", out, r.name(), !r.stored, r.stored)
			}
		}
	}
}

package collectorconfig_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
)

// The hostile-request suite: canaries in every field of the OTLP data model, sent
// to the real collector with ingest.yaml as protobuf (Go's HTTP client) and as OTLP/JSON
// (curl), none of which may be stored.

// canary marks every planted value; the stored files must not hold it in any case.
const canary = "cnry7f3a"

// canaryID is planted where OTLP has bytes (trace and span ids); stored, it would read as hex.
var canaryID = []byte{0xc0, 0xff, 0xee, 0x7f, 0x3a, 0xc0, 0xff, 0xee, 0x7f, 0x3a, 0xc0, 0xff, 0xee, 0x7f, 0x3a, 0x01}

// invalidUTF8 stands for invalid UTF-8 in a message: Go's protobuf encoder refuses to write
// it, so encode replaces it after marshalling with as many bytes that are no UTF-8.
const invalidUTF8 = "~~invalid~utf-8~~"

// encode marshals msg to protobuf with invalidUTF8 replaced by bytes that are no UTF-8.
func encode(t *testing.T, msg proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte(invalidUTF8), bytes.Repeat([]byte{0xff}, len(invalidUTF8)))
}

// cn is a canary naming the field it is planted in.
func cn(field string) string { return canary + "-" + field }

func str(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

func kv(k string, v *commonpb.AnyValue) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: v}
}

// badValues are values of the wrong type or shape for any kept key, each holding a canary:
// a map, an array, bytes, a value nested 40 deep, a path, an e-mail address, markup, escape
// sequences, a bidi override, invalid UTF-8 (protobuf only) and 100 KB of text.
func badValues(field string, withInvalidUTF8 bool) map[string]*commonpb.AnyValue {
	deep := str(cn(field + "-deep"))
	for range 40 {
		deep = &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{kv("k", deep)}}}}
	}
	vs := map[string]*commonpb.AnyValue{
		"kvlist": {Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{kv(cn(field+"-kvkey"), str(cn(field+"-kvval")))}}}},
		"array":  {Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{str(cn(field + "-array"))}}}},
		"bytes":  {Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte(cn(field + "-bytes"))}},
		"nested": deep,
		"path":   str("/home/" + canary + "/" + field),
		"email":  str(canary + "." + field + "@example.com"),
		"html":   str("<script>" + canary + "</script>"),
		"escape": str("\x1b[31m" + canary + "\x1b[0m"),
		"bidi":   str("\u202e" + canary),
		"long":   str(cn(field) + strings.Repeat("x", 100<<10)),
	}
	if withInvalidUTF8 {
		vs["utf8"] = str(canary + invalidUTF8)
	}
	return vs
}

// hostileCase is one request: the hostile part and an honest install sent with it, whose
// storage shows that the request was processed (and was not refused whole).
type hostileCase struct {
	name    string
	logs    *logspb.LogsData
	metrics *metricspb.MetricsData
	// dropped is how many log records or data points of the hostile part the collector must
	// drop (the rest is stored stripped).
	dropped int
	// json tells that the case can also be sent as OTLP/JSON (no invalid UTF-8).
	json bool
	// honest is the honest install sent in the same request.
	honest string
}

// hostileLogs builds the log cases. now is the records' time.
func hostileLogs(now time.Time) []hostileCase {
	var cases []hostileCase
	add := func(name string, dropped int, utf8 bool, build func(in otlpgen.Install) *logspb.LogsData) {
		for _, asJSON := range []bool{false, true} {
			if asJSON && utf8 {
				continue
			}
			honest := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
			in := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
			ld := build(in)
			ok := otlpgen.Logs(honest, otlpgen.Event("waymark.usage", now))
			ld.ResourceLogs = append(ld.ResourceLogs, ok.ResourceLogs...)
			cases = append(cases, hostileCase{name: name, logs: ld, dropped: dropped, json: asJSON, honest: honest.ID})
		}
	}
	usage := func() *logspb.LogRecord { return otlpgen.Event("waymark.usage", now) }

	// The resource: extra keys, schema URL and dropped count are stripped.
	add("resource extras", 0, false, func(in otlpgen.Install) *logspb.LogsData {
		in.Extra = map[string]string{cn("res-key"): cn("res-val"), "host.name": cn("host"), "user.name": cn("user")}
		ld := otlpgen.Logs(in, usage())
		ld.ResourceLogs[0].SchemaUrl = "https://" + cn("res-schema") + ".example/1.0"
		ld.ResourceLogs[0].Resource.DroppedAttributesCount = 7
		return ld
	})
	// Every resource key with a value of the wrong type or shape: the resource and its
	// records are dropped.
	for _, key := range []string{"service.name", "service.version", "app.installation.id", "os.type", "host.arch",
		"process.runtime.name", "process.runtime.version", "telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version", "session.id"} {
		for kind, v := range badValues("res-"+key, true) {
			add("resource "+key+" "+kind, 2, kind == "utf8", func(in otlpgen.Install) *logspb.LogsData {
				ld := otlpgen.Logs(in, usage(), otlpgen.Milestone("first_run", now))
				replaceAttr(&ld.ResourceLogs[0].Resource.Attributes, key, v)
				return ld
			})
		}
	}
	// A key sent twice: the second value is not stored.
	add("resource key twice", 0, false, func(in otlpgen.Install) *logspb.LogsData {
		ld := otlpgen.Logs(in, usage())
		res := ld.ResourceLogs[0].Resource
		res.Attributes = append(res.Attributes, otlpgen.Str("app.installation.id", cn("twice")), otlpgen.Str("os.type", cn("twice-os")))
		return ld
	})
	// The scope: a foreign name or a bad version drops it; attributes, dropped count and schema
	// URL are stripped.
	add("scope name", 1, false, func(in otlpgen.Install) *logspb.LogsData {
		ld := otlpgen.Logs(in, usage())
		ld.ResourceLogs[0].ScopeLogs[0].Scope.Name = cn("scope")
		return ld
	})
	add("scope version", 1, false, func(in otlpgen.Install) *logspb.LogsData {
		ld := otlpgen.Logs(in, usage())
		ld.ResourceLogs[0].ScopeLogs[0].Scope.Version = cn("scope-version")
		return ld
	})
	add("scope extras", 0, false, func(in otlpgen.Install) *logspb.LogsData {
		ld := otlpgen.Logs(in, usage())
		sl := ld.ResourceLogs[0].ScopeLogs[0]
		sl.Scope.Attributes = []*commonpb.KeyValue{otlpgen.Str(cn("scope-key"), cn("scope-val"))}
		sl.Scope.DroppedAttributesCount = 3
		sl.SchemaUrl = "https://" + cn("scope-schema") + ".example/1.0"
		return ld
	})
	// The record: a foreign event name is dropped; body, severity text, flags, trace context,
	// dropped count and extra keys are stripped.
	add("event name", 1, false, func(in otlpgen.Install) *logspb.LogsData {
		return otlpgen.Logs(in, otlpgen.Event(cn("event"), now))
	})
	add("record extras", 0, false, func(in otlpgen.Install) *logspb.LogsData {
		r := otlpgen.Milestone("first_run", now)
		r.Body = str(cn("body"))
		r.SeverityText = cn("severity")
		r.Flags = 0x7f3a
		r.TraceId = canaryID
		r.SpanId = canaryID[:8]
		r.DroppedAttributesCount = 5
		r.Attributes = append(r.Attributes, otlpgen.Str(cn("rec-key"), cn("rec-val")), otlpgen.Str("user.email", cn("email")))
		m := otlpgen.Event("waymark.usage", now)
		m.Body = badValues("body", false)["nested"]
		m.Attributes = append(m.Attributes, kv("milestone.name", str(cn("usage-milestone")))) // allowed on milestones only
		return otlpgen.Logs(in, r, m)
	})
	// Every kept event attribute with a value of the wrong type or shape: the record is dropped.
	events := map[string]func() *logspb.LogRecord{
		"event.id":             usage,
		"milestone.name":       func() *logspb.LogRecord { return otlpgen.Milestone("first_run", now) },
		"session.start":        func() *logspb.LogRecord { return otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute) },
		"session.uptime_s":     func() *logspb.LogRecord { return otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute) },
		"heartbeat.interval_s": func() *logspb.LogRecord { return otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute) },
		"api.version":          func() *logspb.LogRecord { return otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute) },
		"exception.type":       func() *logspb.LogRecord { return errorReport(now, "boom") },
		"exception.message":    func() *logspb.LogRecord { return errorReport(now, "boom") },
		"exception.stacktrace": func() *logspb.LogRecord { return errorReport(now, "boom") },
		"agent.name":           usage,
		"waymark.sample_rate":  usage,
	}
	for key, event := range events {
		for kind, v := range badValues("rec-"+key, true) {
			if strings.HasPrefix(key, "exception.") && kind != "kvlist" && kind != "array" && kind != "bytes" && kind != "nested" && kind != "long" {
				continue // free text: scrubbed, not dropped (below)
			}
			add("record "+key+" "+kind, 1, kind == "utf8", func(in otlpgen.Install) *logspb.LogsData {
				in.Session = otlpgen.UUID()
				r := event()
				replaceAttr(&r.Attributes, key, v)
				return otlpgen.Logs(in, r)
			})
		}
	}
	// Per-run attributes outside their closed set or range, and attributes on the erasure
	// request, which carries event.id only: a bad value drops the record, an extra is stripped.
	double := func(f float64) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}
	}
	for name, v := range map[string]*commonpb.AnyValue{
		"agent.name unknown agent": str("devin"), "agent.name upper case": str("CLAUDE_CODE"),
		"waymark.sample_rate zero": double(0), "waymark.sample_rate above one": double(1.5),
		"waymark.sample_rate negative": double(-0.25), "waymark.sample_rate as text": str("0.25"),
	} {
		key, _, _ := strings.Cut(name, " ")
		add("record "+name, 1, false, func(in otlpgen.Install) *logspb.LogsData {
			r := usage()
			replaceAttr(&r.Attributes, key, v)
			return otlpgen.Logs(in, r)
		})
	}
	add("erasure extras", 0, false, func(in otlpgen.Install) *logspb.LogsData {
		r := otlpgen.Event("waymark.erasure", now)
		r.Attributes = append(r.Attributes, otlpgen.Str("agent.name", "claude_code"), otlpgen.Str(cn("erasure-key"), cn("erasure-val")))
		return otlpgen.Logs(in, r)
	})
	// Heartbeats that would keep a session live: a huge interval, a negative uptime, a
	// session id that is no UUID, no session id, a record from the future.
	for name, build := range map[string]func(in *otlpgen.Install) *logspb.LogRecord{
		"huge interval": func(in *otlpgen.Install) *logspb.LogRecord {
			r := otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute)
			replaceAttr(&r.Attributes, "heartbeat.interval_s", &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 999999999}})
			return r
		},
		"interval as text": func(in *otlpgen.Install) *logspb.LogRecord {
			r := otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute)
			replaceAttr(&r.Attributes, "heartbeat.interval_s", str("60"))
			return r
		},
		"negative uptime": func(in *otlpgen.Install) *logspb.LogRecord {
			r := otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute)
			replaceAttr(&r.Attributes, "session.uptime_s", &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: -1}})
			return r
		},
		"session id no uuid": func(in *otlpgen.Install) *logspb.LogRecord {
			in.Session = "session-" + canary
			return otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute)
		},
		"no session id": func(in *otlpgen.Install) *logspb.LogRecord {
			in.Session = ""
			return otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute)
		},
		"from the future": func(in *otlpgen.Install) *logspb.LogRecord {
			return otlpgen.Milestone(canary+"-future", now.Add(30*24*time.Hour))
		},
	} {
		add("heartbeat "+name, 1, false, func(in otlpgen.Install) *logspb.LogsData {
			in.Session = otlpgen.UUID()
			r := build(&in)
			return otlpgen.Logs(in, r)
		})
	}
	// Error reports whose text holds what the client's scrubber removes: stored, scrubbed.
	add("error report text", 0, false, func(in otlpgen.Install) *logspb.LogsData {
		msg := strings.Join([]string{
			"password=" + cn("pw"), "secret: " + cn("secret"), `"api_key": "` + cn("apikey") + `"`,
			"Authorization: Bearer " + cn("bearer"), "Basic " + cn("basic"),
			canary + ".user@example.com", "https://deploy:" + cn("userinfo") + "@git.example.com/r.git",
			"https://api.example.com/v1?token=" + cn("query") + "#" + cn("fragment"),
			"https://hooks.slack.com/services/T00/B00/" + cn("slack"), "https://discord.com/api/webhooks/1/" + cn("discord"),
			"/home/" + canary + " jones/notes.txt", `C:\Users\` + canary + ` Jones\AppData\x.txt`, "/Users/" + canary + "/x.txt",
			"/opt/" + canary + "/build/x.go:12", "eyJ" + canary + "abc.eyJ" + canary + ".sig",
			canary + "0123456789abcdef0123456789abcdef", "-----BEGIN RSA PRIVATE KEY-----\nMII" + canary + "\n-----END RSA PRIVATE KEY-----",
			"\u202e\x1b[31m" + "\u200b",
		}, "\n")
		r := errorReport(now, msg)
		r.Attributes = append(r.Attributes, otlpgen.Str("exception.escaped", cn("extra")))
		return otlpgen.Logs(in, r)
	})
	add("error report invalid utf-8", 0, true, func(in otlpgen.Install) *logspb.LogsData {
		return otlpgen.Logs(in, errorReport(now, "bad "+invalidUTF8+" bytes"))
	})
	return cases
}

// errorReport is a waymark.error_report event with message msg.
func errorReport(now time.Time, msg string) *logspb.LogRecord {
	return otlpgen.Event("waymark.error_report", now,
		otlpgen.Str("exception.type", "string"),
		otlpgen.Str("exception.message", msg),
		otlpgen.Str("exception.stacktrace", "goroutine 1 [running]:\nmain.main()\n\tmain.go:12 +0x1d\n"))
}

// replaceAttr sets key to v in attrs, in place (or adds it).
func replaceAttr(attrs *[]*commonpb.KeyValue, key string, v *commonpb.AnyValue) {
	for _, a := range *attrs {
		if a.Key == key {
			a.Value = v
			return
		}
	}
	*attrs = append(*attrs, kv(key, v))
}

// hostileMetrics builds the metric cases.
func hostileMetrics(now time.Time) []hostileCase {
	var cases []hostileCase
	add := func(name string, dropped int, build func(in otlpgen.Install) *metricspb.MetricsData) {
		for _, asJSON := range []bool{false, true} {
			honest := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
			in := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
			md := build(in)
			ok := otlpgen.MilestoneCounts(honest, now.Add(-time.Minute), now, map[string]int64{"first_run": 1})
			md.ResourceMetrics = append(md.ResourceMetrics, ok.ResourceMetrics...)
			cases = append(cases, hostileCase{name: name, metrics: md, dropped: dropped, json: asJSON, honest: honest.ID})
		}
	}
	counts := func(in otlpgen.Install, name string) *metricspb.MetricsData {
		return otlpgen.MilestoneCounts(in, now.Add(-time.Minute), now, map[string]int64{name: 1})
	}
	metric := func(md *metricspb.MetricsData) *metricspb.Metric {
		return md.ResourceMetrics[0].ScopeMetrics[0].Metrics[0]
	}
	point := func(md *metricspb.MetricsData) *metricspb.NumberDataPoint { return metric(md).GetSum().DataPoints[0] }

	add("metric name", 1, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, "first_run")
		metric(md).Name = "waymark.milestones." + canary
		return md
	})
	add("resource", 1, func(in otlpgen.Install) *metricspb.MetricsData {
		in.ID = "fake-" + canary
		return counts(in, "first_run")
	})
	add("scope name", 1, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, "first_run")
		md.ResourceMetrics[0].ScopeMetrics[0].Scope.Name = cn("scope")
		return md
	})
	add("metric extras", 0, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, "first_run")
		m := metric(md)
		m.Description = cn("description")
		m.Unit = cn("unit")
		m.Metadata = []*commonpb.KeyValue{otlpgen.Str(cn("meta-key"), cn("meta-val"))}
		md.ResourceMetrics[0].SchemaUrl = "https://" + cn("schema") + ".example"
		md.ResourceMetrics[0].ScopeMetrics[0].Scope.Attributes = []*commonpb.KeyValue{otlpgen.Str(cn("scope-key"), cn("scope-val"))}
		dp := point(md)
		dp.Attributes = append(dp.Attributes, otlpgen.Str(cn("dp-key"), cn("dp-val")), otlpgen.Str("milestone.name", cn("second")))
		dp.Flags = 1
		dp.Exemplars = []*metricspb.Exemplar{{
			FilteredAttributes: []*commonpb.KeyValue{otlpgen.Str("user.email", canary+"@example.com"), otlpgen.Str("net.peer.ip", "10.1.2.3")},
			TimeUnixNano:       uint64(now.UnixNano()), Value: &metricspb.Exemplar_AsInt{AsInt: 1}, SpanId: canaryID[:8], TraceId: canaryID,
		}}
		return md
	})
	for kind, v := range badValues("dp-milestone", false) {
		add("milestone.name "+kind, 1, func(in otlpgen.Install) *metricspb.MetricsData {
			md := counts(in, "first_run")
			replaceAttr(&point(md).Attributes, "milestone.name", v)
			return md
		})
	}
	// Wrong types for the right names, values out of range, points from the future. The
	// milestone names here have a valid shape: only the type check keeps them out.
	add("histogram", 1, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, canary+"-histogram")
		m := metric(md)
		m.Data = &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
			DataPoints: []*metricspb.HistogramDataPoint{{Attributes: m.GetSum().DataPoints[0].Attributes, TimeUnixNano: uint64(now.UnixNano()), Count: 1}}}}
		return md
	})
	add("summary", 1, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, canary+"-summary")
		m := metric(md)
		m.Data = &metricspb.Metric_Summary{Summary: &metricspb.Summary{
			DataPoints: []*metricspb.SummaryDataPoint{{Attributes: m.GetSum().DataPoints[0].Attributes, TimeUnixNano: uint64(now.UnixNano()), Count: 1}}}}
		return md
	})
	add("exponential histogram", 1, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, canary+"-exphist")
		m := metric(md)
		m.Data = &metricspb.Metric_ExponentialHistogram{ExponentialHistogram: &metricspb.ExponentialHistogram{AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
			DataPoints: []*metricspb.ExponentialHistogramDataPoint{{Attributes: m.GetSum().DataPoints[0].Attributes, TimeUnixNano: uint64(now.UnixNano()), Count: 1}}}}
		return md
	})
	add("cumulative", 1, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, canary+"-cumulative")
		metric(md).GetSum().AggregationTemporality = metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
		return md
	})
	add("gauge named as a sum", 1, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, canary+"-gauge")
		m := metric(md)
		m.Data = &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: m.GetSum().DataPoints}}
		return md
	})
	add("double count", 1, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, canary+"-double")
		point(md).Value = &metricspb.NumberDataPoint_AsDouble{AsDouble: 1}
		return md
	})
	add("huge count", 1, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, canary+"-huge")
		point(md).Value = &metricspb.NumberDataPoint_AsInt{AsInt: 1 << 40}
		return md
	})
	add("from the future", 1, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, canary+"-future")
		point(md).TimeUnixNano = uint64(now.Add(30 * 24 * time.Hour).UnixNano())
		return md
	})
	// One name in three types in one scope: the rebuild merges metrics of equal name and
	// type only, and the checks run before it, so only the delta monotonic sum is stored.
	add("one name in three types", 2, func(in otlpgen.Install) *metricspb.MetricsData {
		md := counts(in, "first_run")
		gauge := counts(in, canary+"-gauge-twin")
		m := metric(gauge)
		m.Data = &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: m.GetSum().DataPoints}}
		cumulative := counts(in, canary+"-cumulative-twin")
		metric(cumulative).GetSum().AggregationTemporality = metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
		sm := md.ResourceMetrics[0].ScopeMetrics[0]
		sm.Metrics = append(sm.Metrics, m, metric(cumulative))
		return md
	})
	// Exemplars and attributes on the uptime gauge's point are removed like a sum's.
	add("exemplar on the uptime gauge", 0, func(in otlpgen.Install) *metricspb.MetricsData {
		in.Session = otlpgen.UUID()
		md := otlpgen.ServerMetrics(in, now.Add(-time.Minute), now, 1, time.Minute)
		dp := md.ResourceMetrics[0].ScopeMetrics[0].Metrics[1].GetGauge().DataPoints[0]
		dp.Attributes = []*commonpb.KeyValue{otlpgen.Str(cn("gauge-key"), cn("gauge-val"))}
		dp.Exemplars = []*metricspb.Exemplar{{
			FilteredAttributes: []*commonpb.KeyValue{otlpgen.Str(cn("gex-key"), cn("gex-val"))},
			TimeUnixNano:       uint64(now.UnixNano()), Value: &metricspb.Exemplar_AsDouble{AsDouble: 1}, SpanId: canaryID[:8], TraceId: canaryID,
		}}
		return md
	})
	// The uptime as an integer, or with no value at all: both read as 0.0 to the checks,
	// which cannot see a value's type; it is stored as the double the schema names.
	add("uptime as an integer", 0, func(in otlpgen.Install) *metricspb.MetricsData {
		in.Session = otlpgen.UUID()
		md := otlpgen.ServerMetrics(in, now.Add(-time.Minute), now, 1, 0)
		md.ResourceMetrics[0].ScopeMetrics[0].Metrics[1].GetGauge().DataPoints[0].Value = &metricspb.NumberDataPoint_AsInt{AsInt: 0}
		return md
	})
	add("uptime without a value", 0, func(in otlpgen.Install) *metricspb.MetricsData {
		in.Session = otlpgen.UUID()
		md := otlpgen.ServerMetrics(in, now.Add(-time.Minute), now, 1, 0)
		md.ResourceMetrics[0].ScopeMetrics[0].Metrics[1].GetGauge().DataPoints[0].Value = nil
		return md
	})
	add("uptime out of range", 2, func(in otlpgen.Install) *metricspb.MetricsData {
		in.Session = otlpgen.UUID()
		md := otlpgen.ServerMetrics(in, now.Add(-time.Minute), now, 1<<40, 0)
		md.ResourceMetrics[0].ScopeMetrics[0].Metrics[1].GetGauge().DataPoints[0].Value = &metricspb.NumberDataPoint_AsDouble{AsDouble: 1e12}
		return md
	})
	return cases
}

// send posts a case in its encoding: protobuf with Go's client, or OTLP/JSON with curl.
func send(t *testing.T, c *collector, hc hostileCase) {
	t.Helper()
	var msg proto.Message = hc.logs
	path := "/v1/logs"
	if hc.metrics != nil {
		msg, path = hc.metrics, "/v1/metrics"
	}
	if !hc.json {
		code, resp, err := otlpgen.Post(context.Background(), &http.Client{Timeout: 20 * time.Second}, c.Endpoint+path, encode(t, msg), false)
		if err != nil || code != http.StatusOK {
			t.Fatalf("%s (protobuf): %d %q %v", hc.name, code, resp, err)
		}
		return
	}
	body, err := otlpgen.JSON(msg)
	if err != nil {
		t.Fatalf("%s: %v", hc.name, err)
	}
	if code, resp := curlPost(t, c.Endpoint+path, "application/json", body); code != "200" {
		t.Fatalf("%s (JSON): curl: %s %s", hc.name, code, resp)
	}
}

// curlPost posts body with curl and returns the status code and the response.
func curlPost(t *testing.T, url, contentType string, body []byte, extra ...string) (string, string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(f, body, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	args := append([]string{"-sS", "-o", out, "-w", "%{http_code}", "--max-time", "20",
		"-H", "Content-Type: " + contentType, "--data-binary", "@" + f}, extra...)
	cmd := exec.Command("curl", append(args, url)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	code, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", url, err, stderr.String())
	}
	resp, _ := os.ReadFile(out)
	return string(code), string(resp)
}

// TestHostileRequests shows, as a black box, that nothing hostile is stored: every hostile
// case, as protobuf and as OTLP/JSON, then no canary anywhere under the data directory, every
// stored line inside the schema, every honest install of every request stored, and the
// collector's own count of dropped records equal to what the cases drop.
func TestHostileRequests(t *testing.T) {
	c := startCollector(t, nil)
	now := time.Now()
	logCases, metricCases := hostileLogs(now), hostileMetrics(now)
	droppedLogs, droppedPoints := 0, 0
	for _, hc := range logCases {
		send(t, c, hc)
		droppedLogs += hc.dropped
	}
	for _, hc := range metricCases {
		send(t, c, hc)
		droppedPoints += hc.dropped
	}
	t.Logf("%d log cases and %d metric cases sent; %d log records and %d data points must be dropped",
		len(logCases), len(metricCases), droppedLogs, droppedPoints)

	ok := waitFor(30*time.Second, func() bool {
		files := c.storedFiles(t)
		logs, metrics := files[filepath.Join(c.DataDir, "logs.jsonl")], files[filepath.Join(c.DataDir, "metrics.jsonl")]
		for _, hc := range logCases {
			if !strings.Contains(logs, hc.honest) {
				return false
			}
		}
		for _, hc := range metricCases {
			if !strings.Contains(metrics, hc.honest) {
				return false
			}
		}
		return true
	})
	if !ok {
		t.Fatalf("an honest install sent with a hostile request is not stored after 30 s\ncollector:\n%s", c.output)
	}

	t.Run("no canary stored", func(t *testing.T) {
		// The canary as text, as hex (ids) and as base64 (bytes values).
		forbidden := []string{canary, "c0ffee7f3a", base64.StdEncoding.EncodeToString([]byte(canary))[:8],
			base64.StdEncoding.EncodeToString(canaryID)[:12]}
		for path, content := range c.storedFiles(t) {
			lower := strings.ToLower(content)
			for _, f := range forbidden {
				if i := strings.Index(lower, strings.ToLower(f)); i >= 0 {
					t.Errorf("%s holds %q: …%s…", path, f, content[max(0, i-200):min(len(content), i+100)])
				}
			}
			for _, f := range []string{"\\u202e", "\\u001b", "\\ufffd", "\ufffd", "\u202e", "<script"} {
				if strings.Contains(content, f) {
					t.Errorf("%s holds %q", path, f)
				}
			}
		}
	})
	t.Run("stored lines inside the schema", func(t *testing.T) {
		for path, content := range c.storedFiles(t) {
			checkSchema(t, path, content)
		}
	})
	t.Run("drops counted", func(t *testing.T) {
		if got := c.ownMetric(t, "otelcol_processor_filter_logs_filtered"); got != float64(droppedLogs) {
			t.Errorf("otelcol_processor_filter_logs_filtered = %v, want %d", got, droppedLogs)
		}
		if got := c.ownMetric(t, "otelcol_processor_filter_datapoints_filtered"); got != float64(droppedPoints) {
			t.Errorf("otelcol_processor_filter_datapoints_filtered = %v, want %d", got, droppedPoints)
		}
	})
	t.Run("error report scrubbed again", func(t *testing.T) {
		logs := c.storedFiles(t)[filepath.Join(c.DataDir, "logs.jsonl")]
		for _, want := range []string{"password=\u003credacted\u003e", "Authorization: \u003credacted\u003e", "Basic \u003credacted\u003e", "\u003cemail\u003e",
			"https://git.example.com/r.git", "https://hooks.slack.com/\u003credacted\u003e", "notes.txt", "bad  bytes"} {
			if !strings.Contains(logs, want) && !strings.Contains(logs, strings.NewReplacer("<", `\u003c`, ">", `\u003e`).Replace(want)) {
				t.Errorf("stored error reports lack %q", want)
			}
		}
	})
}

// TestInvalidIDsAndPlatforms sends values that an earlier schema let through and
// stored: installation, session and event ids that are no UUIDs, and OS and architecture
// values outside Go's lists (templeos, z80; also GOARCH spellings the SDK never sends, such as
// 386 for x86), sent with curl as OTLP/JSON. None is stored; an honest install sent alongside
// is.
func TestInvalidIDsAndPlatforms(t *testing.T) {
	c := startCollector(t, nil)
	now := time.Now()
	var resources []*logspb.ResourceLogs
	bad := func(mut func(in *otlpgen.Install), recs ...*logspb.LogRecord) {
		in := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
		mut(&in)
		if len(recs) == 0 {
			recs = []*logspb.LogRecord{otlpgen.Event("waymark.usage", now)}
		}
		resources = append(resources, otlpgen.Logs(in, recs...).ResourceLogs...)
	}
	for i := range 5 {
		bad(func(in *otlpgen.Install) { in.ID = fmt.Sprintf("fake-%05d", i) })
	}
	bad(func(in *otlpgen.Install) { in.ID = "/home/bob/.config/acme/device_id" })
	bad(func(in *otlpgen.Install) { in.ID = strings.ToUpper(in.ID) })
	bad(func(in *otlpgen.Install) { in.OS = "templeos" })
	bad(func(in *otlpgen.Install) { in.OS = "ios" }) // the SDK sends darwin
	bad(func(in *otlpgen.Install) { in.Arch = "z80" })
	bad(func(in *otlpgen.Install) { in.Arch = "386" }) // the SDK sends x86
	bad(func(in *otlpgen.Install) { in.Session = "session-00001" }, otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute))
	ev := otlpgen.Event("waymark.usage", now)
	ev.Attributes[0].Value = str("/home/bob/event-00001")
	bad(func(in *otlpgen.Install) {}, ev)
	ms := otlpgen.Milestone("first_run", now)
	ms.Attributes[0].Value = str("event-00002")
	bad(func(in *otlpgen.Install) {}, ms)

	honest := otlpgen.NewInstall("acme", "1.4.2", "windows", "x86")
	honest.Session = otlpgen.UUID()
	resources = append(resources, otlpgen.Logs(honest, otlpgen.Heartbeat(now.Add(-time.Minute), now, time.Minute)).ResourceLogs...)
	body, err := otlpgen.JSON(&logspb.LogsData{ResourceLogs: resources})
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := curlPost(t, c.Endpoint+"/v1/logs", "application/json", body); code != "200" {
		t.Fatalf("curl: %s %s", code, resp)
	}
	if !waitFor(20*time.Second, func() bool { return strings.Contains(c.stored(t), honest.ID) }) {
		t.Fatalf("the honest install is not stored:\n%s", c.output)
	}
	time.Sleep(1500 * time.Millisecond)
	stored := c.stored(t)
	for _, s := range []string{"fake-", "device_id", "templeos", `"ios"`, "z80", `"386"`, "session-00001", "event-00001", "event-00002"} {
		if strings.Contains(stored, s) {
			t.Errorf("stored: %q", s)
		}
	}
	for path, content := range c.storedFiles(t) {
		if n := checkSchema(t, path, content); n != 1 {
			t.Errorf("%s: %d records stored, want the honest heartbeat only", path, n)
		}
	}
}

// TestHonestInstallsBesideDeepNesting sends twenty honest installs and one
// record whose attribute value is nested 3000 levels deep, in one request, as protobuf and as
// OTLP/JSON (curl). The stored file holds the twenty, on lines any JSON reader can parse, and
// the nested value nowhere; waymark report counts them.
func TestHonestInstallsBesideDeepNesting(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		t.Run(map[bool]string{false: "protobuf", true: "json"}[asJSON], func(t *testing.T) {
			c := startCollector(t, nil)
			now := time.Now()
			ld := &logspb.LogsData{}
			var ids []string
			for range 20 {
				in := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
				ids = append(ids, in.ID)
				ld.ResourceLogs = append(ld.ResourceLogs, otlpgen.Logs(in, otlpgen.Milestone("first_run", now), otlpgen.Event("waymark.usage", now)).ResourceLogs...)
			}
			deep := str(cn("deep"))
			for range 3000 {
				deep = &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{kv("k", deep)}}}}
			}
			hostile := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
			deepRec := otlpgen.Milestone("first_run", now)
			replaceAttr(&deepRec.Attributes, "milestone.name", deep)
			deepUsage := otlpgen.Event("waymark.usage", now)
			replaceAttr(&deepUsage.Attributes, "event.id", deep)
			deepRes := otlpgen.Logs(hostile, deepRec, deepUsage).ResourceLogs[0]
			deepRes.Resource.Attributes = append(deepRes.Resource.Attributes, kv("nested", deep))
			// In the middle of the honest ones.
			ld.ResourceLogs = append(ld.ResourceLogs[:10], append([]*logspb.ResourceLogs{deepRes}, ld.ResourceLogs[10:]...)...)

			if asJSON {
				// Go's JSON reader stops at 10 000 levels, which 3000 kvlists exceed: the
				// nested value (arrays, to stay under the 256 KiB body limit) is written by
				// hand into the encoded request.
				// Only in the milestone's name, to stay under the body limit.
				deepRes.Resource.Attributes = deepRes.Resource.Attributes[:len(deepRes.Resource.Attributes)-1]
				replaceAttr(&deepUsage.Attributes, "event.id", badValues("deep-usage", false)["kvlist"])
				replaceAttr(&deepRec.Attributes, "milestone.name", str("@@deep@@"))
				body, err := otlpgen.JSON(ld)
				if err != nil {
					t.Fatal(err)
				}
				deepJSON := `{"stringValue":"` + cn("deep") + `"}`
				for range 3000 {
					deepJSON = `{"arrayValue":{"values":[` + deepJSON + `]}}`
				}
				body = bytes.ReplaceAll(body, []byte(`{"stringValue":"@@deep@@"}`), []byte(deepJSON))
				t.Logf("request: %d bytes of JSON", len(body))
				if code, resp := curlPost(t, c.Endpoint+"/v1/logs", "application/json", body); code != "200" {
					t.Fatalf("curl: %s %s", code, resp)
				}
			} else {
				b, _ := otlpgen.Encode(ld, true)
				t.Logf("request: %d bytes gzipped", len(b))
				if code, resp, err := otlpgen.Send(context.Background(), &http.Client{Timeout: 20 * time.Second}, c.Endpoint+"/v1/logs", ld); err != nil || code != http.StatusOK {
					t.Fatalf("POST: %d %q %v", code, resp, err)
				}
			}
			if !waitFor(20*time.Second, func() bool {
				s := c.stored(t)
				for _, id := range ids {
					if !strings.Contains(s, id) {
						return false
					}
				}
				return true
			}) {
				t.Fatalf("the 20 honest installs are not all stored:\n%s", c.output)
			}
			time.Sleep(1500 * time.Millisecond)
			stored := c.stored(t)
			if strings.Contains(stored, canary) || strings.Contains(stored, `"k"`) {
				t.Errorf("the nested value is stored")
			}
			// The hostile install's records are dropped (nested values where a string
			// belongs); its nested resource attribute would have been stripped.
			for path, content := range c.storedFiles(t) {
				if n := checkSchema(t, path, content); n != 40 {
					t.Errorf("%s: %d records stored, want the 40 honest ones", path, n)
				}
			}
			r, warnings := runReport(t, c.DataDir)
			if r.Installs30d != 20 || r.funnel() != "first_run=20" {
				t.Errorf("report: installs_30d %d, funnel %s; want 20 and first_run=20\n%s", r.Installs30d, r.funnel(), warnings)
			}
		})
	}
}

// TestStaleHeartbeatWithHugeInterval shows, on the collector's side, that a
// heartbeat three days old claiming a huge interval, and heartbeats of sessions whose ids are
// no UUIDs, never reach storage, so waymark report counts no live server.
func TestStaleHeartbeatWithHugeInterval(t *testing.T) {
	c := startCollector(t, nil)
	now := time.Now()
	old := now.Add(-72 * time.Hour)
	var resources []*logspb.ResourceLogs
	for i := range 50 {
		in := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
		in.Session = otlpgen.UUID()
		r := otlpgen.Heartbeat(old.Add(-time.Hour), old, time.Minute)
		replaceAttr(&r.Attributes, "heartbeat.interval_s", &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 999999999}})
		if i%2 == 1 {
			in.Session = fmt.Sprintf("fake-session-%05d", i)
			r = otlpgen.Heartbeat(now.Add(-time.Hour), now, time.Minute)
		}
		resources = append(resources, otlpgen.Logs(in, r).ResourceLogs...)
	}
	marker := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
	resources = append(resources, otlpgen.Logs(marker, otlpgen.Event("waymark.usage", now)).ResourceLogs...)
	body, err := otlpgen.JSON(&logspb.LogsData{ResourceLogs: resources})
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := curlPost(t, c.Endpoint+"/v1/logs", "application/json", body); code != "200" {
		t.Fatalf("curl: %s %s", code, resp)
	}
	if !waitFor(20*time.Second, func() bool { return strings.Contains(c.stored(t), marker.ID) }) {
		t.Fatalf("the marker install is not stored:\n%s", c.output)
	}
	time.Sleep(1500 * time.Millisecond)
	if s := c.stored(t); strings.Contains(s, "waymark.heartbeat") || strings.Contains(s, "999999999") || strings.Contains(s, "fake-session") {
		t.Errorf("a heartbeat was stored")
	}
	r, _ := runReport(t, c.DataDir)
	if string(r.ServersLive) != "0" {
		t.Errorf("servers_live = %s, want 0", r.ServersLive)
	}
}

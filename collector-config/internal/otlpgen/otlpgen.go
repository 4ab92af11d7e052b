// Package otlpgen builds synthetic Waymark traffic — OTLP/HTTP protobuf requests shaped like
// the ones Waymark's SDK sends — and posts them, for the end-to-end tests and the load
// generator. It uses the official generated OTLP messages, so what it sends is independent of
// the SDK's own hand-written encoder. It never reads the environment.
package otlpgen

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Install is one simulated installation: the resource Waymark's SDK sends for it.
type Install struct {
	Product, Version, ID, OS, Arch string
	// Session is session.id, set for servers only.
	Session string
	// Extra resource attributes a hostile or misconfigured client adds.
	Extra map[string]string
}

// NewInstall returns an install of product with a fresh random installation id.
func NewInstall(product, version, os, arch string) Install {
	return Install{Product: product, Version: version, ID: UUID(), OS: os, Arch: arch}
}

// UUID returns a random version 4 UUID.
func UUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Str makes a string attribute.
func Str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// Int makes an integer attribute.
func Int(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

// Resource is the install's resource: exactly the schema's resource attributes, then any extras.
func (in Install) Resource() *resourcepb.Resource {
	attrs := []*commonpb.KeyValue{
		Str("service.name", in.Product),
		Str("service.version", in.Version),
		Str("app.installation.id", in.ID),
		Str("os.type", in.OS),
		Str("host.arch", in.Arch),
		Str("process.runtime.name", "go"),
		Str("process.runtime.version", "go1.26.0"),
		Str("telemetry.sdk.name", "waymark"),
		Str("telemetry.sdk.language", "go"),
		Str("telemetry.sdk.version", SDKVersion),
	}
	if in.Session != "" {
		attrs = append(attrs, Str("session.id", in.Session))
	}
	for k, v := range in.Extra {
		attrs = append(attrs, Str(k, v))
	}
	return &resourcepb.Resource{Attributes: attrs}
}

// SDKVersion is the Waymark version these messages claim: telemetry.sdk.version and the
// instrumentation scope's version.
const SDKVersion = "0.1.0"

// Scope is the instrumentation scope of everything Waymark's SDK sends.
func Scope() *commonpb.InstrumentationScope {
	return &commonpb.InstrumentationScope{Name: "waymark", Version: SDKVersion}
}

// Event is a log record with an event name, at t, with a fresh event.id first among attrs.
func Event(name string, t time.Time, attrs ...*commonpb.KeyValue) *logspb.LogRecord {
	return &logspb.LogRecord{
		TimeUnixNano:         uint64(t.UnixNano()),
		ObservedTimeUnixNano: uint64(t.UnixNano()),
		SeverityNumber:       logspb.SeverityNumber_SEVERITY_NUMBER_INFO,
		EventName:            name,
		Attributes:           append([]*commonpb.KeyValue{Str("event.id", UUID())}, attrs...),
	}
}

// Milestone is a waymark.milestone event.
func Milestone(name string, t time.Time) *logspb.LogRecord {
	return Event("waymark.milestone", t, Str("milestone.name", name))
}

// Heartbeat is a waymark.heartbeat event of a session that started at start.
func Heartbeat(start, t time.Time, interval time.Duration) *logspb.LogRecord {
	return Event("waymark.heartbeat", t,
		Str("session.start", start.UTC().Format(time.RFC3339)),
		Int("session.uptime_s", int64(t.Sub(start)/time.Second)),
		Int("heartbeat.interval_s", int64(interval/time.Second)))
}

// Logs wraps records of one install into a LogsData message, which is wire-identical to the
// ExportLogsServiceRequest posted to /v1/logs.
func Logs(in Install, recs ...*logspb.LogRecord) *logspb.LogsData {
	return &logspb.LogsData{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  in.Resource(),
		ScopeLogs: []*logspb.ScopeLogs{{Scope: Scope(), LogRecords: recs}},
	}}}
}

// MilestoneCounts is a MetricsData message (wire-identical to ExportMetricsServiceRequest)
// holding the delta sum waymark.milestones for the interval (start, end], one data point per
// milestone with its count.
func MilestoneCounts(in Install, start, end time.Time, counts map[string]int64) *metricspb.MetricsData {
	var dps []*metricspb.NumberDataPoint
	for m, n := range counts {
		dps = append(dps, &metricspb.NumberDataPoint{
			Attributes:        []*commonpb.KeyValue{Str("milestone.name", m)},
			StartTimeUnixNano: uint64(start.UnixNano()),
			TimeUnixNano:      uint64(end.UnixNano()),
			Value:             &metricspb.NumberDataPoint_AsInt{AsInt: n},
		})
	}
	return &metricspb.MetricsData{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: in.Resource(),
		ScopeMetrics: []*metricspb.ScopeMetrics{{
			Scope: Scope(),
			Metrics: []*metricspb.Metric{{
				Name: "waymark.milestones",
				Unit: "{milestone}",
				Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
					AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
					IsMonotonic:            true,
					DataPoints:             dps,
				}},
			}},
		}},
	}}}
}

// Encode marshals msg to protobuf, gzipped if gz.
func Encode(msg proto.Message, gz bool) ([]byte, error) {
	b, err := proto.Marshal(msg)
	if err != nil || !gz {
		return b, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Post sends an encoded body to url as Waymark's SDK does (protobuf, gzip if gz) and returns
// the status code and up to 4 KiB of the response body.
func Post(ctx context.Context, c *http.Client, url string, body []byte, gz bool) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, string(b), nil
}

// Send encodes msg (gzipped) and posts it.
func Send(ctx context.Context, c *http.Client, url string, msg proto.Message) (int, string, error) {
	b, err := Encode(msg, true)
	if err != nil {
		return 0, "", err
	}
	return Post(ctx, c, url, b, true)
}

// ServerMetrics is a server's MetricsData for the interval (start, end]: the delta sum
// waymark.heartbeats with beats, and the gauge waymark.session.uptime in seconds.
func ServerMetrics(in Install, start, end time.Time, beats int64, uptime time.Duration) *metricspb.MetricsData {
	return &metricspb.MetricsData{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: in.Resource(),
		ScopeMetrics: []*metricspb.ScopeMetrics{{
			Scope: Scope(),
			Metrics: []*metricspb.Metric{
				{Name: "waymark.heartbeats", Unit: "{heartbeat}", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
					AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
					IsMonotonic:            true,
					DataPoints: []*metricspb.NumberDataPoint{{
						StartTimeUnixNano: uint64(start.UnixNano()), TimeUnixNano: uint64(end.UnixNano()),
						Value: &metricspb.NumberDataPoint_AsInt{AsInt: beats},
					}},
				}}},
				{Name: "waymark.session.uptime", Unit: "s", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{
					DataPoints: []*metricspb.NumberDataPoint{{
						TimeUnixNano: uint64(end.UnixNano()),
						Value:        &metricspb.NumberDataPoint_AsDouble{AsDouble: uptime.Seconds()},
					}},
				}}},
			},
		}},
	}}}
}

// JSON encodes msg as OTLP/JSON, the encoding a client sends with Content-Type
// application/json: protobuf's JSON mapping with enums as numbers, except that
// trace and span ids are hex strings rather than base64. It fails on strings
// that are not valid UTF-8, which JSON cannot carry.
func JSON(msg proto.Message) ([]byte, error) {
	b, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(msg)
	if err != nil {
		return nil, err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if err := hexIDs(v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// hexIDs rewrites every traceId and spanId in v from base64 to hex.
func hexIDs(v any) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && (k == "traceId" || k == "spanId") {
				raw, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return fmt.Errorf("otlpgen: %s %q: %w", k, s, err)
				}
				x[k] = hex.EncodeToString(raw)
				continue
			}
			if err := hexIDs(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := hexIDs(e); err != nil {
				return err
			}
		}
	}
	return nil
}

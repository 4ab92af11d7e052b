package sim

import (
	"sort"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
)

// LogsData returns the uploads' events as one LogsData message (wire-identical to the
// ExportLogsServiceRequest posted to /v1/logs), a ResourceLogs per upload, each shaped as the
// SDK sends it: scope waymark with its version, time and observed time, severity INFO.
func LogsData(ups []*Upload) *logspb.LogsData {
	out := &logspb.LogsData{}
	for _, u := range ups {
		recs := make([]*logspb.LogRecord, len(u.Records))
		for i, r := range u.Records {
			ns := uint64(r.Time.UnixNano())
			recs[i] = &logspb.LogRecord{
				TimeUnixNano:         ns,
				ObservedTimeUnixNano: ns,
				SeverityNumber:       logspb.SeverityNumber_SEVERITY_NUMBER_INFO,
				EventName:            r.Name,
				Attributes:           pbAttrs(r.Attrs),
			}
		}
		out.ResourceLogs = append(out.ResourceLogs, &logspb.ResourceLogs{
			Resource: &resourcepb.Resource{Attributes: pbAttrs(u.Resource.Attrs())},
			ScopeLogs: []*logspb.ScopeLogs{{
				Scope:      &commonpb.InstrumentationScope{Name: "waymark", Version: SDKVersion},
				LogRecords: recs,
			}},
		})
	}
	return out
}

// MetricsData returns the uploads' metrics (delta sums of milestones and heartbeats, the
// uptime gauge) as one MetricsData message, or nil if none carries any.
func MetricsData(ups []*Upload) *metricspb.MetricsData {
	out := &metricspb.MetricsData{}
	for _, u := range ups {
		if len(u.Milestones) == 0 && u.Heartbeats == 0 {
			continue
		}
		end := uint64(u.Received.UnixNano())
		var ms []*metricspb.Metric
		if len(u.Milestones) > 0 {
			names := make([]string, 0, len(u.Milestones))
			for m := range u.Milestones {
				names = append(names, m)
			}
			sort.Strings(names)
			var dps []*metricspb.NumberDataPoint
			for _, m := range names {
				dps = append(dps, &metricspb.NumberDataPoint{
					Attributes:   []*commonpb.KeyValue{otlpgen.Str("milestone.name", m)},
					TimeUnixNano: end,
					Value:        &metricspb.NumberDataPoint_AsInt{AsInt: u.Milestones[m]},
				})
			}
			ms = append(ms, &metricspb.Metric{Name: "waymark.milestones", Unit: "{milestone}", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
				AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA, IsMonotonic: true, DataPoints: dps,
			}}})
		}
		if u.Heartbeats > 0 {
			ms = append(ms,
				&metricspb.Metric{Name: "waymark.heartbeats", Unit: "{heartbeat}", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
					AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA, IsMonotonic: true,
					DataPoints: []*metricspb.NumberDataPoint{{TimeUnixNano: end, Value: &metricspb.NumberDataPoint_AsInt{AsInt: u.Heartbeats}}},
				}}},
				&metricspb.Metric{Name: "waymark.session.uptime", Unit: "s", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{
					DataPoints: []*metricspb.NumberDataPoint{{TimeUnixNano: end, Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: u.Uptime.Seconds()}}},
				}}})
		}
		out.ResourceMetrics = append(out.ResourceMetrics, &metricspb.ResourceMetrics{
			Resource:     &resourcepb.Resource{Attributes: pbAttrs(u.Resource.Attrs())},
			ScopeMetrics: []*metricspb.ScopeMetrics{{Scope: &commonpb.InstrumentationScope{Name: "waymark", Version: SDKVersion}, Metrics: ms}},
		})
	}
	if len(out.ResourceMetrics) == 0 {
		return nil
	}
	return out
}

func pbAttrs(attrs []Attr) []*commonpb.KeyValue {
	out := make([]*commonpb.KeyValue, len(attrs))
	for i, a := range attrs {
		if a.IsInt {
			out[i] = otlpgen.Int(a.Key, a.Int)
		} else {
			out[i] = otlpgen.Str(a.Key, a.Str)
		}
	}
	return out
}

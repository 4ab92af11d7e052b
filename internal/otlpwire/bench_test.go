package otlpwire

import (
	"context"
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/proto"
)

// One milestone event with Waymark's full resource: what the exporter
// encodes when sdk.Milestone fires.
func BenchmarkAppendLogsDataMilestone(b *testing.B) {
	recs := emit(b, context.Background(), milestoneRecord())
	res, scope := waymarkResource(), testScope()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendLogsData(buf[:0], res, scope, recs)
	}
	b.SetBytes(int64(len(buf)))
}

// The same with a fresh buffer each time, as a one-shot CLI does.
func BenchmarkAppendLogsDataMilestoneNilDst(b *testing.B) {
	recs := emit(b, context.Background(), milestoneRecord())
	res, scope := waymarkResource(), testScope()
	b.ReportAllocs()
	for b.Loop() {
		_ = AppendLogsData(nil, res, scope, recs)
	}
}

// For comparison only: the generated messages and proto.Marshal, given a
// message already built (the stock exporter also has to build it).
func BenchmarkProtoMarshalMilestone(b *testing.B) {
	msg := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{
		logsData(wantWaymarkResource(), pbTestScope(), wantMilestoneRecord()),
	}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := proto.Marshal(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// A run's final metrics collection: counters, gauges and histograms.
func BenchmarkAppendMetricsData(b *testing.B) {
	rm := collectSDK(b)
	res := waymarkResource()
	buf := make([]byte, 0, 8192)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendMetricsData(buf[:0], res, rm)
	}
	b.SetBytes(int64(len(buf)))
}

package otlpwire

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
)

func nanos(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano())
}

// collectSDK records a known set of measurements through a real
// MeterProvider with a delta ManualReader and returns its collection, with
// data points in a stable order.
func collectSDK(t testing.TB) *metricdata.ResourceMetrics {
	t.Helper()
	ctx := context.Background()
	reader := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(
		func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.DeltaTemporality }))
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(reader),
		sdkmetric.WithView(sdkmetric.NewView(sdkmetric.Instrument{Name: "expo"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}})),
	)
	defer mp.Shutdown(ctx)
	m := mp.Meter("github.com/waymarkhq/waymark/exporter", metric.WithInstrumentationVersion("0.1.0"))

	milestones, _ := m.Int64Counter("waymark.milestones", metric.WithDescription("Milestones first reached on an install."), metric.WithUnit("{milestone}"))
	milestones.Add(ctx, 1, metric.WithAttributes(attribute.String("milestone.name", "first_run")))
	milestones.Add(ctx, 2, metric.WithAttributes(attribute.String("milestone.name", "first_deploy")))
	fc, _ := m.Float64Counter("f.counter")
	fc.Add(ctx, 0.5)
	ud, _ := m.Int64UpDownCounter("updown")
	ud.Add(ctx, -3)
	uptime, _ := m.Float64Gauge("waymark.session.uptime", metric.WithUnit("s"))
	uptime.Record(ctx, 123.5)
	ig, _ := m.Int64Gauge("igauge")
	ig.Record(ctx, -9, metric.WithAttributes(attribute.Bool("b", true), attribute.Int("n", 3)))
	ih, _ := m.Int64Histogram("ihist", metric.WithExplicitBucketBoundaries(0, 10, 100))
	for _, v := range []int64{5, 50, 500} {
		ih.Record(ctx, v)
	}
	fh, _ := m.Float64Histogram("fhist", metric.WithExplicitBucketBoundaries(1.5))
	fh.Record(ctx, -1)
	fh.Record(ctx, 2.5)
	expo, _ := m.Float64Histogram("expo")
	expo.Record(ctx, 1)

	rm := &metricdata.ResourceMetrics{}
	if err := reader.Collect(ctx, rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			if s, ok := mt.Data.(metricdata.Sum[int64]); ok {
				slices.SortFunc(s.DataPoints, func(a, b metricdata.DataPoint[int64]) int {
					return strings.Compare(a.Attributes.Encoded(attribute.DefaultEncoder()), b.Attributes.Encoded(attribute.DefaultEncoder()))
				})
			}
		}
	}
	return rm
}

func findMetric(t *testing.T, rm *metricdata.ResourceMetrics, name string) metricdata.Aggregation {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m.Data
			}
		}
	}
	t.Fatalf("metric %q not collected", name)
	return nil
}

func numberPoint[N int64 | float64](p metricdata.DataPoint[N], v *metricspb.NumberDataPoint) *metricspb.NumberDataPoint {
	v.StartTimeUnixNano = nanos(p.StartTime)
	v.TimeUnixNano = nanos(p.Time)
	return v
}

func TestAppendMetricsDataSDK(t *testing.T) {
	rm := collectSDK(t)
	got := AppendMetricsData(nil, waymarkResource(), rm)

	ms := findMetric(t, rm, "waymark.milestones").(metricdata.Sum[int64]).DataPoints
	fc := findMetric(t, rm, "f.counter").(metricdata.Sum[float64]).DataPoints
	ud := findMetric(t, rm, "updown").(metricdata.Sum[int64]).DataPoints
	up := findMetric(t, rm, "waymark.session.uptime").(metricdata.Gauge[float64]).DataPoints
	ig := findMetric(t, rm, "igauge").(metricdata.Gauge[int64]).DataPoints
	ih := findMetric(t, rm, "ihist").(metricdata.Histogram[int64]).DataPoints
	fh := findMetric(t, rm, "fhist").(metricdata.Histogram[float64]).DataPoints
	asInt := func(v int64) *metricspb.NumberDataPoint {
		return &metricspb.NumberDataPoint{Value: &metricspb.NumberDataPoint_AsInt{AsInt: v}}
	}
	asDouble := func(v float64) *metricspb.NumberDataPoint {
		return &metricspb.NumberDataPoint{Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: v}}
	}
	f := func(v float64) *float64 { return &v }

	milestone0 := numberPoint(ms[0], asInt(2))
	milestone0.Attributes = []*commonpb.KeyValue{pbKV("milestone.name", pbStr("first_deploy"))}
	milestone1 := numberPoint(ms[1], asInt(1))
	milestone1.Attributes = []*commonpb.KeyValue{pbKV("milestone.name", pbStr("first_run"))}
	igPoint := numberPoint(ig[0], asInt(-9))
	igPoint.Attributes = []*commonpb.KeyValue{pbKV("b", pbBool(true)), pbKV("n", pbInt(3))}

	want := &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: wantWaymarkResource(),
		ScopeMetrics: []*metricspb.ScopeMetrics{{
			Scope: &commonpb.InstrumentationScope{Name: "github.com/waymarkhq/waymark/exporter", Version: "0.1.0"},
			Metrics: []*metricspb.Metric{
				{
					Name: "waymark.milestones", Description: "Milestones first reached on an install.", Unit: "{milestone}",
					Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
						AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
						IsMonotonic:            true,
						DataPoints:             []*metricspb.NumberDataPoint{milestone0, milestone1},
					}},
				},
				{
					Name: "f.counter",
					Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
						AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
						IsMonotonic:            true,
						DataPoints:             []*metricspb.NumberDataPoint{numberPoint(fc[0], asDouble(0.5))},
					}},
				},
				{
					Name: "updown",
					Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
						AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
						DataPoints:             []*metricspb.NumberDataPoint{numberPoint(ud[0], asInt(-3))},
					}},
				},
				{
					Name: "waymark.session.uptime", Unit: "s",
					Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{
						DataPoints: []*metricspb.NumberDataPoint{numberPoint(up[0], asDouble(123.5))},
					}},
				},
				{
					Name: "igauge",
					Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{igPoint}}},
				},
				{
					Name: "ihist",
					Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{
						AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
						DataPoints: []*metricspb.HistogramDataPoint{{
							StartTimeUnixNano: nanos(ih[0].StartTime), TimeUnixNano: nanos(ih[0].Time),
							Count: 3, Sum: f(555), Min: f(5), Max: f(500),
							ExplicitBounds: []float64{0, 10, 100}, BucketCounts: []uint64{0, 1, 1, 1},
						}},
					}},
				},
				{
					Name: "fhist",
					Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{
						AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
						DataPoints: []*metricspb.HistogramDataPoint{{
							StartTimeUnixNano: nanos(fh[0].StartTime), TimeUnixNano: nanos(fh[0].Time),
							Count: 2, Sum: f(1.5), Min: f(-1), Max: f(2.5),
							ExplicitBounds: []float64{1.5}, BucketCounts: []uint64{1, 1},
						}},
					}},
				},
				// "expo" (an exponential histogram) is skipped.
			},
		}},
	}}}
	checkEncoding(t, got, &colmetricspb.ExportMetricsServiceRequest{}, want)
	checkEncoding(t, got, &metricspb.MetricsData{}, &metricspb.MetricsData{ResourceMetrics: want.ResourceMetrics})
}

// handBuiltMetrics covers what the SDK rarely produces: zero and special
// values, unset times, undefined temporality, histograms without extrema,
// and aggregations that must be skipped.
func handBuiltMetrics() *metricdata.ResourceMetrics {
	t0 := testTime
	t1 := t0.Add(10 * time.Second)
	set := attribute.NewSet(attribute.String("k", "v"), attribute.Int64Slice("is", []int64{-1}))
	longDesc := strings.Repeat("d", 300)
	return &metricdata.ResourceMetrics{
		// Ignored: the SDK merges OTEL_RESOURCE_ATTRIBUTES into this.
		Resource: resource.NewSchemaless(attribute.String("leak.canary", "must-not-appear")),
		ScopeMetrics: []metricdata.ScopeMetrics{
			{Scope: instrumentation.Scope{Name: "only-skipped"}, Metrics: []metricdata.Metrics{
				{Name: "summary", Data: metricdata.Summary{DataPoints: []metricdata.SummaryDataPoint{{Count: 1, Sum: 2}}}},
				{Name: "exp", Data: metricdata.ExponentialHistogram[float64]{DataPoints: []metricdata.ExponentialHistogramDataPoint[float64]{{Count: 1}}}},
			}},
			{
				Scope: instrumentation.Scope{
					Name: "s", Version: "1", SchemaURL: "https://opentelemetry.io/schemas/1.37.0",
					Attributes: attribute.NewSet(attribute.Bool("scope.attr", true)),
				},
				Metrics: []metricdata.Metrics{
					{Name: "sum.f", Description: longDesc, Unit: "s", Data: metricdata.Sum[float64]{
						Temporality: metricdata.CumulativeTemporality,
						DataPoints: []metricdata.DataPoint[float64]{
							{Attributes: set, StartTime: t0, Time: t1, Value: math.NaN()},
							{Value: math.Inf(-1)},
							{Value: 0},
						},
					}},
					{Name: "nil data"},
					{Name: "gauge.i", Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{
						{Value: 0}, {Time: t1, Value: math.MinInt64},
					}}},
					{Name: "hist.empty", Data: metricdata.Histogram[float64]{
						Temporality: metricdata.DeltaTemporality,
						DataPoints:  []metricdata.HistogramDataPoint[float64]{{BucketCounts: []uint64{0}}},
					}},
					{Name: "exp2", Data: metricdata.ExponentialHistogram[int64]{}},
					{Name: "sum.undefined", Data: metricdata.Sum[int64]{DataPoints: []metricdata.DataPoint[int64]{{Value: 1}}}},
					{Name: "hist.i", Data: metricdata.Histogram[int64]{
						Temporality: metricdata.CumulativeTemporality,
						DataPoints: []metricdata.HistogramDataPoint[int64]{{
							Attributes: set, StartTime: t0, Time: t1,
							Count: 3, Bounds: []float64{1, 2}, BucketCounts: []uint64{1, 1, 1},
							Min: metricdata.NewExtrema[int64](-4), Max: metricdata.NewExtrema[int64](9), Sum: 7,
						}},
					}},
					{Name: "gauge.empty", Data: metricdata.Gauge[float64]{}},
				},
			},
			{Scope: instrumentation.Scope{Name: "no metrics"}},
		},
	}
}

func wantHandBuiltMetrics() *metricspb.ResourceMetrics {
	t0, t1 := nanos(testTime), nanos(testTime.Add(10*time.Second))
	attrs := []*commonpb.KeyValue{pbKV("is", pbArray(pbInt(-1))), pbKV("k", pbStr("v"))}
	f := func(v float64) *float64 { return &v }
	dbl := func(v float64) *metricspb.NumberDataPoint_AsDouble {
		return &metricspb.NumberDataPoint_AsDouble{AsDouble: v}
	}
	i64 := func(v int64) *metricspb.NumberDataPoint_AsInt { return &metricspb.NumberDataPoint_AsInt{AsInt: v} }
	return &metricspb.ResourceMetrics{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{pbKV("service.name", pbStr("acme"))}},
		ScopeMetrics: []*metricspb.ScopeMetrics{{
			Scope: &commonpb.InstrumentationScope{
				Name: "s", Version: "1",
				Attributes: []*commonpb.KeyValue{pbKV("scope.attr", pbBool(true))},
			},
			SchemaUrl: "https://opentelemetry.io/schemas/1.37.0",
			Metrics: []*metricspb.Metric{
				{Name: "sum.f", Description: strings.Repeat("d", 300), Unit: "s", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
					AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE,
					DataPoints: []*metricspb.NumberDataPoint{
						{Attributes: attrs, StartTimeUnixNano: t0, TimeUnixNano: t1, Value: dbl(math.NaN())},
						{Value: dbl(math.Inf(-1))},
						{Value: dbl(0)},
					},
				}}},
				{Name: "gauge.i", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{
					{Value: i64(0)}, {TimeUnixNano: t1, Value: i64(math.MinInt64)},
				}}}},
				{Name: "hist.empty", Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{
					AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
					DataPoints:             []*metricspb.HistogramDataPoint{{Sum: f(0), BucketCounts: []uint64{0}}},
				}}},
				{Name: "sum.undefined", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
					DataPoints: []*metricspb.NumberDataPoint{{Value: i64(1)}},
				}}},
				{Name: "hist.i", Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{
					AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE,
					DataPoints: []*metricspb.HistogramDataPoint{{
						Attributes: attrs, StartTimeUnixNano: t0, TimeUnixNano: t1,
						Count: 3, Sum: f(7), Min: f(-4), Max: f(9),
						ExplicitBounds: []float64{1, 2}, BucketCounts: []uint64{1, 1, 1},
					}},
				}}},
				{Name: "gauge.empty", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{}}},
			},
		}},
	}
}

func TestAppendMetricsDataHandBuilt(t *testing.T) {
	res := []attribute.KeyValue{attribute.String("service.name", "acme")}
	got := AppendMetricsData(nil, res, handBuiltMetrics())
	if strings.Contains(string(got), "must-not-appear") {
		t.Fatalf("rm.Resource leaked into the encoding")
	}
	want := &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{wantHandBuiltMetrics()}}
	checkEncoding(t, got, &colmetricspb.ExportMetricsServiceRequest{}, want)
}

func TestAppendMetricsDataEmpty(t *testing.T) {
	want := &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{Resource: &resourcepb.Resource{}}}}
	checkEncoding(t, AppendMetricsData(nil, nil, nil), &colmetricspb.ExportMetricsServiceRequest{}, want)
	checkEncoding(t, AppendMetricsData(nil, nil, &metricdata.ResourceMetrics{}), &colmetricspb.ExportMetricsServiceRequest{}, want)
}

func TestAppendMetricsDataConcatenates(t *testing.T) {
	res := []attribute.KeyValue{attribute.String("service.name", "acme")}
	buf := AppendMetricsData(nil, res, handBuiltMetrics())
	buf = AppendMetricsData(buf, res, handBuiltMetrics())
	want := &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{wantHandBuiltMetrics(), wantHandBuiltMetrics()}}
	checkEncoding(t, buf, &colmetricspb.ExportMetricsServiceRequest{}, want)
}

func TestAppendMetricsDataAllocs(t *testing.T) {
	rm := collectSDK(t)
	res := waymarkResource()
	buf := make([]byte, 0, 8192)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendMetricsData(buf[:0], res, rm)
	})
	if allocs != 0 {
		t.Errorf("AppendMetricsData allocated %v times per run, want 0", allocs)
	}
}

// onlySumsAndGauges copies rm with only its int64 sums and float64 gauges.
func onlySumsAndGauges(rm *metricdata.ResourceMetrics) (*metricdata.ResourceMetrics, int) {
	out := &metricdata.ResourceMetrics{Resource: rm.Resource}
	kept := 0
	for _, sm := range rm.ScopeMetrics {
		c := metricdata.ScopeMetrics{Scope: sm.Scope}
		for _, m := range sm.Metrics {
			switch m.Data.(type) {
			case metricdata.Sum[int64], metricdata.Gauge[float64]:
				c.Metrics = append(c.Metrics, m)
				kept++
			}
		}
		out.ScopeMetrics = append(out.ScopeMetrics, c)
	}
	return out, kept
}

func TestAppendSumsAndGaugesEncodesThemAsAppendMetricsDataAndSkipsTheRest(t *testing.T) {
	res := waymarkResource()
	for name, rm := range map[string]*metricdata.ResourceMetrics{"sdk": collectSDK(t), "hand-built": handBuiltMetrics()} {
		only, kept := onlySumsAndGauges(rm)
		if kept < 2 || kept == countMetrics(rm) {
			t.Fatalf("%s: %d of %d metrics are int64 sums or float64 gauges; the test needs both kinds and others", name, kept, countMetrics(rm))
		}
		got := AppendSumsAndGauges([]byte("x"), res, rm)
		want := AppendMetricsData([]byte("x"), res, only)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: AppendSumsAndGauges differs from AppendMetricsData of the sums and gauges alone", name)
		}
	}
}

func countMetrics(rm *metricdata.ResourceMetrics) int {
	n := 0
	for _, sm := range rm.ScopeMetrics {
		n += len(sm.Metrics)
	}
	return n
}

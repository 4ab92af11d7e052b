package otlpwire

import (
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Field numbers from opentelemetry/proto/metrics/v1/metrics.proto.
const (
	metricsDataResourceMetrics = 1

	resourceMetricsResource     = 1
	resourceMetricsScopeMetrics = 2

	scopeMetricsScope     = 1
	scopeMetricsMetrics   = 2
	scopeMetricsSchemaURL = 3

	metricName        = 1
	metricDescription = 2
	metricUnit        = 3
	metricGauge       = 5
	metricSum         = 7
	metricHistogram   = 9

	gaugeDataPoints = 1

	sumDataPoints  = 1
	sumTemporality = 2
	sumIsMonotonic = 3

	histogramDataPoints  = 1
	histogramTemporality = 2

	numberPointStartTime  = 2
	numberPointTime       = 3
	numberPointAsDouble   = 4
	numberPointAsInt      = 6
	numberPointAttributes = 7

	histogramPointStartTime      = 2
	histogramPointTime           = 3
	histogramPointCount          = 4
	histogramPointSum            = 5
	histogramPointBucketCounts   = 6
	histogramPointExplicitBounds = 7
	histogramPointAttributes     = 9
	histogramPointMin            = 11
	histogramPointMax            = 12
)

// OTLP's AggregationTemporality values.
const (
	temporalityDelta      = 1
	temporalityCumulative = 2
)

// AppendMetricsData appends to dst one encoded MetricsData message, which is
// wire-identical to an ExportMetricsServiceRequest, and returns the extended
// slice. The message holds one ResourceMetrics whose resource has exactly the
// attributes res, in that order; rm.Resource is ignored, because the SDK may
// have merged OTEL_RESOURCE_ATTRIBUTES into it. Every ScopeMetrics of rm
// follows with its metrics.
//
// Sums, gauges and explicit-bucket histograms of int64 and float64 are
// encoded with their data points' attributes, start times, times and values,
// and for histograms count, sum, bucket counts, bounds and min and max when
// defined. Exemplars are not encoded. Metrics of any other aggregation
// (exponential histograms, summaries) are skipped, as is a ScopeMetrics left
// with no metric.
func AppendMetricsData(dst []byte, res []attribute.KeyValue, rm *metricdata.ResourceMetrics) []byte {
	return appendMetricsData(dst, res, rm, appendMetric)
}

// AppendSumsAndGauges is AppendMetricsData for the two aggregations Waymark
// records, int64 sums and float64 gauges: the same bytes for those, and
// every other metric is skipped. Its callers link only those two encoders
// (a program that calls AppendMetricsData links the encoders of all six
// aggregations, about 25 KB of a stripped binary).
func AppendSumsAndGauges(dst []byte, res []attribute.KeyValue, rm *metricdata.ResourceMetrics) []byte {
	return appendMetricsData(dst, res, rm, appendSumOrGauge)
}

// metricEncoder appends one Metric message and reports true, or appends
// nothing and reports false.
type metricEncoder func(b []byte, num int, m *metricdata.Metrics) ([]byte, bool)

func appendMetricsData(dst []byte, res []attribute.KeyValue, rm *metricdata.ResourceMetrics, enc metricEncoder) []byte {
	dst, rmStart := openField(dst, metricsDataResourceMetrics)
	dst = appendResource(dst, resourceMetricsResource, res)
	if rm != nil {
		for i := range rm.ScopeMetrics {
			dst = appendScopeMetrics(dst, resourceMetricsScopeMetrics, &rm.ScopeMetrics[i], enc)
		}
	}
	return closeField(dst, rmStart)
}

// appendSumOrGauge is appendMetric for int64 sums and float64 gauges only.
func appendSumOrGauge(b []byte, num int, m *metricdata.Metrics) ([]byte, bool) {
	switch m.Data.(type) {
	case metricdata.Sum[int64], metricdata.Gauge[float64]:
	default:
		return b, false
	}
	b, start := openField(b, num)
	b = appendStringField(b, metricName, m.Name)
	b = appendStringField(b, metricDescription, m.Description)
	b = appendStringField(b, metricUnit, m.Unit)
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		b = appendSum(b, d, true)
	case metricdata.Gauge[float64]:
		b = appendGauge(b, d, false)
	}
	return closeField(b, start), true
}

func appendScopeMetrics(b []byte, num int, sm *metricdata.ScopeMetrics, enc metricEncoder) []byte {
	mark := len(b)
	b, start := openField(b, num)
	b = appendScope(b, scopeMetricsScope, &sm.Scope)
	n := 0
	for i := range sm.Metrics {
		var ok bool
		if b, ok = enc(b, scopeMetricsMetrics, &sm.Metrics[i]); ok {
			n++
		}
	}
	if n == 0 {
		return b[:mark]
	}
	b = appendStringField(b, scopeMetricsSchemaURL, sm.Scope.SchemaURL)
	return closeField(b, start)
}

// appendMetric appends m as a Metric message and reports true, or appends
// nothing and reports false when m's aggregation is not one this package
// encodes.
func appendMetric(b []byte, num int, m *metricdata.Metrics) ([]byte, bool) {
	switch m.Data.(type) {
	case metricdata.Sum[int64], metricdata.Sum[float64],
		metricdata.Gauge[int64], metricdata.Gauge[float64],
		metricdata.Histogram[int64], metricdata.Histogram[float64]:
	default:
		return b, false
	}
	b, start := openField(b, num)
	b = appendStringField(b, metricName, m.Name)
	b = appendStringField(b, metricDescription, m.Description)
	b = appendStringField(b, metricUnit, m.Unit)
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		b = appendSum(b, d, true)
	case metricdata.Sum[float64]:
		b = appendSum(b, d, false)
	case metricdata.Gauge[int64]:
		b = appendGauge(b, d, true)
	case metricdata.Gauge[float64]:
		b = appendGauge(b, d, false)
	case metricdata.Histogram[int64]:
		b = appendHistogram(b, d)
	case metricdata.Histogram[float64]:
		b = appendHistogram(b, d)
	}
	return closeField(b, start), true
}

func temporality(t metricdata.Temporality) uint64 {
	switch t {
	case metricdata.DeltaTemporality:
		return temporalityDelta
	case metricdata.CumulativeTemporality:
		return temporalityCumulative
	}
	return 0 // AGGREGATION_TEMPORALITY_UNSPECIFIED
}

// appendSum appends a Sum message; isInt tells whether N is int64, so values
// are written as as_int rather than as_double.
func appendSum[N int64 | float64](b []byte, s metricdata.Sum[N], isInt bool) []byte {
	b, start := openField(b, metricSum)
	for i := range s.DataPoints {
		b = appendNumberPoint(b, sumDataPoints, &s.DataPoints[i], isInt)
	}
	b = appendVarintField(b, sumTemporality, temporality(s.Temporality))
	if s.IsMonotonic {
		b = appendVarintField(b, sumIsMonotonic, 1)
	}
	return closeField(b, start)
}

func appendGauge[N int64 | float64](b []byte, g metricdata.Gauge[N], isInt bool) []byte {
	b, start := openField(b, metricGauge)
	for i := range g.DataPoints {
		b = appendNumberPoint(b, gaugeDataPoints, &g.DataPoints[i], isInt)
	}
	return closeField(b, start)
}

func appendNumberPoint[N int64 | float64](b []byte, num int, p *metricdata.DataPoint[N], isInt bool) []byte {
	b, start := openField(b, num)
	b = appendFixed64Field(b, numberPointStartTime, unixNano(p.StartTime))
	b = appendFixed64Field(b, numberPointTime, unixNano(p.Time))
	b = appendAttributeSet(b, numberPointAttributes, &p.Attributes)
	// The value is a oneof member, so it is written even when zero, and
	// after the other fields: google.golang.org/protobuf writes real oneofs
	// last, and matching it keeps the output byte-identical to its encoding
	// (which the tests check). Decoders accept fields in any order.
	if isInt {
		b = appendFixed64(appendTag(b, numberPointAsInt, wireFixed64), uint64(int64(p.Value)))
	} else {
		b = appendFixed64(appendTag(b, numberPointAsDouble, wireFixed64), math.Float64bits(float64(p.Value)))
	}
	return closeField(b, start)
}

func appendHistogram[N int64 | float64](b []byte, h metricdata.Histogram[N]) []byte {
	b, start := openField(b, metricHistogram)
	for i := range h.DataPoints {
		b = appendHistogramPoint(b, histogramDataPoints, &h.DataPoints[i])
	}
	b = appendVarintField(b, histogramTemporality, temporality(h.Temporality))
	return closeField(b, start)
}

func appendHistogramPoint[N int64 | float64](b []byte, num int, p *metricdata.HistogramDataPoint[N]) []byte {
	b, start := openField(b, num)
	b = appendFixed64Field(b, histogramPointStartTime, unixNano(p.StartTime))
	b = appendFixed64Field(b, histogramPointTime, unixNano(p.Time))
	b = appendFixed64Field(b, histogramPointCount, p.Count)
	// sum, min and max are proto3 optional: written whenever known, even 0.
	b = appendFixed64(appendTag(b, histogramPointSum, wireFixed64), math.Float64bits(float64(p.Sum)))
	if len(p.BucketCounts) > 0 {
		b = appendVarint(appendTag(b, histogramPointBucketCounts, wireBytes), uint64(8*len(p.BucketCounts)))
		for _, c := range p.BucketCounts {
			b = appendFixed64(b, c)
		}
	}
	if len(p.Bounds) > 0 {
		b = appendVarint(appendTag(b, histogramPointExplicitBounds, wireBytes), uint64(8*len(p.Bounds)))
		for _, x := range p.Bounds {
			b = appendFixed64(b, math.Float64bits(x))
		}
	}
	b = appendAttributeSet(b, histogramPointAttributes, &p.Attributes)
	if v, ok := p.Min.Value(); ok {
		b = appendFixed64(appendTag(b, histogramPointMin, wireFixed64), math.Float64bits(float64(v)))
	}
	if v, ok := p.Max.Value(); ok {
		b = appendFixed64(appendTag(b, histogramPointMax, wireFixed64), math.Float64bits(float64(v)))
	}
	return closeField(b, start)
}

package export

import (
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/waymarkhq/waymark/internal/schema"
)

// deltaMetrics keeps Waymark's metrics between collections: the
// waymark.milestones and waymark.heartbeats counters (delta temporality, so
// short-lived processes never need a delta-to-cumulative step downstream) and
// the waymark.session.uptime gauge.
type deltaMetrics struct {
	mu         sync.Mutex
	start      time.Time // start of the current delta window
	milestones map[string]int64
	heartbeats int64
	uptime     float64
	uptimeAt   time.Time
}

func (d *deltaMetrics) addMilestone(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.milestones == nil {
		d.milestones = make(map[string]int64)
	}
	d.milestones[name]++
}

func (d *deltaMetrics) addHeartbeat(uptime time.Duration, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.heartbeats++
	d.uptime, d.uptimeAt = uptime.Seconds(), now
}

// collect returns the window's metrics and starts a new window, or nil when
// nothing was measured since the last collection.
func (d *deltaMetrics) collect(version string, now time.Time) *metricdata.ResourceMetrics {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ms []metricdata.Metrics
	if len(d.milestones) > 0 {
		names := make([]string, 0, len(d.milestones))
		for n := range d.milestones {
			names = append(names, n)
		}
		sort.Strings(names)
		pts := make([]metricdata.DataPoint[int64], 0, len(names))
		for _, n := range names {
			pts = append(pts, metricdata.DataPoint[int64]{
				Attributes: attribute.NewSet(attribute.String(schema.AttrMilestoneName, n)),
				StartTime:  d.start, Time: now, Value: d.milestones[n],
			})
		}
		ms = append(ms, metricdata.Metrics{
			Name: schema.MetricMilestones, Description: "Milestones first reached on an installation.", Unit: "{milestone}",
			Data: metricdata.Sum[int64]{DataPoints: pts, Temporality: metricdata.DeltaTemporality, IsMonotonic: true},
		})
	}
	if d.heartbeats > 0 {
		ms = append(ms, metricdata.Metrics{
			Name: schema.MetricHeartbeats, Description: "Server heartbeats.", Unit: "{heartbeat}",
			Data: metricdata.Sum[int64]{
				DataPoints:  []metricdata.DataPoint[int64]{{StartTime: d.start, Time: now, Value: d.heartbeats}},
				Temporality: metricdata.DeltaTemporality, IsMonotonic: true,
			},
		})
	}
	if !d.uptimeAt.IsZero() {
		ms = append(ms, metricdata.Metrics{
			Name: schema.MetricSessionUptime, Description: "Seconds since the server process started.", Unit: "s",
			Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{Time: d.uptimeAt, Value: d.uptime}}},
		})
	}
	d.milestones, d.heartbeats, d.uptimeAt, d.start = nil, 0, time.Time{}, now
	if len(ms) == 0 {
		return nil
	}
	return &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{
		Scope:   instrumentation.Scope{Name: ScopeName, Version: version},
		Metrics: ms,
	}}}
}

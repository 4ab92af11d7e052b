package report

import (
	"time"
)

// Source computes the aggregates a report is made of. The files the collector wrote are one
// source (Files); a backend that can count (VictoriaLogs, with LogsQL) can be another. Every
// source follows the definitions of Query's windows, so that the same data gives the same
// report whatever holds it.
type Source interface {
	// Aggregate returns, for each product (service.name) that q selects, its aggregates.
	Aggregate(q Query) (map[string]*Aggregates, error)
}

// Query says what a report covers.
type Query struct {
	// Now ends every window; events after it are ignored.
	Now time.Time
	// RangeDays is the length of the report's range in days (7, 30, 90 or 365).
	RangeDays int
	// Product, if set, selects one service.name; otherwise every product found is reported.
	Product string
	// Funnel, if set, lists the funnel's milestones in order; otherwise the milestones reached
	// by installs first seen in the range, by installs, most first (ties by name).
	Funnel []string
}

// FirstSeenLookback is how far before the previous period a source looks for an install's
// earlier events: an install is "new" on the day of its first event in the Windows' History,
// so one that was silent for longer than this before coming back counts as new again. Files
// rotated before History began are not read at all.
const FirstSeenLookback = 90 * 24 * time.Hour

// Windows are the instants that bound a report, all UTC.
type Windows struct {
	Now time.Time
	// Days are the range's UTC calendar days, oldest first: the last is the day of the
	// instant just before Now (so a Now at midnight ends the range with the full day before).
	Days []time.Time
	// RangeStart is the first day's start; PrevStart the previous period's (as long as the
	// range, just before it).
	RangeStart, PrevStart time.Time
	// History is where first-seen dates start: PrevStart minus FirstSeenLookback.
	History time.Time
	// Month and Day start the rolling windows of installs_30d and installs_1d: (Now-30d, Now].
	Month, Day time.Time
	// Live is the oldest heartbeat that can keep a session live: Now minus twice the
	// maximum interval.
	Live time.Time
}

// Windows computes the query's windows.
func (q Query) Windows() Windows {
	now := q.Now.UTC()
	n := q.RangeDays
	if n < 1 {
		n = 30
	}
	last := now.Add(-time.Nanosecond).Truncate(24 * time.Hour)
	w := Windows{Now: now}
	for i := n - 1; i >= 0; i-- {
		w.Days = append(w.Days, last.AddDate(0, 0, -i))
	}
	w.RangeStart = w.Days[0]
	w.PrevStart = w.RangeStart.AddDate(0, 0, -n)
	w.History = w.PrevStart.Add(-FirstSeenLookback)
	w.Month = now.Add(-30 * 24 * time.Hour)
	w.Day = now.Add(-24 * time.Hour)
	w.Live = now.Add(-2 * MaxHeartbeatInterval)
	return w
}

// Oldest is the oldest instant any output needs.
func (w Windows) Oldest() time.Time {
	o := w.History
	for _, t := range []time.Time{w.Month, w.Live} {
		if t.Before(o) {
			o = t
		}
	}
	return o
}

// Aggregates are a product's numbers as a source computes them, before the report turns them
// into shares, changes and suppressed groups. Counts are distinct installs unless said
// otherwise.
type Aggregates struct {
	// Installs30d and Installs1d: installs with an event in (Now-30d, Now] and (Now-1d, Now].
	Installs30d, Installs1d int
	// Versions, OS, Arch, Platforms ("os/arch") and Runtimes: installs in (Now-30d, Now] by the
	// value their latest event there carried.
	Versions, OS, Arch, Platforms, Runtimes map[string]int
	// ServersLive: sessions whose last heartbeat by Now is at most twice its interval old
	// (interval capped at MaxHeartbeatInterval, DefaultHeartbeat if absent).
	ServersLive int
	// Servers: the live sessions by the version of their last heartbeat, with the median
	// (element ⌊n/2⌋ of the sorted values) of the uptime that heartbeat reported.
	Servers []ServerAgg
	// Active, ActivePrev: installs with an event in the range, and in the previous period.
	// New, NewPrev: installs first seen in the range, and in the previous period.
	Active, ActivePrev, New, NewPrev int
	// Daily: per day of the range, installs active that day and first seen that day, and the
	// active ones by the version of their latest event that day.
	Daily []DayAgg
	// Retention: per cohort week (Monday 00:00 UTC) starting in the range, installs first seen
	// that week and, for the weeks 1…8 after it that have ended by Now, how many of them had an
	// event in that week (-1 for a week not over yet).
	Retention []CohortAgg
	// Funnel: per step, installs first seen in the range that reached every step up to this
	// one, each no earlier than the one before; Median is the median time from the previous
	// step (element ⌊n/2⌋ of the sorted durations; zero for the first step).
	Funnel []FunnelAgg
	// Errors: error reports in the range grouped by exception type and message.
	Errors []ErrorAgg
	// Agents: installs active in the range with an event of the range made under an AI coding
	// agent, by agent.name.
	Agents map[string]int
	// SampleRate: waymark.sample_rate of the product's latest event; 1 or 0 when that event
	// carried none (every install sends).
	SampleRate float64
}

// DayAgg is one day of the range.
type DayAgg struct {
	Day         time.Time
	Active, New int
	Versions    map[string]int
}

// CohortAgg is one weekly cohort.
type CohortAgg struct {
	Week     time.Time
	Installs int
	Active   [8]int
}

// FunnelAgg is one funnel step.
type FunnelAgg struct {
	Milestone string
	Installs  int
	Median    time.Duration
}

// ErrorAgg is one group of error reports.
type ErrorAgg struct {
	Type, Message     string
	Reports, Installs int
	// Versions: installs affected, by the version they reported from.
	Versions map[string]int
}

// ServerAgg is the live sessions of one version.
type ServerAgg struct {
	Version      string
	Live         int
	MedianUptime time.Duration
}

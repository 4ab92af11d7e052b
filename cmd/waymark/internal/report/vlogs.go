package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/collector-config/logsql"
	"github.com/waymarkhq/waymark/internal/schema"
)

// VictoriaLogs is the Source over a VictoriaLogs that collector-config/victorialogs.yaml feeds
// (a single node, or the select front of a cluster). It computes every aggregate with LogsQL
// `stats` queries over /select/logsql/query and pulls no event: each query returns rows per
// product and per group (day, version, platform, cohort week, error group, milestone), so what
// comes back grows with the number of groups, never with events or installs. Where a definition
// needs facts per install (first seen, the funnel's order, retention cohorts, the latest version
// of the day), the query groups by install inside VictoriaLogs first and then counts those
// groups; only the counts come back. Every count is of distinct installs, sessions or event ids,
// so an event stored twice (a client's retry after a lost answer) counts once.
//
// The queries are shaped so that VictoriaLogs scans little: one pass over the whole history,
// grouped by install, answers the products, active installs, installs of the last day, new
// installs, the retention cohorts and the milestones reached; the others read a month or less,
// or only the records of one event name. They run concurrently (at most maxConcurrentQueries at
// a time).
//
// Its windows are Query's, to the nanosecond: each query filters on absolute instants
// (`_time:[from, to)`, RFC 3339 with nanoseconds), never on `_time:30d`, and an event at Now
// itself counts in the range's last day, as in Files. The results equal those of Files on the
// same events, with these limits, all documented on the queries below:
//
//   - The funnel's order compares two milestones' times as float64 nanoseconds (LogsQL's math),
//     and its medians are float64 differences of those: two milestones less than 256 ns apart
//     may compare as equal, and a median may differ from Files' by that much (nothing once
//     rounded to seconds, except at a half second).
//   - Medians (funnel gaps, server uptimes) are VictoriaLogs' quantile(0.5): exactly element
//     ⌊n/2⌋ of the sorted values while a group holds at most 10 000 values per CPU core of each
//     storage node; above that, the same element of a random sample of 10 000 values per core
//     (measured 0.1 % off for 37 907 values on 2 cores), which may change from run to run.
//   - An install, session, event or error group is told apart by its text as stored; the
//     collector's schema (ingest.yaml) admits lower-case UUIDs only, so this equals Files'
//     parsed UUIDs for anything the collector stored.
//   - An error group's reports are the sum, over its installs, of each install's distinct
//     event ids: the group's distinct event ids as long as no event id is stored under two
//     installs, which an SDK never sends.
type VictoriaLogs struct {
	// URL is VictoriaLogs' base URL, e.g. http://127.0.0.1:9428.
	URL string
	// Client, if set, sends the queries; nil means a client with a 10-minute timeout.
	Client *http.Client
	// Stats, if set, is filled with what the queries cost.
	Stats *QueryStats
}

// QueryStats says what a VictoriaLogs source asked; it belongs to the source, never to the
// report.
type QueryStats struct {
	// Queries run, rows they returned, and the time spent waiting for them (summed over
	// queries that ran at the same time).
	Queries, Rows int
	Took          time.Duration
}

// maxConcurrentQueries bounds the queries in flight at once. VictoriaLogs already spreads each
// query over its cores; a second one in flight overlaps one query's merging and transfer with
// another's scan, while more only multiply the per-install groups held at once (measured on
// 2 cores with 60 000 installs: four in flight made the report slower than one at a time).
const maxConcurrentQueries = 2

// eventFilter selects Waymark's events: the file report reads no other.
var eventFilter = `event_name:in(` + strconv.Quote(schema.EventMilestone) + `, ` + strconv.Quote(schema.EventUsage) + `, ` +
	strconv.Quote(schema.EventHeartbeat) + `, ` + strconv.Quote(schema.EventErrorReport) + `)`

// Aggregate implements Source.
func (v VictoriaLogs) Aggregate(q Query) (map[string]*Aggregates, error) {
	c := v.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Minute}
	}
	st := v.Stats
	if st == nil {
		st = &QueryStats{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &vlRun{ctx: ctx, c: c, url: v.URL, st: st, q: q, w: q.Windows(), aggs: map[string]*Aggregates{},
		slots: make(chan struct{}, maxConcurrentQueries)}
	r.base = eventFilter + " " + notErased
	if q.Product != "" {
		r.base += " service.name:=" + strconv.Quote(q.Product)
	}
	steps := []func() error{r.installs, r.latest30, r.daily, r.servers, r.errors, r.perRun}
	if len(q.Funnel) > 0 {
		steps = append(steps, func() error { return r.funnelOf("", q.Funnel) })
	}
	err := r.parallel(steps...)
	if err != nil {
		return nil, err
	}
	for _, g := range r.aggs {
		sortServers(g.Servers)
		sortErrors(g.Errors)
	}
	return r.aggs, nil
}

type vlRun struct {
	ctx   context.Context
	c     *http.Client
	url   string
	q     Query
	w     Windows
	base  string
	slots chan struct{} // one per query in flight

	mu   sync.Mutex // guards st and aggs
	st   *QueryStats
	aggs map[string]*Aggregates
}

// parallel runs the steps concurrently and returns the first error.
func (r *vlRun) parallel(steps ...func() error) error {
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, step := range steps {
		wg.Go(func() { errs[i] = step() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// run evaluates one query and returns its rows.
func (r *vlRun) run(query string) ([]logsql.Row, error) {
	select {
	case r.slots <- struct{}{}:
	case <-r.ctx.Done():
		return nil, r.ctx.Err()
	}
	start := time.Now()
	rows, err := logsql.Run(r.ctx, r.c, r.url, query, r.w.Now)
	took := time.Since(start)
	<-r.slots
	r.mu.Lock()
	r.st.Took += took
	r.st.Queries++
	r.st.Rows += len(rows)
	r.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("victorialogs %s: %w", r.url, err)
	}
	return rows, nil
}

// each runs query and calls fn with every result row of a product the report covers and that
// product's aggregates, one row at a time.
func (r *vlRun) each(query string, fn func(row logsql.Row, g *Aggregates) error) error {
	rows, err := r.run(query)
	if err != nil {
		return err
	}
	return r.apply(rows, fn)
}

// apply calls fn as each does, for rows already fetched.
func (r *vlRun) apply(rows []logsql.Row, fn func(row logsql.Row, g *Aggregates) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, row := range rows {
		if g := r.product(row); g != nil {
			if err := fn(row, g); err != nil {
				return err
			}
		}
	}
	return nil
}

// product returns the aggregates of the row's product, or nil for a row without one (the
// collector stores none such; Files would leave the record out). r.mu is held.
func (r *vlRun) product(row logsql.Row) *Aggregates {
	name := row["service.name"]
	if name == "" || (r.q.Product != "" && name != r.q.Product) {
		return nil
	}
	g := r.aggs[name]
	if g == nil {
		g, _ = newAggregates(r.w)
		g.Funnel = emptyFunnel(r.q.Funnel)
		r.aggs[name] = g
	}
	return g
}

// ts writes an instant as LogsQL reads it in a _time filter: RFC 3339, UTC, nanoseconds.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// span is the time filter [from, to), or [from, to] when closed.
func span(from, to time.Time, closed bool) string {
	end := ")"
	if closed {
		end = "]"
	}
	return "_time:[" + ts(from) + ", " + ts(to) + end
}

// count reads a count that VictoriaLogs returned.
func count(row logsql.Row, field string) (int, error) {
	n, err := strconv.Atoi(row[field])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("victorialogs: field %s of a result row is %q, not a count", field, row[field])
	}
	return n, nil
}

// counts reads several counts of a row.
func counts(row logsql.Row, fields ...string) ([]int, error) {
	out := make([]int, len(fields))
	for i, f := range fields {
		n, err := count(row, f)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// rowTime reads a time that VictoriaLogs returned (a _time bucket).
func rowTime(row logsql.Row, field string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, row[field])
	if err != nil {
		return t, fmt.Errorf("victorialogs: field %s of a result row is %q, not a time", field, row[field])
	}
	return t.UTC(), nil
}

// milestoneIs selects the milestone records named m.
func milestoneIs(m string) string {
	return "event_name:=" + strconv.Quote(schema.EventMilestone) + " milestone.name:=" + strconv.Quote(m)
}

// installs asks, in one pass over everything since History grouped by install, then by the UTC
// day of the install's first event: the products with any event since History; installs active
// in the range, in the previous period and in (Now-1d, Now]; installs first seen per day of
// the previous period and the range; per cohort week (Monday), the installs first seen that
// week and, for each of the 8 weeks after it that are over by Now, how many of them had an
// event in that week (a week that ends at Now itself, Now a Monday midnight, includes Now, as
// Files' last day does); and, without a declared funnel, how many installs first seen in the
// range reached each milestone, from which each product's funnel steps follow (funnelOf).
// A day lies in one week, so the days' counts add up to the weeks'.
func (r *vlRun) installs() error {
	w := r.w
	declared := len(r.q.Funnel) > 0 // then Aggregate asks the funnel itself
	var names []string
	if !declared {
		// The milestones reached in the range.
		err := r.each(r.base+" "+span(w.RangeStart, w.Now, true)+` event_name:=`+strconv.Quote(schema.EventMilestone)+`
| stats by (service.name, milestone.name) count() as events`, func(row logsql.Row, _ *Aggregates) error {
			if m := row["milestone.name"]; m != "" && !slices.Contains(names, m) {
				names = append(names, m)
			}
			return nil
		})
		if err != nil {
			return err
		}
		sort.Strings(names)
	}

	_, cohorts := newAggregates(w)
	week := func(j int) time.Time { return cohorts[0].AddDate(0, 0, 7*j) }
	maxWeek := 0 // weeks 1…maxWeek after the first cohort are asked
	for i := range cohorts {
		for k := range 8 {
			if j := i + k + 1; !week(j+1).After(w.Now) && j > maxWeek {
				maxWeek = j
			}
		}
	}
	flags := []string{
		"min(_time) as _time",
		"count() if (" + span(w.RangeStart, w.Now, true) + ") as in_range",
		"count() if (" + span(w.PrevStart, w.RangeStart, false) + ") as in_prev",
		"count() if (_time:(" + ts(w.Day) + ", " + ts(w.Now) + "]) as in_day",
	}
	sums := []string{"count() as installs", "count() if (in_range:>0) as active", "count() if (in_prev:>0) as previous", "count() if (in_day:>0) as day"}
	for j := 1; j <= maxWeek; j++ {
		flags = append(flags, fmt.Sprintf("count() if (%s) as w%d", span(week(j), week(j+1), week(j+1).Equal(w.Now)), j))
		sums = append(sums, fmt.Sprintf("count() if (w%d:>0) as a%d", j, j))
	}
	for i, m := range names {
		flags = append(flags, fmt.Sprintf("count() if (%s) as m%d", milestoneIs(m), i))
		sums = append(sums, fmt.Sprintf("count() if (m%d:>0) as r%d", i, i))
	}
	query := r.base + " " + span(w.History, w.Now, true) + `
| stats by (service.name, app.installation.id) ` + strings.Join(flags, ",\n    ") + `
| stats by (service.name, _time:1d) ` + strings.Join(sums, ",\n    ")
	rows, err := r.run(query)
	if err != nil {
		return err
	}
	n := len(w.Days)
	cohortEnd := w.PrevStart
	if len(cohorts) > 0 {
		cohortEnd = week(len(cohorts))
	}
	reached := map[string]map[string]int{}
	err = r.apply(rows, func(row logsql.Row, g *Aggregates) error {
		day, err := rowTime(row, "_time")
		if err != nil {
			return err
		}
		c, err := counts(row, "installs", "active", "previous", "day")
		if err != nil {
			return err
		}
		g.Active += c[1]
		g.ActivePrev += c[2]
		g.Installs1d += c[3]
		if day.Before(w.PrevStart) {
			return nil
		}
		if day.Before(w.RangeStart) {
			g.NewPrev += c[0]
		} else {
			g.New += c[0]
			// A first event at Now itself, when Now is midnight, is in the range's last day.
			g.Daily[min(int(day.Sub(w.RangeStart)/(24*time.Hour)), n-1)].New += c[0]
			p := row["service.name"]
			if reached[p] == nil {
				reached[p] = map[string]int{}
			}
			for i, m := range names {
				k, err := count(row, fmt.Sprintf("r%d", i))
				if err != nil {
					return err
				}
				reached[p][m] += k
			}
		}
		if len(cohorts) == 0 || day.Before(cohorts[0]) || !day.Before(cohortEnd) {
			return nil
		}
		i := int(day.Sub(cohorts[0]) / (7 * 24 * time.Hour))
		ch := &g.Retention[i]
		ch.Installs += c[0]
		for k := range 8 {
			if ch.Active[k] < 0 {
				continue
			}
			a, err := count(row, fmt.Sprintf("a%d", i+k+1))
			if err != nil {
				return err
			}
			ch.Active[k] += a
		}
		return nil
	})
	if err != nil || declared {
		return err
	}
	// Each product's funnel, its steps by installs reaching them.
	var steps []func() error
	for p, by := range reached {
		if s := stepsByReach(by); len(s) > 0 {
			steps = append(steps, func() error { return r.funnelOf(p, s) })
		}
	}
	return r.parallel(steps...)
}

// latest30: installs with an event in (Now-30d, Now], by the version, OS, arch and runtime of
// their latest event there; one row per combination.
func (r *vlRun) latest30() error {
	w := r.w
	return r.each(r.base+` _time:(`+ts(w.Month)+`, `+ts(w.Now)+`]
| stats by (service.name, app.installation.id)
    field_max(_time, service.version) as version, field_max(_time, os.type) as os,
    field_max(_time, host.arch) as arch, field_max(_time, process.runtime.version) as runtime
| stats by (service.name, version, os, arch, runtime) count() as installs`, func(row logsql.Row, g *Aggregates) error {
		n, err := count(row, "installs")
		if err != nil {
			return err
		}
		os, arch := valueOr(row["os"]), valueOr(row["arch"])
		g.Installs30d += n
		g.Versions[valueOr(row["version"])] += n
		g.OS[os] += n
		g.Arch[arch] += n
		g.Platforms[os+"/"+arch] += n
		g.Runtimes[valueOr(row["runtime"])] += n
		return nil
	})
}

// daily: per day of the range, installs active that day by the version of their latest event
// that day (their sum is the day's active installs). The range's last day runs to Now
// inclusive, so it is asked apart from the whole days before it, at the same time.
func (r *vlRun) daily() error {
	w := r.w
	last := w.Days[len(w.Days)-1]
	add := func(day func(logsql.Row) (int, error)) func(logsql.Row, *Aggregates) error {
		return func(row logsql.Row, g *Aggregates) error {
			c, err := count(row, "installs")
			if err != nil {
				return err
			}
			d, err := day(row)
			if err != nil {
				return err
			}
			if d < 0 || d >= len(g.Daily) {
				return fmt.Errorf("victorialogs: a daily row for %s is outside the range", row["_time"])
			}
			g.Daily[d].Active += c
			g.Daily[d].Versions[valueOr(row["version"])] += c
			return nil
		}
	}
	lastDay := func() error {
		return r.each(r.base+" "+span(last, w.Now, true)+`
| stats by (service.name, app.installation.id) field_max(_time, service.version) as version
| stats by (service.name, version) count() as installs`, add(func(logsql.Row) (int, error) { return len(w.Days) - 1, nil }))
	}
	if !last.After(w.RangeStart) {
		return lastDay()
	}
	return r.parallel(lastDay, func() error {
		return r.each(r.base+" "+span(w.RangeStart, last, false)+`
| stats by (service.name, app.installation.id, _time:1d) field_max(_time, service.version) as version
| stats by (service.name, _time, version) count() as installs`, add(func(row logsql.Row) (int, error) {
			t, err := rowTime(row, "_time")
			return int(t.Sub(w.RangeStart) / (24 * time.Hour)), err
		}))
	})
}

// funnelOf asks the ordered funnel with the given steps, for one product or (product "") for
// every product. Per install: its first event since History (kept if in the range) and the
// first time it reached each step; step i counts the installs that reached every step up to i,
// each no earlier than the one before (d_i = t_i - t_(i-1) ≥ 0, in float64 nanoseconds, NaN when
// a step is missing), with the median of d_i among them.
func (r *vlRun) funnelOf(product string, steps []string) error {
	if len(steps) == 0 {
		return nil
	}
	w := r.w
	filter := r.base
	if product != "" {
		filter += " service.name:=" + strconv.Quote(product)
	}
	var firsts, gaps, stats []string
	for i, m := range steps {
		firsts = append(firsts, fmt.Sprintf(`min(_time) if (%s) as t%d`, milestoneIs(m), i))
		if i == 0 {
			stats = append(stats, "count() if (t0:*) as n0")
			continue
		}
		gaps = append(gaps, fmt.Sprintf("t%d - t%d as d%d", i, i-1, i))
		var cond []string
		for j := 1; j <= i; j++ {
			cond = append(cond, fmt.Sprintf("d%d:>=0", j))
		}
		c := strings.Join(cond, " ")
		stats = append(stats, fmt.Sprintf("count() if (%s) as n%d", c, i), fmt.Sprintf("quantile(0.5, d%d) if (%s) as m%d", i, c, i))
	}
	query := filter + " " + span(w.History, w.Now, true) + `
| stats by (service.name, app.installation.id) min(_time) as _time,
    ` + strings.Join(firsts, ",\n    ") + `
| filter ` + span(w.RangeStart, w.Now, true)
	if len(gaps) > 0 {
		query += "\n| math " + strings.Join(gaps, ", ")
	}
	query += "\n| stats by (service.name)\n    " + strings.Join(stats, ",\n    ")
	rows, err := r.run(query)
	if err != nil {
		return err
	}
	r.mu.Lock()
	for name, g := range r.aggs {
		if product == "" || name == product {
			g.Funnel = emptyFunnel(steps)
		}
	}
	r.mu.Unlock()
	return r.apply(rows, func(row logsql.Row, g *Aggregates) error {
		if product != "" && row["service.name"] != product {
			return nil
		}
		if len(g.Funnel) != len(steps) {
			g.Funnel = emptyFunnel(steps)
		}
		for i := range steps {
			if g.Funnel[i].Installs, err = count(row, fmt.Sprintf("n%d", i)); err != nil {
				return err
			}
			if i > 0 && g.Funnel[i].Installs > 0 {
				s := row[fmt.Sprintf("m%d", i)]
				f, err := strconv.ParseFloat(s, 64)
				if err != nil || math.IsNaN(f) || f < 0 || f > math.MaxInt64 {
					return fmt.Errorf("victorialogs: funnel median %q is not a duration in nanoseconds", s)
				}
				g.Funnel[i].Median = time.Duration(f)
			}
		}
		return nil
	})
}

// servers: the sessions whose last heartbeat since Now minus two capped intervals is at most
// twice its interval old, by the version of that heartbeat, with the median of the uptime it
// reported. The interval of a session is that of its latest heartbeat that has one. Liveness
// needs each session's interval: the distinct intervals are asked first, then each becomes an
// exact time filter on the session's last heartbeat (no float arithmetic on times).
func (r *vlRun) servers() error {
	w := r.w
	perSession := r.base + ` event_name:=` + strconv.Quote(schema.EventHeartbeat) + ` ` + span(w.Live, w.Now, true) + `
| stats by (service.name, session.id, app.installation.id) max(_time) as _time,
    field_max(_time, service.version) as version, field_max(_time, session.uptime_s) as uptime,
    field_max(_time, heartbeat.interval_s) if (heartbeat.interval_s:>0) as interval`
	rows, err := r.run(perSession + `
| stats by (interval) count() as sessions`)
	if err != nil {
		return err
	}
	var live []string
	for _, row := range rows {
		s := row["interval"]
		iv := time.Duration(0)
		if f, ok := number([]byte(s)); ok && f > 0 {
			iv = time.Duration(math.Min(f, MaxHeartbeatInterval.Seconds()) * float64(time.Second))
		}
		if iv == 0 {
			iv = DefaultHeartbeat
		}
		live = append(live, fmt.Sprintf("(interval:=%s _time:>=%s)", strconv.Quote(s), ts(w.Now.Add(-2*iv))))
	}
	if len(live) == 0 {
		return nil
	}
	return r.each(perSession+`
| filter `+strings.Join(live, " or ")+`
| stats by (service.name, version) count() as live, quantile(0.5, uptime) as uptime`, func(row logsql.Row, g *Aggregates) error {
		n, err := count(row, "live")
		if err != nil {
			return err
		}
		var up time.Duration
		if f, ok := number([]byte(row["uptime"])); ok && f >= 0 && f < 1e10 {
			up = time.Duration(f) * time.Second
		}
		g.ServersLive += n
		g.Servers = append(g.Servers, ServerAgg{Version: valueOr(row["version"]), Live: n, MedianUptime: up})
		return nil
	})
}

// errors: the error reports of the range by exception type and message: reports (distinct
// event.id), installs, and installs by the version of their latest report of that group, in
// one query: per install and group, its latest version and its distinct reports, then per
// group and version, the installs and the sum of their reports (an event.id belongs to one
// install, so the sums are the group's distinct reports).
func (r *vlRun) errors() error {
	w := r.w
	type key struct{ product, typ, msg string }
	groups := map[key]*ErrorAgg{}
	var order []key
	err := r.each(r.base+` event_name:=`+strconv.Quote(schema.EventErrorReport)+` `+span(w.RangeStart, w.Now, true)+`
| stats by (service.name, exception.type, exception.message, app.installation.id)
    field_max(_time, service.version) as version, count_uniq(event.id) as reports
| stats by (service.name, exception.type, exception.message, version) count() as installs, sum(reports) as reports`,
		func(row logsql.Row, g *Aggregates) error {
			c, err := counts(row, "installs", "reports")
			if err != nil {
				return err
			}
			k := key{row["service.name"], row["exception.type"], row["exception.message"]}
			e := groups[k]
			if e == nil {
				e = &ErrorAgg{Type: k.typ, Message: k.msg, Versions: map[string]int{}}
				groups[k] = e
				order = append(order, k)
			}
			e.Installs += c[0]
			e.Reports += c[1]
			e.Versions[valueOr(row["version"])] += c[0]
			return nil
		})
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range order {
		g := r.aggs[k.product]
		g.Errors = append(g.Errors, *groups[k])
	}
	return nil
}

package report

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/collector-config/logsql"
)

// VictoriaLogs is the Source over a VictoriaLogs that collector-config/victorialogs.yaml feeds
// (a single node, or the select front of a cluster). It computes every aggregate with LogsQL
// `stats` queries over /select/logsql/query and pulls no event: each query returns rows per
// product and per group (day, version, platform, cohort week, error group, milestone), so what
// comes back grows with the number of groups, never with events or installs. Where a definition
// needs facts per install (first seen, the funnel's order, retention cohorts, the latest version
// of the day), the query groups by install inside VictoriaLogs first and then counts those
// groups; only the counts come back.
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
	// Queries run, rows they returned, and the time spent waiting for them.
	Queries, Rows int
	Took          time.Duration
}

// eventFilter selects Waymark's events: the file report reads no other.
const eventFilter = `event_name:in("waymark.milestone", "waymark.usage", "waymark.heartbeat", "waymark.error_report")`

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
	r := &vlRun{ctx: context.Background(), c: c, url: v.URL, st: st, q: q, w: q.Windows(), aggs: map[string]*Aggregates{}}
	r.base = eventFilter + " " + notErased
	if q.Product != "" {
		r.base += " service.name:=" + strconv.Quote(q.Product)
	}
	for _, step := range []func() error{
		r.active, r.latest30, r.installs1d, r.firstSeen, r.daily, r.retention, r.funnel, r.servers, r.errors, r.perRun,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return r.aggs, nil
}

type vlRun struct {
	ctx  context.Context
	c    *http.Client
	url  string
	st   *QueryStats
	q    Query
	w    Windows
	base string
	aggs map[string]*Aggregates
}

// run evaluates one query and returns its rows.
func (r *vlRun) run(query string) ([]logsql.Row, error) {
	start := time.Now()
	rows, err := logsql.Run(r.ctx, r.c, r.url, query, r.w.Now)
	r.st.Took += time.Since(start)
	r.st.Queries++
	r.st.Rows += len(rows)
	if err != nil {
		return nil, fmt.Errorf("victorialogs %s: %w", r.url, err)
	}
	return rows, nil
}

// product returns the aggregates of the row's product, or nil for a row without one (the
// collector stores none such; Files would leave the record out).
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

// rowTime reads a time that VictoriaLogs returned (a _time bucket).
func rowTime(row logsql.Row, field string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, row[field])
	if err != nil {
		return t, fmt.Errorf("victorialogs: field %s of a result row is %q, not a time", field, row[field])
	}
	return t.UTC(), nil
}

// active: the products with any event since History, and their installs active in the range
// and in the previous period.
func (r *vlRun) active() error {
	w := r.w
	rows, err := r.run(r.base + " " + span(w.History, w.Now, true) + `
| stats by (service.name)
    count_uniq(app.installation.id) if (` + span(w.RangeStart, w.Now, true) + `) as active,
    count_uniq(app.installation.id) if (` + span(w.PrevStart, w.RangeStart, false) + `) as previous`)
	if err != nil {
		return err
	}
	for _, row := range rows {
		g := r.product(row)
		if g == nil {
			continue
		}
		if g.Active, err = count(row, "active"); err != nil {
			return err
		}
		if g.ActivePrev, err = count(row, "previous"); err != nil {
			return err
		}
	}
	return nil
}

// latest30: installs with an event in (Now-30d, Now], by the version, OS, arch and runtime of
// their latest event there; one row per combination.
func (r *vlRun) latest30() error {
	w := r.w
	rows, err := r.run(r.base + ` _time:(` + ts(w.Month) + `, ` + ts(w.Now) + `]
| stats by (service.name, app.installation.id)
    field_max(_time, service.version) as version, field_max(_time, os.type) as os,
    field_max(_time, host.arch) as arch, field_max(_time, process.runtime.version) as runtime
| stats by (service.name, version, os, arch, runtime) count() as installs`)
	if err != nil {
		return err
	}
	for _, row := range rows {
		g := r.product(row)
		if g == nil {
			continue
		}
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
	}
	return nil
}

// installs1d: installs with an event in (Now-1d, Now].
func (r *vlRun) installs1d() error {
	w := r.w
	rows, err := r.run(r.base + ` _time:(` + ts(w.Day) + `, ` + ts(w.Now) + `]
| stats by (service.name) count_uniq(app.installation.id) as installs`)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if g := r.product(row); g != nil {
			if g.Installs1d, err = count(row, "installs"); err != nil {
				return err
			}
		}
	}
	return nil
}

// firstSeen: installs by the UTC day of their first event since History, for the days of the
// previous period and the range: new installs per day, in the range and in the previous period.
func (r *vlRun) firstSeen() error {
	w := r.w
	rows, err := r.run(r.base + " " + span(w.History, w.Now, true) + `
| stats by (service.name, app.installation.id) min(_time) as _time
| filter ` + span(w.PrevStart, w.Now, true) + `
| stats by (service.name, _time:1d) count() as installs`)
	if err != nil {
		return err
	}
	n := len(w.Days)
	for _, row := range rows {
		g := r.product(row)
		if g == nil {
			continue
		}
		c, err := count(row, "installs")
		if err != nil {
			return err
		}
		day, err := rowTime(row, "_time")
		if err != nil {
			return err
		}
		if day.Before(w.RangeStart) {
			g.NewPrev += c
			continue
		}
		g.New += c
		// A first event at Now itself, when Now is midnight, is in the range's last day.
		g.Daily[min(int(day.Sub(w.RangeStart)/(24*time.Hour)), n-1)].New += c
	}
	return nil
}

// daily: per day of the range, installs active that day by the version of their latest event
// that day (their sum is the day's active installs). The range's last day runs to Now
// inclusive, so it is asked apart from the whole days before it.
func (r *vlRun) daily() error {
	w := r.w
	last := w.Days[len(w.Days)-1]
	add := func(rows []logsql.Row, day func(logsql.Row) (int, error)) error {
		for _, row := range rows {
			g := r.product(row)
			if g == nil {
				continue
			}
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
		}
		return nil
	}
	if last.After(w.RangeStart) {
		rows, err := r.run(r.base + " " + span(w.RangeStart, last, false) + `
| stats by (service.name, app.installation.id, _time:1d) field_max(_time, service.version) as version
| stats by (service.name, _time, version) count() as installs`)
		if err != nil {
			return err
		}
		err = add(rows, func(row logsql.Row) (int, error) {
			t, err := rowTime(row, "_time")
			return int(t.Sub(w.RangeStart) / (24 * time.Hour)), err
		})
		if err != nil {
			return err
		}
	}
	rows, err := r.run(r.base + " " + span(last, w.Now, true) + `
| stats by (service.name, app.installation.id) field_max(_time, service.version) as version
| stats by (service.name, version) count() as installs`)
	if err != nil {
		return err
	}
	return add(rows, func(logsql.Row) (int, error) { return len(w.Days) - 1, nil })
}

// retention: per cohort week, the installs first seen that week (since History) and, for each
// of the 8 weeks after it that are over by Now, how many of them had an event in that week.
// Each install carries one flag per week over (a count of its events that week); only counts
// per cohort come back. A week that ends at Now itself (Now a Monday midnight) includes Now, as
// Files' last day does.
func (r *vlRun) retention() error {
	w := r.w
	_, cohorts := newAggregates(w)
	if len(cohorts) == 0 {
		return nil
	}
	c0 := cohorts[0]
	week := func(j int) time.Time { return c0.AddDate(0, 0, 7*j) }
	var flags, counts []string
	maxWeek := 0 // weeks 1…maxWeek after c0 are asked
	for i := range cohorts {
		for k := range 8 {
			if j := i + k + 1; !week(j+1).After(w.Now) && j > maxWeek {
				maxWeek = j
			}
		}
	}
	for j := 1; j <= maxWeek; j++ {
		flags = append(flags, fmt.Sprintf("count() if (%s) as w%d", span(week(j), week(j+1), week(j+1).Equal(w.Now)), j))
		counts = append(counts, fmt.Sprintf("count() if (w%d:>0) as a%d", j, j))
	}
	stats1 := "min(_time) as _time"
	if len(flags) > 0 {
		stats1 += ",\n    " + strings.Join(flags, ",\n    ")
	}
	stats2 := "count() as installs"
	if len(counts) > 0 {
		stats2 += ",\n    " + strings.Join(counts, ",\n    ")
	}
	rows, err := r.run(r.base + " " + span(w.History, w.Now, true) + `
| stats by (service.name, app.installation.id) ` + stats1 + `
| filter ` + span(c0, week(len(cohorts)), false) + `
| stats by (service.name, _time:1w offset 3d) ` + stats2) // offset 3d: weeks start on Monday
	if err != nil {
		return err
	}
	for _, row := range rows {
		g := r.product(row)
		if g == nil {
			continue
		}
		t, err := rowTime(row, "_time")
		if err != nil {
			return err
		}
		i := int(t.Sub(c0) / (7 * 24 * time.Hour))
		if i < 0 || i >= len(cohorts) || !cohorts[i].Equal(t) {
			return fmt.Errorf("victorialogs: cohort week %s is not a Monday of the report", row["_time"])
		}
		c := &g.Retention[i]
		if c.Installs, err = count(row, "installs"); err != nil {
			return err
		}
		for k := range 8 {
			if c.Active[k] < 0 {
				continue
			}
			if c.Active[k], err = count(row, fmt.Sprintf("a%d", i+k+1)); err != nil {
				return err
			}
		}
	}
	return nil
}

// funnel: the ordered funnel of installs first seen in the range. Without Query.Funnel, each
// product's steps are its milestones by installs reaching them (asked first), and each
// product's funnel is one query.
func (r *vlRun) funnel() error {
	if len(r.q.Funnel) > 0 {
		return r.funnelOf("", r.q.Funnel)
	}
	w := r.w
	// The milestones reached in the range, then how many installs first seen in the range
	// reached each.
	rows, err := r.run(r.base + " " + span(w.RangeStart, w.Now, true) + ` event_name:="waymark.milestone"
| stats by (milestone.name) count() as events`)
	if err != nil {
		return err
	}
	var names []string
	for _, row := range rows {
		if m := row["milestone.name"]; m != "" {
			names = append(names, m)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	var flags, counts []string
	for i, m := range names {
		flags = append(flags, fmt.Sprintf(`count() if (event_name:="waymark.milestone" milestone.name:=%s) as m%d`, strconv.Quote(m), i))
		counts = append(counts, fmt.Sprintf("count() if (m%d:>0) as r%d", i, i))
	}
	rows, err = r.run(r.base + " " + span(w.History, w.Now, true) + `
| stats by (service.name, app.installation.id) min(_time) as _time,
    ` + strings.Join(flags, ",\n    ") + `
| filter ` + span(w.RangeStart, w.Now, true) + `
| stats by (service.name)
    ` + strings.Join(counts, ",\n    "))
	if err != nil {
		return err
	}
	steps := map[string][]string{}
	for _, row := range rows {
		if r.product(row) == nil {
			continue
		}
		reached := map[string]int{}
		for i, m := range names {
			if reached[m], err = count(row, fmt.Sprintf("r%d", i)); err != nil {
				return err
			}
		}
		steps[row["service.name"]] = stepsByReach(reached)
	}
	products := make([]string, 0, len(steps))
	for p := range steps {
		products = append(products, p)
	}
	sort.Strings(products)
	for _, p := range products {
		if err := r.funnelOf(p, steps[p]); err != nil {
			return err
		}
	}
	return nil
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
		firsts = append(firsts, fmt.Sprintf(`min(_time) if (event_name:="waymark.milestone" milestone.name:=%s) as t%d`, strconv.Quote(m), i))
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
	fill := func(g *Aggregates) {
		g.Funnel = emptyFunnel(steps)
	}
	if product != "" {
		if g := r.aggs[product]; g != nil {
			fill(g)
		}
	} else {
		for _, g := range r.aggs {
			fill(g)
		}
	}
	for _, row := range rows {
		g := r.product(row)
		if g == nil || (product != "" && row["service.name"] != product) {
			continue
		}
		if len(g.Funnel) != len(steps) {
			fill(g)
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
	}
	return nil
}

// servers: the sessions whose last heartbeat since Now minus two capped intervals is at most
// twice its interval old, by the version of that heartbeat, with the median of the uptime it
// reported. The interval of a session is that of its latest heartbeat that has one. Liveness
// needs each session's interval: the distinct intervals are asked first, then each becomes an
// exact time filter on the session's last heartbeat (no float arithmetic on times).
func (r *vlRun) servers() error {
	w := r.w
	perSession := r.base + ` event_name:="waymark.heartbeat" ` + span(w.Live, w.Now, true) + `
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
	rows, err = r.run(perSession + `
| filter ` + strings.Join(live, " or ") + `
| stats by (service.name, version) count() as live, quantile(0.5, uptime) as uptime`)
	if err != nil {
		return err
	}
	for _, row := range rows {
		g := r.product(row)
		if g == nil {
			continue
		}
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
	}
	for _, g := range r.aggs {
		sortServers(g.Servers)
	}
	return nil
}

// errors: the error reports of the range by exception type and message: reports (distinct
// event.id), installs, and installs by the version of their latest report of that group.
func (r *vlRun) errors() error {
	w := r.w
	filter := r.base + ` event_name:="waymark.error_report" ` + span(w.RangeStart, w.Now, true)
	rows, err := r.run(filter + `
| stats by (service.name, exception.type, exception.message)
    count_uniq(event.id) as reports, count_uniq(app.installation.id) as installs`)
	if err != nil {
		return err
	}
	type key struct{ product, typ, msg string }
	groups := map[key]*ErrorAgg{}
	for _, row := range rows {
		if r.product(row) == nil {
			continue
		}
		e := &ErrorAgg{Type: row["exception.type"], Message: row["exception.message"], Versions: map[string]int{}}
		if e.Reports, err = count(row, "reports"); err != nil {
			return err
		}
		if e.Installs, err = count(row, "installs"); err != nil {
			return err
		}
		groups[key{row["service.name"], e.Type, e.Message}] = e
	}
	rows, err = r.run(filter + `
| stats by (service.name, exception.type, exception.message, app.installation.id) field_max(_time, service.version) as version
| stats by (service.name, exception.type, exception.message, version) count() as installs`)
	if err != nil {
		return err
	}
	for _, row := range rows {
		e := groups[key{row["service.name"], row["exception.type"], row["exception.message"]}]
		if e == nil {
			continue
		}
		n, err := count(row, "installs")
		if err != nil {
			return err
		}
		e.Versions[valueOr(row["version"])] += n
	}
	for k, e := range groups {
		g := r.aggs[k.product]
		g.Errors = append(g.Errors, *e)
	}
	for _, g := range r.aggs {
		sortErrors(g.Errors)
	}
	return nil
}

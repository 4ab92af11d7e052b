package report

import (
	"slices"
	"sort"
	"time"
)

// accumulator folds events, in any order, into per-product state whose size grows with
// distinct installs, sessions and error groups, never with events: each install keeps its
// first-seen time, its latest event of the last 30 days, a bit per active day and, for the
// range's days, the version of its latest event that day. The order of the events does not
// change the state: of two events at the same instant, the one with the greater values wins,
// and an event seen twice (a client's retry) changes nothing. So accumulators that read parts of
// the input can be merged (merge) into the state of one that read it all.
type accumulator struct {
	w        Windows
	product  string // if set, the only product kept
	products map[string]*productAcc
	erased   []erasedSet // registries of installs `waymark erase` erased

	now, history, rangeStart, prevStart, month, day, live int64
	days                                                  int // days from PrevStart to the range's last day, inclusive
	rangeOffset                                           int // index of the range's first day in the bitset

	// The last install added to, which the next records of a batch usually share.
	lastProduct string
	lastInstall UUID
	lastP       *productAcc
	lastIn      *installAcc
}

type productAcc struct {
	installs map[UUID]*installAcc
	sessions map[UUID]*sessionAcc
	errors   map[[2]string]*errorAcc
	erased   map[UUID]struct{} // installs that asked for erasure
	rate     float64           // waymark.sample_rate of the latest event with one
	rateAt   int64
}

type installAcc struct {
	first   int64 // earliest event at or after History
	last30  int64 // latest event in (Now-30d, Now]
	ver     string
	os      string
	arch    string
	runtime string
	bits    []uint64 // active days since PrevStart
	dayVers []dayVer // range days: the version of the latest event that day
	ms      []msTime // milestones reached in the range, earliest time each
	run     runFacts
}

type dayVer struct {
	day int32
	t   int64
	ver string
}

type msTime struct {
	name string
	t    int64
}

type sessionAcc struct {
	install UUID
	last    int64
	uptime  time.Duration
	version string
	// interval is that of the latest heartbeat that carried one, sent at ivT.
	ivT      int64
	interval time.Duration
}

type errorAcc struct {
	reports  map[UUID]UUID         // event.id → install
	installs map[UUID]timedVersion // install → version of its latest report
}

type timedVersion struct {
	t   int64
	ver string
}

const dayNs = int64(24 * time.Hour)

func newAccumulator(q Query) *accumulator {
	w := q.Windows()
	a := &accumulator{
		w: w, product: q.Product, products: map[string]*productAcc{},
		now: w.Now.UnixNano(), history: w.History.UnixNano(), rangeStart: w.RangeStart.UnixNano(),
		prevStart: w.PrevStart.UnixNano(), month: w.Month.UnixNano(), day: w.Day.UnixNano(), live: w.Live.UnixNano(),
	}
	a.days = int(w.Days[len(w.Days)-1].Sub(w.PrevStart)/(24*time.Hour)) + 1
	a.rangeOffset = len(w.Days) // the previous period is as long as the range
	return a
}

func (a *accumulator) add(ev *Event) {
	t := ev.Time
	if a.product != "" && ev.Product != a.product {
		return
	}
	if ev.Kind == KindErasure {
		// Whenever it was asked, the install is left out: the request outlives any window.
		a.productAcc(ev.Product).erase(ev.Install)
		return
	}
	if t > a.now || t < a.history {
		return
	}
	p, in := a.lastP, a.lastIn
	if in == nil || ev.Install != a.lastInstall || ev.Product != a.lastProduct {
		p = a.productAcc(ev.Product)
		in = p.installs[ev.Install]
		if in == nil {
			in = &installAcc{first: t}
			p.installs[ev.Install] = in
		}
		a.lastProduct, a.lastInstall, a.lastP, a.lastIn = ev.Product, ev.Install, p, in
	}
	if t < in.first {
		in.first = t
	}
	a.addRun(p, in, ev)
	if t > a.month {
		in.setLast30(t, ev.Version, ev.OS, ev.Arch, ev.Runtime)
	}
	if t >= a.prevStart {
		// An event at Now itself, when Now is midnight, belongs to the range's last day.
		d := min(int((t-a.prevStart)/dayNs), a.days-1)
		{
			if in.bits == nil {
				in.bits = make([]uint64, (a.days+63)/64)
			}
			in.bits[d/64] |= 1 << (d % 64)
		}
		if t >= a.rangeStart {
			in.setDayVersion(int32(d-a.rangeOffset), t, ev.Version)
		}
	}
	switch ev.Kind {
	case KindMilestone:
		if t >= a.rangeStart {
			in.reached(ev.Milestone, t)
		}
	case KindHeartbeat:
		if t >= a.live {
			key := ev.Session
			if key == (UUID{}) {
				key = ev.Install // a server without session.id: one session per install
			}
			s := p.sessions[key]
			if s == nil {
				s = &sessionAcc{install: ev.Install}
				p.sessions[key] = s
			}
			s.beat(t, ev.Uptime, ev.Version, ev.Interval)
		}
	case KindErrorReport:
		if t >= a.rangeStart {
			k := [2]string{ev.ErrType, ev.ErrMessage}
			e := p.errors[k]
			if e == nil {
				e = &errorAcc{reports: map[UUID]UUID{}, installs: map[UUID]timedVersion{}}
				p.errors[k] = e
			}
			e.reports[ev.EventID] = ev.Install
			e.report(ev.Install, timedVersion{t, ev.Version})
		}
	}
}

func (in *installAcc) setDayVersion(day int32, t int64, ver string) {
	for i := len(in.dayVers) - 1; i >= 0; i-- {
		if d := &in.dayVers[i]; d.day == day {
			if t > d.t || (t == d.t && ver > d.ver) {
				d.t, d.ver = t, ver
			}
			return
		}
	}
	in.dayVers = append(in.dayVers, dayVer{day, t, ver})
}

// setLast30 keeps the latest event of the last 30 days; at the same instant, the greater
// values (version, then OS, arch and runtime), so that the order of reading does not matter.
func (in *installAcc) setLast30(t int64, ver, os, arch, runtime string) {
	if t < in.last30 {
		return
	}
	if t == in.last30 {
		a, b := [4]string{ver, os, arch, runtime}, [4]string{in.ver, in.os, in.arch, in.runtime}
		if slices.Compare(a[:], b[:]) <= 0 {
			return
		}
	}
	in.last30, in.ver, in.os, in.arch, in.runtime = t, ver, os, arch, runtime
}

// beat folds one heartbeat into its session; at the same instant, the greater version and
// uptime win.
func (s *sessionAcc) beat(t int64, uptime time.Duration, ver string, interval time.Duration) {
	if t > s.last || (t == s.last && (ver > s.version || (ver == s.version && uptime > s.uptime))) {
		s.last, s.uptime, s.version = t, uptime, ver
	}
	s.setInterval(t, interval)
}

// setInterval keeps the interval of the latest heartbeat that has one (the greater at the same
// instant).
func (s *sessionAcc) setInterval(t int64, interval time.Duration) {
	if interval > 0 && (t > s.ivT || (t == s.ivT && interval > s.interval)) {
		s.ivT, s.interval = t, interval
	}
}

// report keeps, per install, the version of its latest report of the group.
func (e *errorAcc) report(install UUID, v timedVersion) {
	if old, ok := e.installs[install]; !ok || v.t > old.t || (v.t == old.t && v.ver > old.ver) {
		e.installs[install] = v
	}
}

// merge folds b, which read other events of the same query, into a; b is not used after.
func (a *accumulator) merge(b *accumulator) {
	for name, bp := range b.products {
		ap := a.products[name]
		if ap == nil {
			a.products[name] = bp
			continue
		}
		for id := range bp.erased {
			ap.erase(id)
		}
		if bp.rateAt > 0 {
			ap.setRate(bp.rate, bp.rateAt)
		}
		for id, bi := range bp.installs {
			ai := ap.installs[id]
			if ai == nil {
				ap.installs[id] = bi
				continue
			}
			ai.first = min(ai.first, bi.first)
			if bi.last30 > 0 {
				ai.setLast30(bi.last30, bi.ver, bi.os, bi.arch, bi.runtime)
			}
			if ai.bits == nil {
				ai.bits = bi.bits
			} else {
				for i, w := range bi.bits {
					ai.bits[i] |= w
				}
			}
			for _, dv := range bi.dayVers {
				ai.setDayVersion(dv.day, dv.t, dv.ver)
			}
			for _, m := range bi.ms {
				ai.reached(m.name, m.t)
			}
			for _, ag := range bi.run.agents {
				if !slices.Contains(ai.run.agents, ag) {
					ai.run.agents = append(ai.run.agents, ag)
				}
			}
		}
		for id, bs := range bp.sessions {
			as := ap.sessions[id]
			if as == nil {
				ap.sessions[id] = bs
				continue
			}
			as.beat(bs.last, bs.uptime, bs.version, 0)
			as.setInterval(bs.ivT, bs.interval)
		}
		for k, be := range bp.errors {
			ae := ap.errors[k]
			if ae == nil {
				ap.errors[k] = be
				continue
			}
			for id, install := range be.reports {
				ae.reports[id] = install
			}
			for id, v := range be.installs {
				ae.report(id, v)
			}
		}
	}
}

func (in *installAcc) reached(name string, t int64) {
	for i := range in.ms {
		if in.ms[i].name == name {
			if t < in.ms[i].t {
				in.ms[i].t = t
			}
			return
		}
	}
	in.ms = append(in.ms, msTime{name, t})
}

func (in *installAcc) activeIn(from, to int) bool { // day indexes since PrevStart, [from, to)
	if in.bits == nil {
		return false
	}
	for d := max(from, 0); d < to; d++ {
		if in.bits[d/64]&(1<<(d%64)) != 0 {
			return true
		}
	}
	return false
}

// result computes each product's aggregates.
func (a *accumulator) result(funnel []string) map[string]*Aggregates {
	out := map[string]*Aggregates{}
	for name, p := range a.products {
		a.dropRegistered(p)
		p.dropErased()
		out[name] = a.aggregate(p, funnel)
	}
	return out
}

func (a *accumulator) aggregate(p *productAcc, funnel []string) *Aggregates {
	w := a.w
	g, cohorts := newAggregates(w)
	n := len(w.Days)
	dayIndex := func(t time.Time) int { return int(t.Sub(w.PrevStart) / (24 * time.Hour)) }

	reachedBy := map[string]int{}
	var inRange []*installAcc
	for _, in := range p.installs {
		if in.last30 > a.month {
			g.Installs30d++
			if in.last30 > a.day {
				g.Installs1d++
			}
			g.Versions[valueOr(in.ver)]++
			g.OS[valueOr(in.os)]++
			g.Arch[valueOr(in.arch)]++
			g.Platforms[valueOr(in.os)+"/"+valueOr(in.arch)]++
			g.Runtimes[valueOr(in.runtime)]++
		}
		if in.activeIn(a.rangeOffset, a.days) {
			g.Active++
		}
		if in.activeIn(0, a.rangeOffset) {
			g.ActivePrev++
		}
		switch {
		case in.first >= a.rangeStart:
			g.New++
			g.Daily[min(int((in.first-a.rangeStart)/dayNs), n-1)].New++
			inRange = append(inRange, in)
			for _, m := range in.ms {
				reachedBy[m.name]++
			}
		case in.first >= a.prevStart:
			g.NewPrev++
		}
		for _, dv := range in.dayVers {
			if int(dv.day) < n {
				g.Daily[dv.day].Active++
				g.Daily[dv.day].Versions[valueOr(dv.ver)]++
			}
		}
		if in.first >= a.prevStart {
			first := time.Unix(0, in.first).UTC()
			c := sort.Search(len(cohorts), func(i int) bool { return cohorts[i].AddDate(0, 0, 7).After(first) })
			if c < len(cohorts) && !first.Before(cohorts[c]) {
				g.Retention[c].Installs++
				for k := range 8 {
					if g.Retention[c].Active[k] < 0 {
						continue
					}
					from := dayIndex(cohorts[c].AddDate(0, 0, 7*(k+1)))
					if in.activeIn(from, min(from+7, a.days)) {
						g.Retention[c].Active[k]++
					}
				}
			}
		}
	}

	// Servers.
	byVersion := map[string][]time.Duration{}
	for _, s := range p.sessions {
		iv := s.interval
		if iv == 0 {
			iv = DefaultHeartbeat
		}
		if a.now-s.last <= int64(2*iv) {
			g.ServersLive++
			byVersion[valueOr(s.version)] = append(byVersion[valueOr(s.version)], s.uptime)
		}
	}
	for v, ups := range byVersion {
		g.Servers = append(g.Servers, ServerAgg{Version: v, Live: len(ups), MedianUptime: median(ups)})
	}
	sortServers(g.Servers)

	// Funnel, in the declared order or by installs reaching each milestone.
	steps := funnel
	if len(steps) == 0 {
		steps = stepsByReach(reachedBy)
	}
	g.Funnel = make([]FunnelAgg, len(steps))
	gaps := make([][]time.Duration, len(steps))
	for _, in := range inRange {
		prev := int64(0)
		for i, m := range steps {
			t, ok := in.milestone(m)
			if !ok || (i > 0 && t < prev) {
				break
			}
			g.Funnel[i].Installs++
			if i > 0 {
				gaps[i] = append(gaps[i], time.Duration(t-prev))
			}
			prev = t
		}
	}
	for i, m := range steps {
		g.Funnel[i].Milestone = m
		g.Funnel[i].Median = median(gaps[i])
	}

	// Errors.
	for k, e := range p.errors {
		ea := ErrorAgg{Type: k[0], Message: k[1], Reports: len(e.reports), Installs: len(e.installs), Versions: map[string]int{}}
		for _, v := range e.installs {
			ea.Versions[valueOr(v.ver)]++
		}
		g.Errors = append(g.Errors, ea)
	}
	sortErrors(g.Errors)
	a.countAgents(p, g)
	return g
}

// productAcc returns the state of the named product, made on first use.
func (a *accumulator) productAcc(name string) *productAcc {
	p := a.products[name]
	if p == nil {
		p = &productAcc{installs: map[UUID]*installAcc{}, sessions: map[UUID]*sessionAcc{}, errors: map[[2]string]*errorAcc{}}
		a.products[name] = p
	}
	return p
}

// newAggregates returns an empty product's aggregates for the windows w: maps made, one DayAgg
// per day of the range, and one CohortAgg per cohort week (Monday) from PrevStart to the range's
// last day, its weeks not over by Now marked -1. It also returns the cohorts' Mondays.
func newAggregates(w Windows) (*Aggregates, []time.Time) {
	g := &Aggregates{
		Versions: map[string]int{}, OS: map[string]int{}, Arch: map[string]int{},
		Platforms: map[string]int{}, Runtimes: map[string]int{}, Agents: map[string]int{},
	}
	n := len(w.Days)
	g.Daily = make([]DayAgg, n)
	for i, d := range w.Days {
		g.Daily[i] = DayAgg{Day: d, Versions: map[string]int{}}
	}
	// Cohort weeks: Mondays in [PrevStart, Now].
	monday := w.PrevStart.AddDate(0, 0, (8-int(w.PrevStart.Weekday()))%7)
	var cohorts []time.Time
	for c := monday; !c.After(w.Days[n-1]); c = c.AddDate(0, 0, 7) {
		cohorts = append(cohorts, c)
	}
	g.Retention = make([]CohortAgg, len(cohorts))
	for i, c := range cohorts {
		g.Retention[i].Week = c
		for k := range 8 {
			if c.AddDate(0, 0, 7*(k+2)).After(w.Now) {
				g.Retention[i].Active[k] = -1
			}
		}
	}
	return g, cohorts
}

// stepsByReach orders the milestones reached by installs, most installs first (ties by name).
func stepsByReach(reachedBy map[string]int) []string {
	var steps []string
	for m, n := range reachedBy {
		if n > 0 {
			steps = append(steps, m)
		}
	}
	sort.Slice(steps, func(i, j int) bool {
		if reachedBy[steps[i]] != reachedBy[steps[j]] {
			return reachedBy[steps[i]] > reachedBy[steps[j]]
		}
		return steps[i] < steps[j]
	})
	return steps
}

// sortServers orders server groups by live sessions, most first (ties by version).
func sortServers(s []ServerAgg) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Live != s[j].Live {
			return s[i].Live > s[j].Live
		}
		return s[i].Version < s[j].Version
	})
}

// sortErrors orders error groups by installs affected, then reports, most first (ties by type
// and message).
func sortErrors(e []ErrorAgg) {
	sort.Slice(e, func(i, j int) bool {
		a, b := e[i], e[j]
		if a.Installs != b.Installs {
			return a.Installs > b.Installs
		}
		if a.Reports != b.Reports {
			return a.Reports > b.Reports
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Message < b.Message
	})
}

func (in *installAcc) milestone(name string) (int64, bool) {
	for _, m := range in.ms {
		if m.name == name {
			return m.t, true
		}
	}
	return 0, false
}

// median is the element ⌊n/2⌋ of the sorted values, zero for none.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// valueOr names a missing attribute value so that it still shows in a map.
func valueOr(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}

// Package sim simulates the history of a product's installs — arrivals that grow over time,
// churn, releases adopted over weeks, a three-step quick-start funnel, servers with heartbeats
// and restarts, a few error reports — and delivers it as the uploads Waymark's SDK would have
// made, with the SDK's exact resource keys and event shapes (internal/schema): random UUIDv4 event ids,
// milestone event ids as UUIDv5 of the installation id and milestone name.
//
// Everything is derived from Config.Seed: the same Config gives the same uploads, in the same
// order, byte for byte. The package never reads the clock, the environment or the network;
// FileWriter writes what the collector's file exporter would have stored, and the simulate
// command posts the same uploads to a collector.
package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/waymarkhq/waymark/internal/uuidx"
)

// Funnel is the quick-start funnel the simulated CLI declares, in order.
var Funnel = []string{"first_run", "first_project_created", "first_deploy"}

// SDKVersion is the telemetry.sdk.version and scope version the simulated installs send.
const SDKVersion = "0.1.0"

// Config shapes a simulation. Zero fields take the defaults documented on each.
type Config struct {
	// Installs is the number of CLI installs that arrive during the simulated days (default 1000).
	Installs int
	// Days is the length of the simulated history in days (default 60).
	Days int
	// Seed makes the simulation repeatable.
	Seed uint64
	// End is the end of the simulated history (default 2026-11-20T00:00:00Z); it starts Days
	// before.
	End time.Time
	// Products, if set, names the products: the first is the CLI's service.name, the second,
	// if any, the servers' (default: "acme" for both).
	Products []string
	// Servers is the number of server installs (default Installs/2000, at least 1); negative
	// means none.
	Servers int
	// Heartbeat is the servers' heartbeat interval (default 1h: the SDK's default of 10 min
	// would make heartbeats outnumber everything else).
	Heartbeat time.Duration
	// Releases is the number of releases, the first shipped before the history starts
	// (default 5).
	Releases int
	// ErrorRate is the chance that an active install day sends an error report (default
	// 0.0005; negative means none).
	ErrorRate float64
}

func (c Config) withDefaults() (Config, error) {
	if c.Installs == 0 {
		c.Installs = 1000
	}
	if c.Days == 0 {
		c.Days = 60
	}
	if c.End.IsZero() {
		c.End = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	}
	c.End = c.End.UTC()
	if len(c.Products) == 0 {
		c.Products = []string{"acme"}
	}
	if c.Servers == 0 {
		c.Servers = max(1, c.Installs/2000)
	}
	if c.Servers < 0 {
		c.Servers = 0
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = time.Hour
	}
	if c.Releases == 0 {
		c.Releases = 5
	}
	if c.ErrorRate == 0 {
		c.ErrorRate = 0.0005
	}
	switch {
	case c.Installs < 0 || c.Installs > 10_000_000:
		return c, errors.New("sim: Installs must be in [1, 10000000]")
	case c.Days < 1 || c.Days > 3650:
		return c, errors.New("sim: Days must be in [1, 3650]")
	case c.Releases < 1 || c.Releases > 100:
		return c, errors.New("sim: Releases must be in [1, 100]")
	case c.Heartbeat < time.Minute:
		return c, errors.New("sim: Heartbeat must be at least a minute")
	case len(c.Products) > 2:
		return c, errors.New("sim: at most two products (the CLI's and the servers')")
	}
	return c, nil
}

// Resource is the resource of one upload: exactly the schema's resource attributes, in the order the
// SDK's resourceAttrs sends them.
type Resource struct {
	Product, Version, InstallationID, OS, Arch, Runtime string
	// SessionID is set for servers only.
	SessionID string
}

// Attrs returns the resource attributes in the SDK's order.
func (r Resource) Attrs() []Attr {
	a := []Attr{
		Str("service.name", r.Product),
		Str("service.version", r.Version),
		Str("app.installation.id", r.InstallationID),
		Str("os.type", r.OS),
		Str("host.arch", r.Arch),
		Str("process.runtime.name", "go"),
		Str("process.runtime.version", r.Runtime),
		Str("telemetry.sdk.name", "waymark"),
		Str("telemetry.sdk.language", "go"),
		Str("telemetry.sdk.version", SDKVersion),
	}
	if r.SessionID != "" {
		a = append(a, Str("session.id", r.SessionID))
	}
	return a
}

// Attr is a string or integer attribute.
type Attr struct {
	Key   string
	Str   string
	Int   int64
	IsInt bool
}

// Str makes a string attribute.
func Str(k, v string) Attr { return Attr{Key: k, Str: v} }

// Int makes an integer attribute.
func Int(k string, v int64) Attr { return Attr{Key: k, Int: v, IsInt: true} }

// Record is one event as the SDK records it: time and observed time equal, severity INFO.
type Record struct {
	Name  string
	Time  time.Time
	Attrs []Attr
}

// Upload is one request an install made: its resource and the events it carried, as the
// collector received them at Received.
type Upload struct {
	Received time.Time
	Resource Resource
	Records  []Record
	// Metrics are the delta sums sent beside the events: milestones recorded and heartbeats.
	Milestones map[string]int64
	Heartbeats int64
	// Uptime is the session's uptime at the last heartbeat (servers).
	Uptime time.Duration
}

// Stats counts what a simulation produced.
type Stats struct {
	Uploads, Events, Duplicates, Installs, Servers, Sessions int
}

// OS and arch as the SDK reports them, with their share of installs.
var platforms = []struct {
	os, arch string
	weight   float64
}{
	{"linux", "amd64", 0.42}, {"darwin", "arm64", 0.26}, {"windows", "amd64", 0.17},
	{"linux", "arm64", 0.08}, {"darwin", "amd64", 0.05}, {"windows", "arm64", 0.015},
	{"freebsd", "amd64", 0.005},
}

// Error reports a CLI may send (already scrubbed, as the SDK sends them); the first is a bug
// of the third release only.
var crashes = []struct{ typ, msg string }{
	{"runtime.boundsError", "runtime error: index out of range [3] with length 3"},
	{"*fs.PathError", "open [path]: permission denied"},
	{"*errors.errorString", "unexpected EOF"},
	{"*net.OpError", "dial tcp [ip]:443: connect: connection refused"},
}

const stack = "goroutine 1 [running]:\nmain.main()\n\t[path]/main.go:42 +0x1d\n"

type install struct {
	rng      *rand.Rand
	res      Resource
	arrive   time.Time
	leave    time.Time // churned after this
	activity float64   // chance of use on a given day
	release  int
	server   bool
	// servers only
	sessionStart time.Time
	restart      time.Time
	// CLI milestones not yet reached, with their times.
	project, deploy time.Time
}

// Run simulates and calls emit with every upload in the order the collector received them
// (by Received, then by generation order). It stops at the first error emit returns.
func Run(cfg Config, emit func(*Upload) error) (Stats, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	start := cfg.End.Add(-time.Duration(cfg.Days) * 24 * time.Hour)
	root := rand.New(rand.NewPCG(cfg.Seed, 0x5741594d41524b))
	cli, srv := cfg.Products[0], cfg.Products[len(cfg.Products)-1]

	// Releases: the first 30 days before the history, the rest spread over it.
	rel := make([]time.Time, cfg.Releases)
	rel[0] = start.Add(-30 * 24 * time.Hour)
	for i := 1; i < cfg.Releases; i++ {
		rel[i] = start.Add(time.Duration(float64(cfg.End.Sub(start)) * float64(i) / float64(cfg.Releases)))
	}
	latest := func(t time.Time) int {
		r := 0
		for i, rt := range rel {
			if !rt.After(t) {
				r = i
			}
		}
		return r
	}

	var st Stats
	installs := make([]*install, 0, cfg.Installs+cfg.Servers)
	for i := range cfg.Installs + cfg.Servers {
		in := &install{rng: rand.New(rand.NewPCG(root.Uint64(), uint64(i)))}
		in.server = i >= cfg.Installs
		r := in.rng
		in.res.InstallationID = uuid4(r)
		p := pickPlatform(r.Float64())
		in.res.OS, in.res.Arch = p.os, p.arch
		span := float64(cfg.End.Sub(start))
		if in.server {
			in.res.Product = srv
			in.arrive = start.Add(time.Duration(r.Float64() * 0.7 * span))
			in.leave = in.arrive.Add(time.Duration(r.ExpFloat64() * 90 * 24 * float64(time.Hour)))
			in.activity = 1
			st.Servers++
		} else {
			in.res.Product = cli
			// Growth: arrivals become more frequent over time (density 1+g·t on [0,1]).
			const g = 1.5
			u := r.Float64() * (1 + g/2)
			t := (-1 + math.Sqrt(1+2*g*u)) / g
			in.arrive = start.Add(time.Duration(t * span))
			switch x := r.Float64(); {
			case x < 0.35: // tried it once
				in.leave = in.arrive.Add(time.Duration(r.Float64() * 12 * float64(time.Hour)))
				in.activity = 0
			case x < 0.7:
				in.leave = in.arrive.Add(time.Duration(r.ExpFloat64() * 20 * 24 * float64(time.Hour)))
				in.activity = 0.2
			default:
				in.leave = in.arrive.Add(time.Duration(r.ExpFloat64() * 60 * 24 * float64(time.Hour)))
				in.activity = 0.6
			}
			if r.Float64() < 0.55 {
				in.project = in.arrive.Add(time.Duration(r.ExpFloat64() * 6 * float64(time.Hour)))
				if r.Float64() < 0.45 {
					in.deploy = in.project.Add(time.Duration(r.ExpFloat64() * 2 * 24 * float64(time.Hour)))
				}
			}
			st.Installs++
		}
		in.release = latest(in.arrive)
		in.res.Version, in.res.Runtime = version(in.release), runtimeVersion(in.release)
		installs = append(installs, in)
	}
	sort.SliceStable(installs, func(i, j int) bool { return installs[i].arrive.Before(installs[j].arrive) })

	q := &uploadQueue{}
	var seq int64
	push := func(u *Upload) {
		seq++
		heap.Push(q, queued{u, seq})
	}
	flush := func(until time.Time) error {
		for q.Len() > 0 && (*q)[0].u.Received.Before(until) {
			u := heap.Pop(q).(queued).u
			st.Uploads++
			st.Events += len(u.Records)
			if err := emit(u); err != nil {
				return err
			}
		}
		return nil
	}
	// deliver queues an upload of recs made at t: seconds later as a rule, days later when the
	// install was offline, and now and then twice (a retry after a lost response).
	deliver := func(in *install, t time.Time, recs []Record, ms map[string]int64, beats int64, up time.Duration) {
		r := in.rng
		delay := time.Duration(1+r.IntN(30)) * time.Second
		if !in.server && r.Float64() < 0.03 {
			delay = time.Duration(math.Min(r.ExpFloat64(), 10) * 24 * float64(time.Hour))
		}
		u := &Upload{Received: t.Add(delay), Resource: in.res, Records: recs, Milestones: ms, Heartbeats: beats, Uptime: up}
		push(u)
		if r.Float64() < 0.005 {
			dup := *u
			dup.Received = u.Received.Add(time.Minute)
			st.Duplicates += len(recs)
			push(&dup)
		}
	}

	next := 0 // installs[:next] have arrived
	var live []*install
	day := 24 * time.Hour
	for d := range cfg.Days {
		dayStart := start.Add(time.Duration(d) * day)
		dayEnd := dayStart.Add(day)
		for next < len(installs) && installs[next].arrive.Before(dayEnd) {
			live = append(live, installs[next])
			next++
		}
		kept := live[:0]
		for _, in := range live {
			if in.server {
				simServer(in, dayStart, dayEnd, cfg, rel, latest, deliver, &st)
			} else {
				simCLI(in, dayStart, dayEnd, cfg, rel, latest, deliver)
			}
			if in.leave.After(dayEnd) {
				kept = append(kept, in)
			}
		}
		live = kept
		if err := flush(dayEnd); err != nil {
			return st, err
		}
	}
	// Uploads still in flight at End were not stored yet.
	return st, nil
}

// simCLI plays one day of a CLI install.
func simCLI(in *install, dayStart, dayEnd time.Time, cfg Config, rel []time.Time, latest func(time.Time) int,
	deliver func(*install, time.Time, []Record, map[string]int64, int64, time.Duration)) {
	r := in.rng
	maybeUpgrade(in, dayStart, latest)
	var runs []time.Time
	if !in.arrive.Before(dayStart) { // arrival day
		runs = append(runs, in.arrive)
	} else if r.Float64() < in.activity {
		runs = append(runs, dayStart.Add(time.Duration(r.Float64()*float64(12*time.Hour))))
		if in.activity > 0.5 && r.Float64() < 0.3 {
			runs = append(runs, runs[0].Add(12*time.Hour+time.Duration(r.Float64()*float64(11*time.Hour))))
		}
	}
	for _, t := range []*time.Time{&in.project, &in.deploy} {
		if !t.IsZero() && t.Before(dayEnd) && !t.Before(dayStart) && t.Before(in.leave.Add(3*24*time.Hour)) {
			runs = append(runs, *t)
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Before(runs[j]) })
	lastPing := time.Time{}
	for _, t := range runs {
		if t.After(in.leave.Add(3*24*time.Hour)) || !t.Before(dayEnd) {
			continue
		}
		var recs []Record
		ms := map[string]int64{}
		milestone := func(name string) {
			id, _ := uuidx.V5(in.res.InstallationID, name)
			recs = append(recs, Record{Name: "waymark.milestone", Time: t, Attrs: []Attr{Str("milestone.name", name), Str("event.id", id)}})
			ms[name] = 1
		}
		switch {
		case t.Equal(in.arrive):
			milestone(Funnel[0])
		case t.Equal(in.project):
			milestone(Funnel[1])
		case t.Equal(in.deploy):
			milestone(Funnel[2])
		}
		// The usage ping goes out at most once per 12 h.
		if lastPing.IsZero() || t.Sub(lastPing) >= 12*time.Hour {
			recs = append(recs, Record{Name: "waymark.usage", Time: t, Attrs: []Attr{Str("event.id", uuid4(r))}})
			lastPing = t
		}
		if cfg.ErrorRate > 0 && r.Float64() < cfg.ErrorRate*errorWeight(in.release) {
			c := crashes[r.IntN(len(crashes))]
			if in.release == 2 && r.Float64() < 0.7 {
				c = crashes[0]
			}
			recs = append(recs, Record{Name: "waymark.error_report", Time: t.Add(time.Second), Attrs: []Attr{
				Str("event.id", uuid4(r)), Str("exception.type", c.typ), Str("exception.message", c.msg), Str("exception.stacktrace", stack),
			}})
		}
		if len(ms) == 0 {
			ms = nil
		}
		if len(recs) > 0 {
			deliver(in, t, recs, ms, 0, 0)
		}
	}
}

// errorWeight makes the third release crash more often than the others.
func errorWeight(release int) float64 {
	if release == 2 {
		return 6
	}
	return 1
}

// simServer plays one day of a server: heartbeats every interval, a usage ping every 12 h,
// restarts (a new session) now and then.
func simServer(in *install, dayStart, dayEnd time.Time, cfg Config, rel []time.Time, latest func(time.Time) int,
	deliver func(*install, time.Time, []Record, map[string]int64, int64, time.Duration), st *Stats) {
	r := in.rng
	from := dayStart
	if in.arrive.After(from) {
		from = in.arrive
	}
	until := dayEnd
	if in.leave.Before(until) {
		until = in.leave
	}
	lastPing := time.Time{}
	for t := from; t.Before(until); t = t.Add(cfg.Heartbeat) {
		if in.res.SessionID == "" || !t.Before(in.restart) {
			// A (re)start: perhaps on the newest release.
			maybeUpgrade(in, t, latest)
			in.res.SessionID = uuid4(r)
			in.sessionStart = t
			in.restart = t.Add(time.Duration((0.5 + r.ExpFloat64()*5) * 24 * float64(time.Hour)))
			lastPing = time.Time{}
			st.Sessions++
		}
		var recs []Record
		if lastPing.IsZero() || t.Sub(lastPing) >= 12*time.Hour {
			recs = append(recs, Record{Name: "waymark.usage", Time: t, Attrs: []Attr{Str("event.id", uuid4(r))}})
			lastPing = t
		}
		up := t.Sub(in.sessionStart)
		recs = append(recs, Record{Name: "waymark.heartbeat", Time: t, Attrs: []Attr{
			Str("event.id", uuid4(r)),
			Str("session.start", in.sessionStart.Format(time.RFC3339)),
			Int("session.uptime_s", int64(up/time.Second)),
			Int("heartbeat.interval_s", int64(cfg.Heartbeat/time.Second)),
			Str("api.version", "v1"),
		}})
		deliver(in, t, recs, nil, 1, up)
	}
}

// maybeUpgrade moves an install to the newest release with a chance per day, so that a
// release spreads over a few weeks.
func maybeUpgrade(in *install, t time.Time, latest func(time.Time) int) {
	l := latest(t)
	if l > in.release && in.rng.Float64() < 0.12 {
		in.release = l
		in.res.Version, in.res.Runtime = version(l), runtimeVersion(l)
	}
}

func version(release int) string { return fmt.Sprintf("1.%d.0", release) }

func runtimeVersion(release int) string { return fmt.Sprintf("go1.%d.%d", 24+release/3, release%3) }

func pickPlatform(x float64) struct {
	os, arch string
	weight   float64
} {
	for _, p := range platforms {
		if x < p.weight {
			return p
		}
		x -= p.weight
	}
	return platforms[0]
}

// uuid4 draws a version 4 UUID from r.
func uuid4(r *rand.Rand) string {
	var b [16]byte
	a, c := r.Uint64(), r.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

type queued struct {
	u   *Upload
	seq int64
}

// uploadQueue orders uploads by Received, then by the order they were made.
type uploadQueue []queued

func (q uploadQueue) Len() int { return len(q) }
func (q uploadQueue) Less(i, j int) bool {
	if !q[i].u.Received.Equal(q[j].u.Received) {
		return q[i].u.Received.Before(q[j].u.Received)
	}
	return q[i].seq < q[j].seq
}
func (q uploadQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *uploadQueue) Push(x any)   { *q = append(*q, x.(queued)) }
func (q *uploadQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

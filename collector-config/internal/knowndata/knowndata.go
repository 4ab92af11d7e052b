// Package knowndata generates a deterministic history of Waymark events (installs over days,
// with releases, upgrades, churn, a three-step funnel, error reports and server sessions) for
// the backend tests and the sizing tool, and turns it into OTLP log requests with otlpgen. The
// same seed gives the same events, ids included. It never reads the clock or the environment:
// the end of the history (Now) is given.
package knowndata

import (
	"fmt"
	"math/rand/v2"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
)

// Event names, as internal/schema has them.
const (
	Milestone = "waymark.milestone"
	Usage     = "waymark.usage"
	Heartbeat = "waymark.heartbeat"
	Error     = "waymark.error_report"
)

// Event is one event and the resource of the install that sent it.
type Event struct {
	Product, Install, Version, OS, Arch string
	Session                             string // servers only
	Name                                string
	Time                                time.Time
	ID                                  string // event.id
	Milestone                           string
	SessionStart                        time.Time
	Interval                            time.Duration // heartbeat.interval_s; 0: attribute absent
	ErrType, ErrMsg                     string
}

// Config shapes a history.
type Config struct {
	Seed uint64
	// Now is the end of the history: every event is before it.
	Now time.Time
	// Days is how far back the first installs appear.
	Days int
	// Installs is the number of CLI installs of the main product "acme"; a second product
	// "beta" gets a sixth as many.
	Installs int
	// Servers adds server sessions with heartbeats around Now (live and dead ones, several
	// intervals up to the one day the collector's schema allows; a heartbeat without an
	// interval or with a longer one never reaches storage, see hostile_test.go).
	Servers bool
}

var (
	releases = []struct {
		daysAgo float64
		version string
	}{{1e9, "1.0.0"}, {50, "1.1.0"}, {30, "1.2.0"}, {10, "1.3.0"}, {3, "1.3.1"}}
	oses     = []string{"linux", "linux", "linux", "darwin", "darwin", "windows"}
	arches   = []string{"amd64", "amd64", "amd64", "arm64"}
	errTypes = []struct{ typ, msg string }{
		{"*errors.errorString", "deploy: connection refused"},
		{"*errors.errorString", "config: missing project"},
		{"runtime.Error", "index out of range [3] with length 3"},
		{"*fs.PathError", "open acme.yaml: no such file or directory"},
	}
)

// gen is the generator's state: one seeded source for everything.
type gen struct {
	cfg Config
	r   *rand.Rand
}

func (g *gen) uuid() string {
	a, b := g.r.Uint64(), g.r.Uint64()
	a = a&^(0xf<<12) | 0x4<<12
	b = b&^(0x3<<62) | 0x2<<62
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// at returns a time d days before Now plus a random part of a day, never at or after Now.
func (g *gen) jitter(t time.Time, spread time.Duration) time.Time {
	t = t.Add(time.Duration(g.r.Int64N(int64(spread))))
	if !t.Before(g.cfg.Now) {
		t = g.cfg.Now.Add(-time.Duration(1 + g.r.Int64N(int64(time.Minute))))
	}
	return t
}

func release(age time.Duration) string {
	v := releases[0].version
	for _, r := range releases {
		if age.Hours()/24 <= r.daysAgo {
			v = r.version
		}
	}
	return v
}

// Generate produces the history and calls emit with the events of one install (or server
// session) at a time, in time order. It stops at emit's first error and returns it.
func Generate(cfg Config, emit func([]Event) error) error {
	g := &gen{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))}
	day := 24 * time.Hour
	for _, p := range []struct {
		name     string
		installs int
	}{{"acme", cfg.Installs}, {"beta", cfg.Installs / 6}} {
		for range p.installs {
			base := Event{Product: p.name, Install: g.uuid(), OS: oses[g.r.IntN(len(oses))], Arch: arches[g.r.IntN(len(arches))]}
			// First seen: more installs recently (growth).
			ago := time.Duration(float64(cfg.Days) * (1 - g.r.Float64()*g.r.Float64()) * float64(day))
			first := g.jitter(cfg.Now.Add(-ago), time.Hour)
			base.Version = release(cfg.Now.Sub(first))
			var evs []Event
			add := func(e Event) {
				e.ID = g.uuid()
				evs = append(evs, e)
			}
			m := base
			m.Name, m.Time, m.Milestone = Milestone, first, "first_run"
			add(m)
			if g.r.Float64() < 0.6 {
				m.Time, m.Milestone = g.jitter(first.Add(time.Minute), 3*day), "first_project_created"
				add(m)
				if g.r.Float64() < 0.5 {
					m.Time, m.Milestone = g.jitter(m.Time.Add(time.Minute), 5*day), "first_deploy"
					add(m)
				}
			}
			// Daily usage until the install churns; some upgrade along the way.
			stay := 0.97 - 0.2*g.r.Float64()
			for t := first; t.Before(cfg.Now); t = t.Add(day) {
				if g.r.Float64() > stay {
					break
				}
				if g.r.Float64() > 0.6 {
					continue
				}
				u := base
				u.Time = g.jitter(t, day)
				if nv := release(cfg.Now.Sub(u.Time)); nv != base.Version && g.r.Float64() < 0.3 {
					base.Version, u.Version = nv, nv
				}
				u.Name = Usage
				add(u)
				if g.r.Float64() < 0.03 {
					e := base
					et := errTypes[g.r.IntN(len(errTypes))]
					e.Name, e.Time, e.ErrType, e.ErrMsg = Error, u.Time.Add(time.Second), et.typ, et.msg
					if e.Time.Before(cfg.Now) {
						add(e)
					}
				}
			}
			sortByTime(evs)
			if err := emit(evs); err != nil {
				return err
			}
		}
	}
	if cfg.Servers {
		for _, s := range []struct {
			product  string
			interval time.Duration // 0: no heartbeat.interval_s
			last     time.Duration // age of the last beat
			span     time.Duration
		}{
			{"acme", 10 * time.Minute, 5 * time.Minute, 60 * time.Hour},              // live
			{"acme", 10 * time.Minute, 25 * time.Minute, 30 * time.Hour},             // dead: 25 min > 2 × 10
			{"acme", time.Minute, 90 * time.Second, time.Hour},                       // live
			{"acme", time.Minute, 150 * time.Second, time.Hour},                      // dead
			{"acme", time.Hour, 90 * time.Minute, 48 * time.Hour},                    // live
			{"acme", 24 * time.Hour, 36 * time.Hour, 4 * 24 * time.Hour},             // live: the longest interval the collector keeps
			{"acme", 24 * time.Hour, 60 * time.Hour, 10 * 24 * time.Hour},            // dead: 60 h > 2 × 1 d
			{"beta", 10 * time.Minute, time.Minute, 24 * time.Hour},                  // live
			{"beta", 10 * time.Minute, 72 * time.Hour, 24 * time.Hour},               // dead long ago
			{"beta", 5 * time.Minute, 9*time.Minute + 59*time.Second, 3 * time.Hour}, // live, 1 s to spare
		} {
			base := Event{Product: s.product, Install: g.uuid(), Version: "1.3.0", OS: "linux", Arch: "amd64", Session: g.uuid(), Name: Heartbeat, Interval: s.interval}
			step := s.interval
			if step == 0 {
				step = 10 * time.Minute
			}
			last := cfg.Now.Add(-s.last).Add(-time.Duration(g.r.Int64N(int64(time.Millisecond))))
			base.SessionStart = last.Add(-s.span).Truncate(time.Second)
			var evs []Event
			for t := base.SessionStart.Add(step); !t.After(last); t = t.Add(step) {
				e := base
				e.Time, e.ID = t, g.uuid()
				evs = append(evs, e)
			}
			if len(evs) == 0 || !evs[len(evs)-1].Time.Equal(last) {
				e := base
				e.Time, e.ID = last, g.uuid()
				evs = append(evs, e)
			}
			if err := emit(evs); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortByTime(evs []Event) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].Time.Before(evs[j-1].Time); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

// Install is the otlpgen resource of the event's install.
func (e Event) install() otlpgen.Install {
	return otlpgen.Install{Product: e.Product, Version: e.Version, ID: e.Install, OS: e.OS, Arch: e.Arch, Session: e.Session}
}

// Record is the event as the SDK sends it: an OTLP log record with its attributes.
func (e Event) Record() *logspb.LogRecord {
	attrs := []*commonpb.KeyValue{otlpgen.Str("event.id", e.ID)}
	switch e.Name {
	case Milestone:
		attrs = append(attrs, otlpgen.Str("milestone.name", e.Milestone))
	case Heartbeat:
		attrs = append(attrs, otlpgen.Str("session.start", e.SessionStart.UTC().Format(time.RFC3339)),
			otlpgen.Int("session.uptime_s", int64(e.Time.Sub(e.SessionStart)/time.Second)))
		if e.Interval > 0 {
			attrs = append(attrs, otlpgen.Int("heartbeat.interval_s", int64(e.Interval/time.Second)))
		}
	case Error:
		attrs = append(attrs, otlpgen.Str("exception.type", e.ErrType), otlpgen.Str("exception.message", e.ErrMsg),
			otlpgen.Str("exception.stacktrace", "goroutine 1 [running]:\nmain.main()"))
	}
	return &logspb.LogRecord{
		TimeUnixNano:         uint64(e.Time.UnixNano()),
		ObservedTimeUnixNano: uint64(e.Time.UnixNano()),
		SeverityNumber:       logspb.SeverityNumber_SEVERITY_NUMBER_INFO,
		EventName:            e.Name,
		Attributes:           attrs,
	}
}

// Requests groups events (in order) into LogsData messages, one resource each, of at most max
// records; consecutive events of the same resource share a message, as an SDK upload does.
func Requests(evs []Event, max int) []*logspb.LogsData {
	var out []*logspb.LogsData
	var cur []*logspb.LogRecord
	var in otlpgen.Install
	flush := func() {
		if len(cur) > 0 {
			out = append(out, otlpgen.Logs(in, cur...))
			cur = nil
		}
	}
	for _, e := range evs {
		if ei := e.install(); ei.ID != in.ID || ei.Version != in.Version || ei.Session != in.Session || len(cur) == max {
			flush()
			in = ei
		}
		cur = append(cur, e.Record())
	}
	flush()
	return out
}

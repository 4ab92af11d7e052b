// Package herd simulates a fleet of Waymark installs around an outage of
// their collector, to measure whether the fleet comes back as a herd. Every
// retry decision goes through the uploader's own backoff
// (export.NextAttempt), so a change there changes the figure.
//
// It simulates events, not processes: installs never interact (the endpoint
// answers by the clock alone), so each install's day is played out on its
// own and its requests are counted into one-minute buckets. It never touches
// the network or the disk.
package herd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/internal/export"
)

// Config describes one simulation.
type Config struct {
	// Installs is the size of the fleet.
	Installs int
	// ServerShare is the fraction of installs that are servers (a heartbeat
	// every ServerHeartbeat, around the clock); the rest are CLIs.
	ServerShare float64
	// ServerHeartbeat is the servers' heartbeat interval. Default 10 min,
	// Waymark's default.
	ServerHeartbeat time.Duration
	// OutageStartUTC is the hour of the day (UTC) the outage begins, on the
	// third simulated day (two days of warm-up and baseline come first).
	OutageStartUTC float64
	// Outage is how long every request is refused. Default 1 h.
	Outage time.Duration
	// RetryAfter, if positive, is the Retry-After the refusals carry; the
	// refusals are 503s either way.
	RetryAfter time.Duration
	// Seed makes the run repeatable.
	Seed uint64
}

// Result is what the endpoint saw, in one-minute buckets.
type Result struct {
	// Requests and Events count per minute from the simulation's start:
	// every POST (refused or not), and every event delivered.
	Requests, Events []int64
	// OutageStart and OutageEnd are minute indexes into the buckets.
	OutageStart, OutageEnd int
	// MeanBefore is the mean requests per minute over the 24 h before the
	// outage; PeakAfter the largest minute over the 24 h after it, at
	// minute PeakAt (from the outage's end).
	MeanBefore float64
	PeakAfter  int64
	PeakAt     int
	// EventsMeanBefore and EventsPeakAfter are the same for delivered events.
	EventsMeanBefore float64
	EventsPeakAfter  int64
	// PeakDuring is the busiest minute of the outage itself (refusals).
	PeakDuring int64
}

// Ratio is the peak minute after the outage over the mean minute before.
func (r Result) Ratio() float64 { return float64(r.PeakAfter) / r.MeanBefore }

// EventsRatio is Ratio for delivered events.
func (r Result) EventsRatio() float64 { return float64(r.EventsPeakAfter) / r.EventsMeanBefore }

const (
	day = 24 * time.Hour
	// pingInterval is Waymark's default usage-ping interval: a CLI records
	// at most one usage event per 12 h.
	pingInterval = 12 * time.Hour
	// milestoneChance is the chance that a run records a milestone (an
	// event and a metrics delta).
	milestoneChance = 0.003
)

// localHourWeight is how likely a CLI session is to start in each local
// hour: little at night, a working day with a dip at lunch, some evening use.
var localHourWeight = [24]float64{
	0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2.5, 4.5, 5.5, 5.5,
	4.5, 5, 5.5, 5.5, 5, 4.2, 3.2, 2.8, 2.8, 2.6, 2, 1.3,
}

// zones is the share of installs per UTC offset (hours), roughly where
// developers live: the Americas, Europe and Africa, Asia, Oceania.
var zones = []struct {
	offset float64
	share  float64
}{
	{-8, 0.10}, {-7, 0.04}, {-6, 0.06}, {-5, 0.12}, {-3, 0.05},
	{0, 0.08}, {1, 0.16}, {2, 0.06}, {3, 0.04},
	{5.5, 0.10}, {7, 0.03}, {8, 0.10}, {9, 0.04}, {10, 0.02},
}

// users is the share of CLI installs per kind of user, with the chance
// that such a user uses the CLI on a given day.
var users = []struct {
	share, dayChance float64
}{
	{0.2, 0.9},  // daily users
	{0.5, 0.45}, // regular users
	{0.3, 0.08}, // occasional users
}

// Simulate plays the fleet out and measures it.
func Simulate(cfg Config) Result {
	if cfg.ServerHeartbeat <= 0 {
		cfg.ServerHeartbeat = 10 * time.Minute
	}
	if cfg.Outage <= 0 {
		cfg.Outage = time.Hour
	}
	outStart := 2*day + time.Duration(cfg.OutageStartUTC*float64(time.Hour))
	outEnd := outStart + cfg.Outage
	horizon := outEnd + day
	minutes := int(horizon/time.Minute) + 1
	s := &sim{cfg: cfg, outStart: outStart, outEnd: outEnd, horizon: horizon,
		base: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}
	s.hourCDF = cdf(localHourWeight[:])

	workers := max(1, runtime.GOMAXPROCS(0))
	reqs := make([][]int64, workers)
	evs := make([][]int64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		reqs[w], evs[w] = make([]int64, minutes), make([]int64, minutes)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := counts{reqs: reqs[w], evs: evs[w], runs: make([]time.Duration, 0, 256)}
			for i := w; i < cfg.Installs; i += workers {
				rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
				if rng.Float64() < cfg.ServerShare {
					s.server(rng, &c)
				} else {
					s.cli(rng, &c)
				}
			}
		}()
	}
	wg.Wait()
	res := Result{Requests: make([]int64, minutes), Events: make([]int64, minutes),
		OutageStart: int(outStart / time.Minute), OutageEnd: int(outEnd / time.Minute)}
	for w := range workers {
		for m := range minutes {
			res.Requests[m] += reqs[w][m]
			res.Events[m] += evs[w][m]
		}
	}
	res.measure()
	return res
}

func (r *Result) measure() {
	const dayMin = 24 * 60
	var sum, esum int64
	for m := r.OutageStart - dayMin; m < r.OutageStart; m++ {
		sum += r.Requests[m]
		esum += r.Events[m]
	}
	r.MeanBefore = float64(sum) / dayMin
	r.EventsMeanBefore = float64(esum) / dayMin
	for m := r.OutageEnd; m < r.OutageEnd+dayMin && m < len(r.Requests); m++ {
		if r.Requests[m] > r.PeakAfter {
			r.PeakAfter, r.PeakAt = r.Requests[m], m-r.OutageEnd
		}
		r.EventsPeakAfter = max(r.EventsPeakAfter, r.Events[m])
	}
	for m := r.OutageStart; m < r.OutageEnd; m++ {
		r.PeakDuring = max(r.PeakDuring, r.Requests[m])
	}
}

type sim struct {
	cfg                       Config
	outStart, outEnd, horizon time.Duration
	base                      time.Time
	hourCDF                   []float64
}

// counts is one worker's buckets, and room for one install's runs.
type counts struct {
	reqs, evs []int64
	runs      []time.Duration
}

// install is one installation's delivery state, as the uploader keeps it.
type install struct {
	failures       int
	next           time.Duration // the next attempt may start then
	pendingLogs    int
	pendingMetrics bool
	first          time.Duration // the first of the failures
}

// upload is one uploader run at t: it sends when the backoff allows, and
// records what the endpoint saw.
func (s *sim) upload(in *install, t time.Duration, rng *rand.Rand, c *counts) {
	if in.pendingLogs == 0 && !in.pendingMetrics || t < in.next || t >= s.horizon {
		return
	}
	m := int(t / time.Minute)
	if t >= s.outStart && t < s.outEnd {
		// Logs go first; the refusal ends the run.
		c.reqs[m]++
		in.failures++
		if in.failures == 1 {
			in.first = t
		}
		next := export.NextAttempt(in.failures, s.base.Add(in.first), s.base.Add(t), s.cfg.RetryAfter, rng.Float64())
		in.next = next.Sub(s.base)
		return
	}
	if in.pendingLogs > 0 {
		c.reqs[m]++
		c.evs[m] += int64(in.pendingLogs)
	}
	if in.pendingMetrics {
		c.reqs[m]++
	}
	*in = install{}
}

// cli plays out a CLI install: on the days its user works, sessions of runs
// at local times drawn from the diurnal curve. Each run records its usage
// ping when 12 h have passed since the last, now and then a milestone, and
// starts an upload when something is pending and the backoff allows.
func (s *sim) cli(rng *rand.Rand, c *counts) {
	offset := pick(rng, len(zones), func(i int) float64 { return zones[i].share })
	tz := time.Duration(zones[offset].offset * float64(time.Hour))
	u := users[pick(rng, len(users), func(i int) float64 { return users[i].share })]
	var in install
	lastPing := -time.Duration(rng.Float64() * float64(pingInterval))
	runs := c.runs[:0]
	days := int(s.horizon/day) + 2
	for d := -1; d < days; d++ {
		if rng.Float64() >= u.dayChance {
			continue
		}
		sessions := 1 + poisson(rng, 1.5)
		for range sessions {
			h := sample(rng, s.hourCDF)
			// Local time to UTC: a local hour h on day d is UTC h - offset.
			t := time.Duration(d)*day + time.Duration(h*float64(time.Hour)) - tz
			n := 1 + int(rng.ExpFloat64()*3)
			for range n {
				runs = append(runs, t)
				t += time.Duration((10 + rng.ExpFloat64()*120) * float64(time.Second))
			}
		}
	}
	sortDurations(runs)
	c.runs = runs
	for _, t := range runs {
		if t < 0 || t >= s.horizon {
			continue
		}
		if t-lastPing >= pingInterval {
			lastPing = t
			in.pendingLogs++
		}
		if rng.Float64() < milestoneChance {
			in.pendingLogs++
			in.pendingMetrics = true
		}
		// The detached uploader starts about a tenth of a second later.
		s.upload(&in, t+100*time.Millisecond, rng, c)
	}
}

// server plays out a server: a heartbeat (an event and a metrics delta)
// every interval from a random phase, each one kicking the background
// upload, which sends when the backoff allows.
func (s *sim) server(rng *rand.Rand, c *counts) {
	var in install
	hb := s.cfg.ServerHeartbeat
	for t := time.Duration(rng.Float64() * float64(hb)); t < s.horizon; t += hb {
		in.pendingLogs++
		in.pendingMetrics = true
		s.upload(&in, t, rng, c)
	}
}

func cdf(w []float64) []float64 {
	out := make([]float64, len(w))
	sum := 0.0
	for i, x := range w {
		sum += x
		out[i] = sum
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// sample draws an hour in [0, 24) from the hourly cdf, uniform within the hour.
func sample(rng *rand.Rand, c []float64) float64 {
	x := rng.Float64()
	for i, v := range c {
		if x < v {
			return float64(i) + rng.Float64()
		}
	}
	return float64(len(c)-1) + rng.Float64()
}

func pick(rng *rand.Rand, n int, weight func(int) float64) int {
	x := rng.Float64()
	for i := range n {
		x -= weight(i)
		if x < 0 {
			return i
		}
	}
	return n - 1
}

func poisson(rng *rand.Rand, mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p < l {
			return k
		}
		k++
	}
}

func sortDurations(d []time.Duration) {
	// insertion sort: an install has a few dozen runs
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

// Scenario is one named fleet and outage.
type Scenario struct {
	// Fleet names the mix of installs.
	Fleet string
	// Config is the simulation, without Installs, Outage and Seed.
	Config Config
}

// Scenarios are the cases the herd command prints and its test checks: a
// fleet of CLIs with the outage at the busiest hour (14:00 UTC, Europe's
// afternoon and the Americas' morning) and at a quiet one, refused with no
// Retry-After, with 5 min and with 1 h; and a mixed fleet with serverShare
// of servers.
func Scenarios(serverShare float64) []Scenario {
	var out []Scenario
	for _, hour := range []float64{14, 2} {
		for _, ra := range []time.Duration{0, 5 * time.Minute, time.Hour} {
			out = append(out, Scenario{"CLIs", Config{OutageStartUTC: hour, RetryAfter: ra}})
		}
	}
	for _, ra := range []time.Duration{0, 5 * time.Minute} {
		out = append(out, Scenario{fmt.Sprintf("%g%% servers", serverShare*100),
			Config{ServerShare: serverShare, OutageStartUTC: 14, RetryAfter: ra}})
	}
	return out
}

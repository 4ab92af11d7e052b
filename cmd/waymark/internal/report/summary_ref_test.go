package report

// This file keeps the report's former summary, computed from every event in memory, as the
// reference that the streaming report must equal on installs_30d, installs_1d, versions, os,
// arch and servers_live.

import (
	"math"
	"sort"
	"time"
)

const (
	refMonthWindow = 30 * 24 * time.Hour
	refDayWindow   = 24 * time.Hour
)

// refOptions shape a summary.
type refOptions struct {
	// Now is the end of every window. The report's CLI defaults it to the current time.
	Now time.Time
	// Funnel, if set, lists the milestones of the funnel in order; otherwise every milestone
	// seen is listed by installs, most first.
	Funnel []string
}

// refSummary is the report. Its JSON form is the output of `waymark report --json`.
type refSummary struct {
	// Installs30d and Installs1d count distinct installations with any event in the 30 days
	// (1 day) ending at Now.
	Installs30d int `json:"installs_30d"`
	Installs1d  int `json:"installs_1d"`
	// Funnel counts, per milestone, the installations that reached it by Now.
	Funnel []refFunnelStep `json:"funnel"`
	// Versions, OS and Arch map each value to the installations active in the last 30 days
	// whose latest event carried it.
	Versions map[string]int `json:"versions"`
	OS       map[string]int `json:"os"`
	Arch     map[string]int `json:"arch"`
	// ServersLive counts server sessions (by session.id) whose last heartbeat by Now is no
	// older than twice the heartbeat.interval_s it carried (DefaultHeartbeat if none).
	ServersLive int `json:"servers_live"`

	// Now is the end of the windows.
	Now time.Time `json:"-"`
	// Daily holds, oldest first, the distinct installs active on each of the 30 days ending at
	// Now (day i covers (Now-(30-i)d, Now-(29-i)d]).
	Daily []int `json:"-"`
	// Events is the number of distinct events up to Now; Duplicates how many repeats of an
	// event.id were left out.
	Events, Duplicates int `json:"-"`
}

// refFunnelStep is one milestone of the funnel.
type refFunnelStep struct {
	Milestone string `json:"milestone"`
	Installs  int    `json:"installs"`
	// Conversion is Installs over the installs of the funnel's first step (so the first step
	// is 1 when it has any), rounded to four decimals.
	Conversion float64 `json:"conversion"`
}

// refSummarize counts events as of opt.Now. Events with the same event.id are counted once (the
// earliest copy is kept); events after Now are ignored.
func refSummarize(events []refEvent, opt refOptions) *refSummary {
	now := opt.Now
	s := &refSummary{
		Funnel:   []refFunnelStep{},
		Versions: map[string]int{},
		OS:       map[string]int{},
		Arch:     map[string]int{},
		Now:      now,
		Daily:    make([]int, 30),
	}

	// Deduplicate by event.id, keeping the earliest copy.
	kept := make([]refEvent, 0, len(events))
	byID := make(map[string]int, len(events))
	for _, ev := range events {
		if ev.Time.After(now) {
			continue
		}
		if ev.EventID != "" {
			if i, ok := byID[ev.EventID]; ok {
				s.Duplicates++
				if ev.Time.Before(kept[i].Time) {
					kept[i] = ev
				}
				continue
			}
			byID[ev.EventID] = len(kept)
		}
		kept = append(kept, ev)
	}
	s.Events = len(kept)

	type install struct {
		last  refEvent // latest event within 30 days
		seen1 bool
	}
	active := map[string]*install{}
	daily := make([]map[string]bool, 30)
	reached := map[string]map[string]bool{} // milestone → installs
	type session struct {
		last     time.Time
		interval time.Duration
	}
	sessions := map[string]*session{}

	for _, ev := range kept {
		age := now.Sub(ev.Time)
		if age < refMonthWindow {
			in := active[ev.InstallationID]
			if in == nil {
				in = &install{last: ev}
				active[ev.InstallationID] = in
			} else if !ev.Time.Before(in.last.Time) {
				in.last = ev
			}
			if age < refDayWindow {
				in.seen1 = true
			}
			d := 29 - int(age/refDayWindow)
			if daily[d] == nil {
				daily[d] = map[string]bool{}
			}
			daily[d][ev.InstallationID] = true
		}
		switch ev.Name {
		case refMilestone:
			if reached[ev.Milestone] == nil {
				reached[ev.Milestone] = map[string]bool{}
			}
			reached[ev.Milestone][ev.InstallationID] = true
		case refHeartbeat:
			key := ev.SessionID
			if key == "" {
				key = "install:" + ev.InstallationID
			}
			ss := sessions[key]
			if ss == nil {
				ss = &session{}
				sessions[key] = ss
			}
			if !ev.Time.Before(ss.last) {
				ss.last = ev.Time
				if ev.HeartbeatInterval > 0 {
					ss.interval = ev.HeartbeatInterval
				}
			}
		}
	}

	for _, in := range active {
		s.Installs30d++
		if in.seen1 {
			s.Installs1d++
		}
		s.Versions[refValueOr(in.last.Version)]++
		s.OS[refValueOr(in.last.OS)]++
		s.Arch[refValueOr(in.last.Arch)]++
	}
	for i, d := range daily {
		s.Daily[i] = len(d)
	}
	for _, ss := range sessions {
		if ss.interval == 0 {
			ss.interval = DefaultHeartbeat
		}
		if now.Sub(ss.last) <= 2*ss.interval {
			s.ServersLive++
		}
	}

	steps := opt.Funnel
	if len(steps) == 0 {
		for m := range reached {
			steps = append(steps, m)
		}
		sort.Slice(steps, func(i, j int) bool {
			a, b := len(reached[steps[i]]), len(reached[steps[j]])
			if a != b {
				return a > b
			}
			return steps[i] < steps[j]
		})
	}
	for _, m := range steps {
		s.Funnel = append(s.Funnel, refFunnelStep{Milestone: m, Installs: len(reached[m])})
	}
	if len(s.Funnel) > 0 && s.Funnel[0].Installs > 0 {
		top := float64(s.Funnel[0].Installs)
		for i := range s.Funnel {
			s.Funnel[i].Conversion = math.Round(float64(s.Funnel[i].Installs)/top*1e4) / 1e4
		}
	}
	return s
}

// refValueOr names a missing attribute value so that it still shows in a map.
func refValueOr(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}

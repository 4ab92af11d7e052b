package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func ev(name, install string, ago time.Duration, mods ...func(*Event)) Event {
	e := Event{Name: name, InstallationID: install, Time: now.Add(-ago), Version: "1.0.0", OS: "linux", Arch: "amd64"}
	for _, m := range mods {
		m(&e)
	}
	return e
}

func id(s string) func(*Event)        { return func(e *Event) { e.EventID = s } }
func milestone(s string) func(*Event) { return func(e *Event) { e.Milestone = s } }
func version(s string) func(*Event)   { return func(e *Event) { e.Version = s } }
func session(s string, iv time.Duration) func(*Event) {
	return func(e *Event) { e.SessionID, e.HeartbeatInterval = s, iv }
}

func TestSummarizeWindows(t *testing.T) {
	s := Summarize([]Event{
		ev(EventUsage, "a", 0),                       // at Now: counted
		ev(EventUsage, "b", Day-time.Nanosecond),     // just inside 1 day
		ev(EventUsage, "c", Day),                     // 30 days only
		ev(EventUsage, "d", Month-time.Nanosecond),   // just inside 30 days
		ev(EventUsage, "e", Month),                   // outside
		ev(EventUsage, "f", -time.Second),            // after Now: ignored
		ev(EventUsage, "a", 2*Day, version("0.9.0")), // older version of a: a counts under 1.0.0
	}, Options{Now: now})
	if s.Installs30d != 4 || s.Installs1d != 2 {
		t.Errorf("30d, 1d = %d, %d; want 4, 2", s.Installs30d, s.Installs1d)
	}
	if s.Versions["1.0.0"] != 4 || len(s.Versions) != 1 {
		t.Errorf("versions = %v; want each install under its latest version", s.Versions)
	}
	if s.Daily[29] != 2 || s.Daily[28] != 1 || s.Daily[0] != 1 {
		t.Errorf("daily = %v", s.Daily)
	}
}

func TestSummarizeDuplicates(t *testing.T) {
	s := Summarize([]Event{
		ev(EventMilestone, "a", time.Hour, id("x"), milestone("first_run")),
		ev(EventMilestone, "a", 40*Day, id("x"), milestone("first_run")), // same event, replayed with an older time
		ev(EventMilestone, "b", time.Hour, id("y"), milestone("first_run")),
		ev(EventMilestone, "b", time.Hour, id("y"), milestone("first_run")),
	}, Options{Now: now})
	if s.Duplicates != 2 || s.Events != 2 {
		t.Errorf("events, duplicates = %d, %d; want 2, 2", s.Events, s.Duplicates)
	}
	// The earliest copy of x is kept, so install a was last active 40 days ago.
	if s.Installs30d != 1 {
		t.Errorf("installs_30d = %d, want 1", s.Installs30d)
	}
	if len(s.Funnel) != 1 || s.Funnel[0].Installs != 2 {
		t.Errorf("funnel = %+v", s.Funnel)
	}
}

func TestSummarizeServersLive(t *testing.T) {
	s := Summarize([]Event{
		ev(EventHeartbeat, "srv", 2*time.Minute, session("live", time.Minute)),    // exactly 2 intervals: live
		ev(EventHeartbeat, "srv", 121*time.Second, session("late", time.Minute)),  // just over: not live
		ev(EventHeartbeat, "srv", time.Second, session("late2", 0)),               // no interval: SDK default 10 min
		ev(EventHeartbeat, "srv", 30*time.Minute, session("old", 10*time.Minute)), // stale
		ev(EventHeartbeat, "srv", 5*time.Second, session("old", 10*time.Minute)),  // but beat again: live
		ev(EventHeartbeat, "srv", -time.Second, session("future", time.Minute)),   // after Now: ignored
	}, Options{Now: now})
	if s.ServersLive != 3 {
		t.Errorf("servers_live = %d, want 3", s.ServersLive)
	}
}

func TestSummarizeFunnel(t *testing.T) {
	evs := []Event{
		ev(EventMilestone, "a", time.Hour, milestone("first_run")),
		ev(EventMilestone, "b", time.Hour, milestone("first_run")),
		ev(EventMilestone, "c", time.Hour, milestone("first_run")),
		ev(EventMilestone, "a", time.Hour, milestone("first_deploy")),
		ev(EventMilestone, "c", 400*Day, milestone("first_project")), // long ago still counts
	}
	s := Summarize(evs, Options{Now: now, Funnel: []string{"first_deploy", "first_run", "never"}})
	want := []FunnelStep{{"first_deploy", 1, 1}, {"first_run", 3, 3}, {"never", 0, 0}}
	for i, w := range want {
		if s.Funnel[i] != w {
			t.Errorf("step %d = %+v, want %+v", i, s.Funnel[i], w)
		}
	}
	s = Summarize(evs, Options{Now: now})
	var names []string
	for _, f := range s.Funnel {
		names = append(names, f.Milestone)
	}
	if strings.Join(names, ",") != "first_run,first_deploy,first_project" {
		t.Errorf("default order = %v", names)
	}
	if s.Funnel[1].Conversion != 0.3333 {
		t.Errorf("conversion = %v, want 0.3333", s.Funnel[1].Conversion)
	}
}

func TestEmptySummaryJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, Summarize(nil, Options{Now: now})); err != nil {
		t.Fatal(err)
	}
	want := `{"installs_30d":0,"installs_1d":0,"funnel":[],"versions":{},"os":{},"arch":{},"servers_live":0}`
	if got := strings.Join(strings.Fields(b.String()), ""); got != want {
		t.Errorf("empty report = %s, want %s", got, want)
	}
}

func TestHTMLEscapesClientValues(t *testing.T) {
	s := Summarize([]Event{ev(EventMilestone, "a", time.Hour, milestone(`<script>alert(1)</script>`), version(`"><svg onload=x>`))}, Options{Now: now})
	var b bytes.Buffer
	if err := WriteHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script") || strings.Contains(b.String(), "<svg onload") {
		t.Errorf("client-controlled values were not escaped:\n%s", b.String())
	}
}

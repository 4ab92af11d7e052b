package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// shownEvent is one event of `acme telemetry show --json`.
type shownEvent struct {
	SentAt     string         `json:"sent_at"`
	Event      string         `json:"event"`
	Time       string         `json:"time"`
	Attributes map[string]any `json:"attributes"`
	Resource   map[string]any `json:"resource"`
}

type shown struct {
	Sent    []shownEvent `json:"sent"`
	Pending []shownEvent `json:"pending"`
}

// showJSON runs `acme telemetry show --json` and decodes it.
func showJSON(t *testing.T, in *Install, env []string) shown {
	t.Helper()
	r := in.Run(env, "telemetry", "show", "--json")
	if r.Code != 0 {
		t.Fatalf("telemetry show --json: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	var v shown
	if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil {
		t.Fatalf("telemetry show --json is not JSON: %v\n%s", err, r.Stdout)
	}
	if v.Sent == nil || v.Pending == nil {
		t.Fatalf("telemetry show --json lacks a list:\n%s", r.Stdout)
	}
	return v
}

func named(evs []shownEvent, name string) []shownEvent {
	var out []shownEvent
	for _, e := range evs {
		if e.Event == name {
			out = append(out, e)
		}
	}
	return out
}

// After a delivered `acme hello`, `acme telemetry show
// --json` lists the milestone with the event.id and resource the endpoint
// received, as sent, and no longer as pending.
func TestShowListsDeliveredMilestone(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	in := newInstall(t, col.URL)
	in.MustRun(nil, "hello")
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) > 0 }) {
		t.Fatalf("no milestone arrived; got %d requests", len(col.Requests()))
	}
	got := col.Named("waymark.milestone")
	if len(got) != 1 || got[0].Attrs["event.id"] == "" {
		t.Fatalf("endpoint got %+v, want one milestone with an event.id", got)
	}
	want := got[0]

	// The uploader notes the event right after the endpoint's answer.
	var v shown
	deadline := time.Now().Add(deliveryWait)
	for {
		v = showJSON(t, in, nil)
		if len(named(v.Sent, "waymark.milestone")) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	sent := named(v.Sent, "waymark.milestone")
	if len(sent) != 1 {
		t.Fatalf("show lists %d sent milestones, want 1: %+v", len(sent), v)
	}
	e := sent[0]
	if e.Attributes["event.id"] != want.Attrs["event.id"] {
		t.Errorf("show lists event.id %v, the endpoint received %s", e.Attributes["event.id"], want.Attrs["event.id"])
	}
	if e.Attributes["milestone.name"] != "first_run" {
		t.Errorf("milestone.name = %v", e.Attributes["milestone.name"])
	}
	for k, w := range want.Resource {
		if e.Resource[k] != w {
			t.Errorf("resource %s = %v, the endpoint received %q", k, e.Resource[k], w)
		}
	}
	if len(e.Resource) != len(want.Resource) {
		t.Errorf("show lists resource %v, the endpoint received %v", e.Resource, want.Resource)
	}
	if _, err := time.Parse(time.RFC3339, e.SentAt); err != nil {
		t.Errorf("sent_at %q: %v", e.SentAt, err)
	}
	if _, err := time.Parse(time.RFC3339Nano, e.Time); err != nil {
		t.Errorf("time %q: %v", e.Time, err)
	}
	if p := named(v.Pending, "waymark.milestone"); len(p) != 0 {
		t.Errorf("the delivered milestone is still listed as pending: %+v", p)
	}
}

// While the endpoint refuses, the milestone is listed as pending with the
// event.id it will be sent with, and nothing as sent.
func TestShowListsPendingWhileEndpointRefuses(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	col.Status = http.StatusServiceUnavailable
	in := newInstall(t, col.URL)
	in.MustRun(nil, "hello")
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) > 0 }) {
		t.Fatalf("no attempt arrived; got %d requests", len(col.Requests()))
	}
	tried := col.Named("waymark.milestone")[0].Attrs["event.id"]
	v := showJSON(t, in, nil)
	if len(v.Sent) != 0 {
		t.Errorf("refused events listed as sent: %+v", v.Sent)
	}
	p := named(v.Pending, "waymark.milestone")
	if len(p) != 1 || p[0].Attributes["event.id"] != tried || p[0].SentAt != "" {
		t.Errorf("pending milestones %+v, want one with event.id %s", p, tried)
	}
}

// show with telemetry off prints empty lists and creates nothing.
func TestShowWhileOffCreatesNothing(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	in := newInstall(t, col.URL)
	v := showJSON(t, in, []string{"DO_NOT_TRACK=1"})
	if len(v.Sent)+len(v.Pending) != 0 {
		t.Errorf("show of a new install: %+v", v)
	}
	if fs := files(t, in.Home); len(fs) != 0 {
		t.Errorf("telemetry show wrote files: %v", fs)
	}
}

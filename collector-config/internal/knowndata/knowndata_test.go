package knowndata

import (
	"reflect"
	"testing"
	"time"
)

func history(t *testing.T, seed uint64) []Event {
	t.Helper()
	var all []Event
	cfg := Config{Seed: seed, Now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC), Days: 60, Installs: 200, Servers: true}
	if err := Generate(cfg, func(evs []Event) error { all = append(all, evs...); return nil }); err != nil {
		t.Fatal(err)
	}
	return all
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := history(t, 7), history(t, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave two histories")
	}
	if c := history(t, 8); reflect.DeepEqual(a, c) {
		t.Fatal("two seeds gave the same history")
	}
}

func TestGenerateShape(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	evs := history(t, 7)
	ids := map[string]bool{}
	names := map[string]int{}
	for _, e := range evs {
		if !e.Time.Before(now) || e.Time.Before(now.AddDate(0, 0, -70)) {
			t.Fatalf("event at %v, outside the history", e.Time)
		}
		if ids[e.ID] {
			t.Fatalf("event.id %s twice", e.ID)
		}
		ids[e.ID] = true
		names[e.Name]++
	}
	for _, n := range []string{Milestone, Usage, Heartbeat, Error} {
		if names[n] == 0 {
			t.Errorf("no %s event", n)
		}
	}
	n := 0
	for _, r := range Requests(evs, 100) {
		if len(r.ResourceLogs) != 1 || len(r.ResourceLogs[0].ScopeLogs[0].LogRecords) > 100 {
			t.Fatalf("request of %d resources", len(r.ResourceLogs))
		}
		n += len(r.ResourceLogs[0].ScopeLogs[0].LogRecords)
	}
	if n != len(evs) {
		t.Errorf("requests hold %d records, want %d", n, len(evs))
	}
}

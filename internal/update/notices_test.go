package update

import (
	"reflect"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
)

func TestNotices(t *testing.T) {
	m, err := Parse([]byte(`{
	  "latest": "9.9.9",
	  "url": "https://acme.dev/dl",
	  "alerts": [
	    {"id": "A1", "affected": "<9.0.0", "message": "Upgrade, please.", "url": "https://acme.dev/a1"},
	    {"id": "A2", "affected": ">=2.0.0", "message": "Not for us."},
	    {"id": "A3", "affected": "^1.0.0", "message": "Unknown syntax: skipped."},
	    {"id": "A4", "affected": "=1.4.2", "message": "Exactly us."}
	  ]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	c := Cache{Manifest: m}
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	first := []string{
		"acme 1.4.2 → 9.9.9 available: https://acme.dev/dl",
		"acme security alert A1: Upgrade, please. https://acme.dev/a1",
		"acme security alert A4: Exactly us.",
	}
	if got := Notices(&c, "acme", "1.4.2", now); !reflect.DeepEqual(got, first) {
		t.Fatalf("first run:\n got %q\nwant %q", got, first)
	}
	if !c.UpdateShown.Equal(now) || !c.AlertShown["A1"].Equal(now) || !c.AlertShown["A4"].Equal(now) {
		t.Errorf("Notices did not record what it showed: %+v", c)
	}
	if _, ok := c.AlertShown["A2"]; ok {
		t.Error("an alert that was not shown was recorded")
	}
	// Within a day: nothing.
	for _, d := range []time.Duration{time.Minute, 12 * time.Hour, 24*time.Hour - time.Second} {
		if got := Notices(&c, "acme", "1.4.2", now.Add(d)); len(got) != 0 {
			t.Errorf("%v later: %q, want nothing", d, got)
		}
	}
	// A day later: all again.
	later := now.Add(24 * time.Hour)
	if got := Notices(&c, "acme", "1.4.2", later); !reflect.DeepEqual(got, first) {
		t.Errorf("a day later:\n got %q\nwant %q", got, first)
	}
	// The clock went backwards: shown again rather than silenced.
	if got := Notices(&c, "acme", "1.4.2", now.Add(-time.Hour)); len(got) != 3 {
		t.Errorf("clock moved back: %q, want all three", got)
	}
}

func TestNoticesPerAlertClock(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	c := Cache{
		Manifest: Manifest{Alerts: []Alert{
			{ID: "old", Affected: "<2", Message: "m1"},
			{ID: "new", Affected: "<2", Message: "m2"},
		}},
		AlertShown: map[string]time.Time{
			"old":  now.Add(-25 * time.Hour),
			"new":  now.Add(-time.Hour),
			"gone": now.Add(-72 * time.Hour),
		},
	}
	got := Notices(&c, "acme", "1.0.0", now)
	want := []string{"acme security alert old: m1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, ok := c.AlertShown["gone"]; ok {
		t.Error("a stale entry was kept")
	}
	if !c.AlertShown["new"].Equal(now.Add(-time.Hour)) {
		t.Error("an alert that was not shown had its time changed")
	}
}

func TestNoticesNothing(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	m := Manifest{
		Latest: "1.5.0",
		URL:    "https://acme.dev/dl",
		Alerts: []Alert{{ID: "A1", Affected: "<1.4.3", Message: "m"}},
	}
	for _, tc := range []struct{ name, current string }{
		{"current is latest", "1.5.0"},
		{"current is newer", "1.6.0"},
		{"current is latest with build metadata", "1.5.0+linux"},
		{"current is a v-prefixed latest", "v1.5.0"},
		{"current unparseable", "dev"},
		{"current empty", ""},
		{"current is a Go pseudo-devel", "(devel)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Cache{Manifest: m}
			if got := Notices(&c, "acme", tc.current, now); len(got) != 0 {
				t.Errorf("Notices = %q, want nothing", got)
			}
			if !c.UpdateShown.IsZero() || len(c.AlertShown) != 0 {
				t.Errorf("Notices recorded a notice it did not show: %+v", c)
			}
		})
	}
	if got := Notices(nil, "acme", "1.0.0", now); got != nil {
		t.Errorf("Notices(nil) = %q", got)
	}
	if got := Notices(&Cache{}, "acme", "1.0.0", now); got != nil {
		t.Errorf("Notices on an empty cache = %q", got)
	}
}

func TestNoticesUpdateOnly(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		m       Manifest
		current string
		want    []string
	}{
		{"pre-release current", Manifest{Latest: "1.5.0"}, "1.5.0-rc.1", []string{"acme 1.5.0-rc.1 → 1.5.0 available"}},
		{"canonical versions", Manifest{Latest: "v2.0.0+build.3", URL: "https://x.dev"}, "v1.0.0", []string{"acme 1.0.0 → 2.0.0 available: https://x.dev"}},
		{"latest unparseable", Manifest{Latest: "soon", Alerts: []Alert{{ID: "a", Affected: "<2", Message: "m"}}}, "1.0.0", []string{"acme security alert a: m"}},
		{"duplicate alert IDs", Manifest{Alerts: []Alert{{ID: "a", Affected: "<2", Message: "m1"}, {ID: "a", Affected: "<2", Message: "m2"}}}, "1.0.0", []string{"acme security alert a: m1"}},
		{"unsafe text from code", Manifest{Alerts: []Alert{{ID: "a\x1b", Affected: "<2", Message: "x\ny\u202e"}}}, "1.0.0", []string{"acme security alert a\uFFFD: x\uFFFDy\uFFFD"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Cache{Manifest: tc.m}
			if got := Notices(&c, "acme", tc.current, now); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNoticesPersisted runs the save/load cycle the caller performs between
// runs of the host.
func TestNoticesPersisted(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	m, _ := Parse([]byte(`{"latest":"9.9.9","alerts":[{"id":"A1","affected":"<9.0.0","message":"m"}]}`))
	if err := SaveCache(statedir.New(dir), Cache{FetchedAt: now, Manifest: m}); err != nil {
		t.Fatal(err)
	}
	run := func(at time.Time) []string {
		c, err := LoadCache(statedir.New(dir))
		if err != nil {
			t.Fatal(err)
		}
		lines := Notices(&c, "acme", "1.4.2", at)
		if err := SaveCache(statedir.New(dir), c); err != nil {
			t.Fatal(err)
		}
		return lines
	}
	if got := run(now.Add(time.Minute)); len(got) != 2 {
		t.Fatalf("first run: %q", got)
	}
	if got := run(now.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("second run: %q", got)
	}
	if got := run(now.Add(25 * time.Hour)); len(got) != 2 {
		t.Fatalf("next day: %q", got)
	}
}

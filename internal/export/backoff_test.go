package export

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
)

func TestNextBackoff(t *testing.T) {
	for _, tc := range []struct {
		failures int
		base     time.Duration
	}{
		{0, 0}, {-3, 0},
		{1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second},
		{8, 1280 * time.Second}, {9, 2560 * time.Second}, {10, time.Hour},
		{11, time.Hour}, {1000, time.Hour}, {math.MaxInt, time.Hour},
	} {
		lo := NextBackoff(tc.failures, func() float64 { return 0 })
		hi := NextBackoff(tc.failures, func() float64 { return 1 })
		if lo != tc.base/2 || hi != tc.base {
			t.Errorf("failures %d: range [%v, %v], want [%v, %v]", tc.failures, lo, hi, tc.base/2, tc.base)
		}
		for _, r := range []float64{-1, 2, math.NaN(), math.Inf(1)} {
			if d := NextBackoff(tc.failures, func() float64 { return r }); d < tc.base/2 || d > tc.base {
				t.Errorf("failures %d, rnd %v: %v out of range", tc.failures, r, d)
			}
		}
		for range 100 {
			if d := NextBackoff(tc.failures, nil); d < tc.base/2 || d > tc.base {
				t.Errorf("failures %d, default rnd: %v out of range", tc.failures, d)
			}
		}
	}
}

func TestReadDeliveryStateRecovers(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, content := range []string{"", "{", "garbage\x00", `{"failures":"x"}`, `[]`, "null"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, string(statedir.Delivery)), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if st := ReadDeliveryState(statedir.New(dir)); st != (DeliveryState{}) {
			t.Errorf("%q: %+v, want zero", content, st)
		}
		if !Due(statedir.New(dir), now) {
			t.Errorf("%q: not due", content)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if st := ReadDeliveryState(statedir.New(missing)); st != (DeliveryState{}) || !Due(statedir.New(missing), now) {
		t.Fatalf("missing dir: %+v", st)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatal("reading created the state dir")
	}
}

func TestDeliveryStateRoundTripAndDue(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	want := DeliveryState{Failures: 2, NextAttempt: now.Add(20 * time.Second), LastError: "boom",
		LastSuccess: now.Add(-time.Hour), Delivered: 7, Dropped: 1}
	if err := writeDeliveryState(statedir.New(dir), want); err != nil {
		t.Fatal(err)
	}
	if got := ReadDeliveryState(statedir.New(dir)); got != want {
		t.Fatalf("read %+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		at  time.Time
		due bool
	}{
		{now, false},
		{now.Add(19 * time.Second), false},
		{now.Add(20 * time.Second), true},
		{now.Add(time.Hour), true},
	} {
		if got := Due(statedir.New(dir), tc.at); got != tc.due {
			t.Errorf("Due at %v = %v, want %v", tc.at.Sub(now), got, tc.due)
		}
	}
	// A clock set back a day must not hold delivery off for a day.
	if !Due(statedir.New(dir), now.Add(-24*time.Hour)) {
		t.Error("not due after the clock went back a day")
	}
}

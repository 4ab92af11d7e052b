package herd

import (
	"testing"
	"time"
)

// testInstalls is the reduced fleet the test simulates: large enough that
// the busiest of 1 440 minutes is not mostly chance (at 20 000 installs the
// mean minute holds about 7 requests, and chance alone makes a minute of 3×
// that), small enough to run in seconds under the race detector.
const testInstalls = 200_000

// A fleet coming back after a 1-hour outage makes no minute busier than 3×
// the mean minute of the day before, in the hardest cases: CLIs refused at
// the busiest hour with no Retry-After, the same with Retry-After: 300, and
// a fleet with servers. The uploader's real backoff decides every retry, so
// a backoff that lets CLIs in mid-session all return at once fails here.
func TestFleetReturnsWithinThreeTimesTheMeanMinute(t *testing.T) {
	for _, sc := range []Scenario{
		{"CLIs", Config{OutageStartUTC: 14}},
		{"CLIs", Config{OutageStartUTC: 14, RetryAfter: 5 * time.Minute}},
		{"1% servers", Config{OutageStartUTC: 14, ServerShare: 0.01}},
	} {
		cfg := sc.Config
		cfg.Installs, cfg.Seed = testInstalls, 1
		r := Simulate(cfg)
		t.Logf("%s, Retry-After %v: mean %.1f/min before, peak %d/min at +%d min after: %.2f× (events %.2f×)",
			sc.Fleet, cfg.RetryAfter, r.MeanBefore, r.PeakAfter, r.PeakAt, r.Ratio(), r.EventsRatio())
		if r.MeanBefore < 10 || r.PeakDuring == 0 {
			t.Fatalf("%s: the simulation did not run: mean %.1f/min, %d requests in the outage's busiest minute",
				sc.Fleet, r.MeanBefore, r.PeakDuring)
		}
		if r.Ratio() > 3 {
			t.Errorf("%s, Retry-After %v: peak minute %.2f× the mean minute, want at most 3×", sc.Fleet, cfg.RetryAfter, r.Ratio())
		}
	}
}

// Told to wait an hour, a refused install does not try again during the
// outage; without a Retry-After it retries on its next runs.
func TestRetryAfterKeepsRefusedInstallsAway(t *testing.T) {
	with := Simulate(Config{Installs: 50_000, OutageStartUTC: 14, RetryAfter: time.Hour, Seed: 1})
	without := Simulate(Config{Installs: 50_000, OutageStartUTC: 14, Seed: 1})
	var w, wo int64
	for m := with.OutageStart; m < with.OutageEnd; m++ {
		w += with.Requests[m]
		wo += without.Requests[m]
	}
	if w >= wo {
		t.Fatalf("requests during the outage: %d with Retry-After: 1h, %d without", w, wo)
	}
	t.Logf("requests during the outage: %d with Retry-After: 1h, %d without", w, wo)
}

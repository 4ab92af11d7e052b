// Command herd simulates a fleet of Waymark installs through a collector
// outage, with the uploader's real backoff (export.NextAttempt), and prints
// how the fleet comes back: the busiest minute of the 24 h after the outage
// over the mean minute of the 24 h before, for requests and for events.
// It exits 1 when a request ratio exceeds -limit. See bench/README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/waymarkhq/waymark/bench/internal/herd"
)

func main() {
	installs := flag.Int("installs", 1_000_000, "installs in the fleet")
	servers := flag.Float64("servers", 0.01, "share of servers in the mixed fleet")
	outage := flag.Duration("outage", time.Hour, "how long the collector refuses every request")
	seed := flag.Uint64("seed", 1, "random seed")
	limit := flag.Float64("limit", 3, "largest request ratio that passes")
	flag.Parse()

	start := time.Now()
	fmt.Printf("herd: %d installs, a %v outage (every request answered 503), 1-minute buckets.\n", *installs, *outage)
	fmt.Printf("ratio: the busiest minute of the 24 h after the outage over the mean minute of the 24 h before.\n\n")
	fmt.Printf("%-12s %-10s %-12s %9s %9s %7s %8s %13s\n",
		"fleet", "outage at", "Retry-After", "mean/min", "peak/min", "ratio", "peak at", "events ratio")
	worst := 0.0
	for _, sc := range herd.Scenarios(*servers) {
		cfg := sc.Config
		cfg.Installs, cfg.Outage, cfg.Seed = *installs, *outage, *seed
		r := herd.Simulate(cfg)
		ra := "none"
		if cfg.RetryAfter > 0 {
			ra = cfg.RetryAfter.String()
		}
		fmt.Printf("%-12s %-10s %-12s %9.0f %9d %7.2f %8s %13.2f\n",
			sc.Fleet, fmt.Sprintf("%02.0f:00 UTC", cfg.OutageStartUTC), ra, r.MeanBefore, r.PeakAfter,
			r.Ratio(), fmt.Sprintf("+%dm", r.PeakAt), r.EventsRatio())
		worst = max(worst, r.Ratio())
	}
	verdict := "pass"
	if worst > *limit {
		verdict = "FAIL"
	}
	fmt.Printf("\nworst request ratio %.2f, limit %.1f: %s (%v)\n", worst, *limit, verdict, time.Since(start).Round(100*time.Millisecond))
	if worst > *limit {
		os.Exit(1)
	}
}

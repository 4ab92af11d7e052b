// Command loadgen measures how many Waymark events per second a collector ingests. It posts
// pre-encoded, gzipped OTLP/HTTP log requests shaped like the SDK's uploads (each request one
// fresh install with a milestone and a usage ping) from a few concurrent clients, for a
// bounded time and request count, and prints the rate of accepted events for each run and
// the median over runs.
//
//	go run ./collector-config/loadgen -endpoint http://127.0.0.1:4318 -duration 10s -runs 5
//
// It refuses any endpoint that is not on loopback: it is a measuring tool, not a load test of
// someone else's server.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4318", "collector base URL (loopback only)")
	duration := flag.Duration("duration", 10*time.Second, "length of one run (at most 60s)")
	runs := flag.Int("runs", 5, "number of runs (at most 20)")
	clients := flag.Int("clients", 8, "concurrent clients")
	maxRequests := flag.Int64("max-requests", 2_000_000, "stop a run after this many requests")
	flag.Parse()
	if err := run(*endpoint, *duration, *runs, *clients, *maxRequests); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

const eventsPerRequest = 2

func run(endpoint string, duration time.Duration, runs, clients int, maxRequests int64) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s is not on loopback", endpoint)
	}
	if duration <= 0 || duration > time.Minute || runs < 1 || runs > 20 || clients < 1 || clients > 256 {
		return fmt.Errorf("duration must be in (0, 60s], runs in [1, 20], clients in [1, 256]")
	}

	// Encode the requests up front so that the generator spends its time sending.
	bodies := make([][]byte, 4096)
	now := time.Now()
	for i := range bodies {
		in := otlpgen.NewInstall("acme", "1.4.2", []string{"linux", "darwin", "windows"}[i%3], []string{"amd64", "arm64"}[i%2])
		b, err := otlpgen.Encode(otlpgen.Logs(in, otlpgen.Milestone("first_run", now), otlpgen.Event("waymark.usage", now)), true)
		if err != nil {
			return err
		}
		bodies[i] = b
	}

	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	logsURL := endpoint + "/v1/logs"
	var rates []float64
	var total int64
	for r := 1; r <= runs; r++ {
		var ok, failed, sent atomic.Int64
		ctx, cancel := context.WithTimeout(context.Background(), duration)
		start := time.Now()
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := c; ctx.Err() == nil; i += clients {
					if sent.Add(1) > maxRequests {
						return
					}
					code, _, err := otlpgen.Post(ctx, client, logsURL, bodies[i%len(bodies)], true)
					switch {
					case ctx.Err() != nil:
					case err == nil && code == http.StatusOK:
						ok.Add(1)
					default:
						failed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		cancel()
		elapsed := time.Since(start).Seconds()
		rate := float64(ok.Load()*eventsPerRequest) / elapsed
		rates = append(rates, rate)
		total += ok.Load() * eventsPerRequest
		fmt.Printf("run %d: %d requests accepted, %d failed in %.1f s: %.0f events/s\n", r, ok.Load(), failed.Load(), elapsed, rate)
	}
	slices.Sort(rates)
	fmt.Printf("median of %d runs: %.0f events/s (%d clients, %d events per request)\n", runs, rates[len(rates)/2], clients, eventsPerRequest)
	fmt.Printf("total: %d events accepted\n", total)
	return nil
}

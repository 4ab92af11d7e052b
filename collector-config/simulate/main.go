// Command simulate writes or sends a realistic, repeatable history of Waymark telemetry: N CLI
// installs arriving over D days with growth and churn, several releases adopted over weeks, the
// quick-start funnel (first_run, first_project_created, first_deploy), servers with heartbeats
// and restarts, and a few error reports, all drawn from -seed (see package sim).
//
//	go run ./collector-config/simulate -installs 60000 -days 60 -seed 1 -out DIR
//	go run ./collector-config/simulate -installs 20000 -days 60 -seed 1 -products acme,acme-server \
//	    -endpoint http://127.0.0.1:4318
//
// -out DIR writes what the collector's file exporter would have stored with ingest.yaml
// (logs.jsonl and metrics.jsonl, rotated into <name>-<UTC time>.jsonl at -rotate-mb); the same
// flags give byte-identical files. -endpoint URL posts the same uploads as OTLP/HTTP protobuf
// (gzip) to URL/v1/logs and URL/v1/metrics, -batch uploads per request, in the order the
// collector would have received them; only loopback endpoints are accepted unless -any-host.
// It prints what it produced to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
	"github.com/waymarkhq/waymark/collector-config/internal/sim"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	var cfg sim.Config
	fs.IntVar(&cfg.Installs, "installs", 1000, "CLI installs arriving over the simulated days")
	fs.IntVar(&cfg.Days, "days", 60, "days of history")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed: the same seed and flags give the same history")
	products := fs.String("products", "acme", "the CLI's service.name, then optionally the servers' (comma-separated)")
	fs.IntVar(&cfg.Servers, "servers", 0, "server installs (default installs/2000, at least 1; -1 for none)")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat", time.Hour, "servers' heartbeat interval")
	fs.IntVar(&cfg.Releases, "releases", 5, "releases, the first shipped before the history starts")
	fs.Float64Var(&cfg.ErrorRate, "error-rate", 0.0005, "chance that an active install day sends an error report (-1 for none)")
	end := fs.String("end", "2026-11-20", "end of the history, a date (00:00 UTC) or RFC 3339 time")
	out := fs.String("out", "", "write the collector's files into `DIR`")
	rotateMB := fs.Int("rotate-mb", 64, "rotate files at this size, as ingest.yaml")
	endpoint := fs.String("endpoint", "", "post OTLP/HTTP to this collector base `URL` instead")
	batch := fs.Int("batch", 100, "uploads per request with -endpoint")
	anyHost := fs.Bool("any-host", false, "allow an -endpoint that is not on loopback")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.Products = strings.Split(*products, ",")
	t, err := time.Parse(time.RFC3339, *end)
	if err != nil {
		if t, err = time.Parse("2006-01-02", *end); err != nil {
			return fmt.Errorf("-end: %q is neither a date nor RFC 3339", *end)
		}
	}
	cfg.End = t
	if (*out == "") == (*endpoint == "") {
		return errors.New("give exactly one of -out DIR and -endpoint URL")
	}

	var st sim.Stats
	start := time.Now()
	if *out != "" {
		w, err := sim.NewFileWriter(*out, int64(*rotateMB)<<20)
		if err != nil {
			return err
		}
		st, err = sim.Run(cfg, w.Write)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	} else {
		if *batch < 1 || *batch > 1000 {
			return errors.New("-batch must be in [1, 1000]")
		}
		u, err := url.Parse(*endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-endpoint %q is not an http(s) URL", *endpoint)
		}
		if ip := net.ParseIP(u.Hostname()); !*anyHost && u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("%s is not on loopback (use -any-host to allow it)", *endpoint)
		}
		s := &sender{base: strings.TrimSuffix(*endpoint, "/"), client: &http.Client{Timeout: 30 * time.Second}, batch: *batch}
		st, err = sim.Run(cfg, s.add)
		if err == nil {
			err = s.flush()
		}
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "simulate: %d installs, %d servers (%d sessions), %d uploads, %d events (%d repeated by retries) in %.1fs\n",
		st.Installs, st.Servers, st.Sessions, st.Uploads, st.Events, st.Duplicates, time.Since(start).Seconds())
	return nil
}

// sender posts uploads in batches, logs and metrics apart, as the SDK posts them.
type sender struct {
	base    string
	client  *http.Client
	batch   int
	pending []*sim.Upload
}

func (s *sender) add(u *sim.Upload) error {
	s.pending = append(s.pending, u)
	if len(s.pending) >= s.batch {
		return s.flush()
	}
	return nil
}

func (s *sender) flush() error {
	if len(s.pending) == 0 {
		return nil
	}
	if err := s.post("/v1/logs", sim.LogsData(s.pending)); err != nil {
		return err
	}
	if m := sim.MetricsData(s.pending); m != nil {
		if err := s.post("/v1/metrics", m); err != nil {
			return err
		}
	}
	s.pending = s.pending[:0]
	return nil
}

func (s *sender) post(path string, msg proto.Message) error {
	body, err := otlpgen.Encode(msg, true)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code, text, err := otlpgen.Post(ctx, s.client, s.base+path, body, true)
		cancel()
		if err == nil && code == http.StatusOK {
			return nil
		}
		retry := err != nil || code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable || code == http.StatusBadGateway
		if !retry || attempt == 5 {
			if err != nil {
				return fmt.Errorf("post %s: %w", path, err)
			}
			return fmt.Errorf("post %s: %d %s", path, code, strings.TrimSpace(text))
		}
		time.Sleep(time.Duration(200<<attempt) * time.Millisecond)
	}
}

// Command vlsizing measures VictoriaLogs as Waymark's events backend: it sends a known history
// (package knowndata: installs over days, with a funnel, releases, churn, error reports and
// servers) as OTLP/HTTP log requests to a collector (or straight to VictoriaLogs), waits until
// VictoriaLogs holds every record, and times each query of package logsql.
//
//	go run ./collector-config/vlsizing -installs 120000 -send http://127.0.0.1:4318/v1/logs \
//	  -victorialogs http://127.0.0.1:9428
//
// It prints the events sent and the wall time, then one line per query with its median time
// over -repeat runs. It talks only to loopback addresses.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/collector-config/internal/knowndata"
	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
	"github.com/waymarkhq/waymark/collector-config/logsql"
)

func main() {
	send := flag.String("send", "", "OTLP logs URL to send the history to (collector /v1/logs or VictoriaLogs /insert/opentelemetry/v1/logs); empty: send nothing")
	vl := flag.String("victorialogs", "http://127.0.0.1:9428", "VictoriaLogs base URL to query")
	installs := flag.Int("installs", 1000, "CLI installs of the main product (a second one gets a sixth as many)")
	days := flag.Int("days", 60, "days of history")
	seed := flag.Uint64("seed", 1, "history seed")
	nowFlag := flag.String("now", "", "end of the history, RFC 3339 (default: the current minute)")
	clients := flag.Int("clients", 8, "concurrent senders")
	repeat := flag.Int("repeat", 5, "runs of each query")
	expect := flag.Int("expect", 0, "records VictoriaLogs must hold before querying (default: what was sent)")
	cpuPID := flag.Int("cpu-pid", 0, "VictoriaLogs' process id: also print the CPU time it spent on each query (Linux)")
	batch := flag.Int("batch", 0, "merge requests up to this many records, as the collector's exporter batches what leaves its queue (0: one request per install, as the SDK sends)")
	flag.Parse()
	if err := run(*send, *vl, *installs, *days, *seed, *nowFlag, *clients, *repeat, *expect, *batch, *cpuPID); err != nil {
		fmt.Fprintln(os.Stderr, "vlsizing:", err)
		os.Exit(1)
	}
}

func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s is not on loopback", raw)
	}
	return nil
}

func run(send, vl string, installs, days int, seed uint64, nowFlag string, clients, repeat, expect, batch, cpuPID int) error {
	for _, u := range []string{send, vl} {
		if u != "" {
			if err := loopback(u); err != nil {
				return err
			}
		}
	}
	now := time.Now().UTC().Truncate(time.Minute)
	if nowFlag != "" {
		t, err := time.Parse(time.RFC3339, nowFlag)
		if err != nil {
			return err
		}
		now = t
	}
	ctx := context.Background()
	if send != "" {
		sent, took, err := sendHistory(ctx, send, knowndata.Config{Seed: seed, Now: now, Days: days, Installs: installs, Servers: true}, clients, batch)
		if err != nil {
			return err
		}
		fmt.Printf("sent %d events in %v (%.0f events/s) to %s\n", sent, took.Round(time.Millisecond), float64(sent)/took.Seconds(), send)
		if expect == 0 {
			expect = sent
		}
	}
	if vl == "" {
		return nil
	}
	start := time.Now()
	for {
		rows, err := logsql.Run(ctx, http.DefaultClient, vl, `* | stats count() as records`, now)
		if err == nil && len(rows) == 1 {
			n, _ := strconv.Atoi(rows[0]["records"])
			if expect == 0 || n >= expect {
				fmt.Printf("VictoriaLogs holds %d records (%v after sending)\n", n, time.Since(start).Round(time.Millisecond))
				break
			}
		}
		if time.Since(start) > 10*time.Minute {
			return fmt.Errorf("VictoriaLogs did not reach %d records in 10 minutes: %v %v", expect, rows, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if repeat < 1 {
		return nil
	}
	c := &http.Client{Timeout: 10 * time.Minute}
	for _, q := range logsql.Queries() {
		var times, cpus []time.Duration
		var rows []logsql.Row
		for range repeat {
			c0 := cpuTime(cpuPID)
			t0 := time.Now()
			r, err := logsql.Run(ctx, c, vl, q.LogsQL, now)
			if err != nil {
				return fmt.Errorf("%s: %w", q.Name, err)
			}
			times = append(times, time.Since(t0))
			cpus = append(cpus, cpuTime(cpuPID)-c0)
			rows = r
		}
		slices.Sort(times)
		slices.Sort(cpus)
		cpu := ""
		if cpuPID > 0 {
			cpu = fmt.Sprintf("  VictoriaLogs CPU median %8v", cpus[len(cpus)/2])
		}
		fmt.Printf("query %-16s %5d rows  median %8v  min %8v  max %8v%s\n", q.Name, len(rows),
			times[len(times)/2].Round(time.Millisecond), times[0].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond), cpu)
	}
	return nil
}

var gzips = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}

// encode marshals and gzips m, reusing gzip writers: a fresh writer per request costs more
// than the rest of the generator.
func encode(m *logspb.LogsData) ([]byte, error) {
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := gzips.Get().(*gzip.Writer)
	defer gzips.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sendHistory generates the history install by install and posts its requests from clients
// concurrent senders; it returns the events sent and the time taken.
func sendHistory(ctx context.Context, endpoint string, cfg knowndata.Config, clients, batch int) (int, time.Duration, error) {
	work := make(chan *logspb.LogsData, 4*clients)
	var sent atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	client := &http.Client{Timeout: time.Minute}
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range work {
				for attempt := 0; ; attempt++ {
					b, err := encode(m)
					if err != nil {
						once.Do(func() { firstErr = err })
						break
					}
					code, body, err := otlpgen.Post(ctx, client, endpoint, b, true)
					if err == nil && code == http.StatusOK {
						sent.Add(int64(records(m)))
						break
					}
					// The collector's memory limiter refuses with 429/503 under load: back off.
					if err == nil && (code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable) && attempt < 20 {
						time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
						continue
					}
					once.Do(func() { firstErr = fmt.Errorf("send: %d %s %v", code, body, err) })
					break
				}
			}
		}()
	}
	start := time.Now()
	var pending *logspb.LogsData
	err := knowndata.Generate(cfg, func(evs []knowndata.Event) error {
		for _, r := range knowndata.Requests(evs, 100) {
			if batch <= 0 {
				work <- r
				continue
			}
			if pending == nil {
				pending = r
			} else {
				pending.ResourceLogs = append(pending.ResourceLogs, r.ResourceLogs...)
			}
			if records(pending) >= batch {
				work <- pending
				pending = nil
			}
		}
		return nil
	})
	if pending != nil {
		work <- pending
	}
	close(work)
	wg.Wait()
	if err == nil {
		err = firstErr
	}
	return int(sent.Load()), time.Since(start), err
}

// records counts the log records of m.
func records(m *logspb.LogsData) int {
	n := 0
	for _, rl := range m.ResourceLogs {
		for _, sl := range rl.ScopeLogs {
			n += len(sl.LogRecords)
		}
	}
	return n
}

// cpuTime is the user and system CPU time process pid has used, from /proc (Linux, clock
// ticks of 10 ms); zero when pid is 0 or unreadable.
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis
	// start with field 3, so utime and stime (fields 14 and 15) are at 11 and 12.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

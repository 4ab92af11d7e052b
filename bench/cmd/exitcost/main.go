// Command exitcost measures what telemetry adds to a CLI's run, exit
// included (the exit budget: at most +2 ms median): `acme hello` with telemetry on
// against the same with ACME_TELEMETRY=off, interleaved, for a collector
// that is up, refusing, black-holed (accepts, never answers) and 200 ms
// slow. Budget: at most +2 ms, median of the paired differences, in every
// case. The headline case is the black-holed endpoint with events pending,
// so each install is seeded (`acme hello` and `acme deploy` against its
// endpoint) and the driver checks that `telemetry status --json` reports
// them pending. It then checks that no acme process is left 15 s after the
// last run . It prints PASS or FAIL per budget and exits
// 1 on a FAIL.
//
// Run it from the module root:
//
//	go run ./bench/cmd/exitcost [-pairs 100] [-warmup 10] [-linger 15s]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waymarkhq/waymark/bench/internal/measure"
)

const exitBudget = 2 * time.Millisecond

// collector is one endpoint behaviour; hits counts the connections it
// accepted (each one is an uploader that got as far as the network).
type collector struct {
	name  string
	url   string
	hits  atomic.Int64
	close func()
}

// scenario is one measured case.
type scenario struct {
	col *collector
	// inFlight measures right after seeding, while the seed's uploader is
	// still waiting on the endpoint and no failure is recorded yet, instead
	// of in the steady state that follows.
	inFlight bool
	// headline marks the case the exit budget names; it must have events pending.
	headline bool
	// budgeted cases decide the exit status; the others are shown for
	// understanding.
	budgeted bool
}

func (s scenario) label() string {
	if s.inFlight {
		return s.col.name + ", upload in flight"
	}
	return s.col.name
}

// status is the part of `acme telemetry status --json` this driver reads.
type status struct {
	Mode     string `json:"mode"`
	Reason   string `json:"reason"`
	Pending  int    `json:"pending"`
	Delivery *struct {
		Delivered   int64   `json:"delivered"`
		Failures    int     `json:"failures"`
		NextAttempt *string `json:"next_attempt"`
	} `json:"delivery"`
}

func (s status) String() string {
	out := fmt.Sprintf("mode %s, pending %d", s.Mode, s.Pending)
	if d := s.Delivery; d != nil {
		out += fmt.Sprintf(", delivered %d, failures %d", d.Delivered, d.Failures)
	}
	return out
}

// result is what one scenario measured.
type result struct {
	sc            scenario
	on, off, diff time.Duration
	p90diff       time.Duration
	cpuOn, cpuOff time.Duration
	cpuDiff       time.Duration
	pairs         int
	before, after status
	hits          int64
	uploadersSeen int
	ok            bool
	invalid       string
}

func main() {
	pairs := flag.Int("pairs", 100, "timed pairs (on, off) per scenario, interleaved, after the warm-up")
	warmup := flag.Int("warmup", 10, "untimed pairs first")
	linger := flag.Duration("linger", 15*time.Second, "how long after the last run no acme process may remain")
	keep := flag.Bool("keep", false, "keep the temporary directory (binary, HOMEs, state dirs)")
	flag.Parse()
	ok, err := run(*pairs, *warmup, *linger, *keep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "exitcost:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(pairs, warmup int, linger time.Duration, keep bool) (bool, error) {
	if pairs < 1 || warmup < 0 || pairs > 10000 || warmup > 10000 || linger < 0 || linger > 10*time.Minute {
		return false, fmt.Errorf("bad flags: -pairs %d -warmup %d -linger %v", pairs, warmup, linger)
	}
	root, err := measure.ModuleRoot()
	if err != nil {
		return false, err
	}
	tmp, cleanup, err := measure.Workdir("exitcost", keep)
	if err != nil {
		return false, err
	}
	defer cleanup()
	acme := filepath.Join(tmp, "acme")
	fmt.Println("building examples/cli as", acme, "...")
	if err := measure.Build(root, "./examples/cli", acme, "-trimpath"); err != nil {
		return false, err
	}

	up, err := httpCollector("up", 0)
	if err != nil {
		return false, err
	}
	defer up.close()
	slow, err := httpCollector("200 ms slow", 200*time.Millisecond)
	if err != nil {
		return false, err
	}
	defer slow.close()
	hole, err := blackHole()
	if err != nil {
		return false, err
	}
	defer hole.close()
	refusing, err := closedPort()
	if err != nil {
		return false, err
	}
	scenarios := []scenario{
		{col: up, budgeted: true},
		{col: refusing, budgeted: true},
		{col: slow, budgeted: true},
		{col: hole, inFlight: true},
		{col: hole, budgeted: true, headline: true},
	}

	var results []result
	var lastRun time.Time
	for i, sc := range scenarios {
		fmt.Printf("\n== %s (%s): seeding, %d warm-up + %d timed pairs\n", sc.label(), sc.col.url, warmup, pairs)
		r, err := measureScenario(acme, filepath.Join(tmp, "install-"+strconv.Itoa(i)), sc, pairs, warmup)
		if err != nil {
			return false, err
		}
		lastRun = time.Now()
		printResult(r)
		results = append(results, r)
	}

	fmt.Printf("\n== processes left: waiting until %v after the last run\n", linger)
	time.Sleep(time.Until(lastRun.Add(linger)))
	left := measure.Processes(acme)
	pg := pgrepCount(acme)
	leftOK := len(left) == 0 && pg <= 0
	fmt.Printf("acme processes %v after the last run: %d by /proc (pids %v), %s by pgrep -f   want 0   %s\n",
		linger, len(left), left, pgrepText(pg), measure.Verdict(leftOK))

	fmt.Printf("\n== summary: acme hello, telemetry on minus ACME_TELEMETRY=off, median of %d interleaved pairs (budget +2.000 ms)\n", pairs)
	ok := leftOK
	for _, r := range results {
		verdict := measure.Verdict(r.ok)
		if r.invalid != "" {
			verdict = "FAIL (invalid: " + r.invalid + ")"
		}
		if !r.sc.budgeted {
			verdict += " (transient, informational)"
		} else {
			ok = ok && r.ok
		}
		mark := ""
		if r.sc.headline {
			mark = "  <- headline: events pending, endpoint black-holed"
		}
		fmt.Printf("%-30s on %s  off %s  diff %s  (CPU diff %s)  %s%s\n", r.sc.label(),
			measure.MsAbs(r.on), measure.MsAbs(r.off), measure.Ms(r.diff), measure.Ms(r.cpuDiff), verdict, mark)
	}
	fmt.Printf("no acme process left after %v: %s\n", linger, measure.Verdict(leftOK))
	fmt.Printf("exitcost: %s\n", map[bool]string{true: "all budgets PASS", false: "a budget FAILED"}[ok])
	return ok, nil
}

// measureScenario makes a fresh install (its own HOME and state dir), seeds
// it against the scenario's endpoint, and times the pairs.
func measureScenario(acme, dir string, sc scenario, pairs, warmup int) (result, error) {
	r := result{sc: sc}
	home := filepath.Join(dir, "home")
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return r, err
	}
	envOn := measure.Env(home, "ACME_TELEMETRY_DIR="+state, "ACME_TELEMETRY_ENDPOINT="+sc.col.url)
	envOff := append(append([]string{}, envOn...), "ACME_TELEMETRY=off")

	// Seed: first_run, a usage ping and first_deploy are recorded and queued;
	// the runs' uploaders try the endpoint.
	for _, cmd := range []string{"hello", "deploy"} {
		if _, err := measure.Run(acme, []string{cmd}, envOn, nil); err != nil {
			return r, err
		}
	}
	seeded := time.Now()
	if !sc.inFlight {
		// Steady state: the seed's uploaders have finished (delivered, or
		// failed and set the backoff).
		measure.WaitNoProcess(acme, 15*time.Second)
	}
	var err error
	if r.before, err = readStatus(acme, envOn); err != nil {
		return r, err
	}
	if r.before.Mode != "on" {
		r.invalid = "telemetry is not on: " + r.before.Reason
	}
	hits0 := sc.col.hits.Load()
	seen := map[int]bool{}
	var on, off []measure.Sample
	for i := -warmup; i < pairs; i++ {
		if sc.inFlight && time.Since(seeded) > 3500*time.Millisecond {
			break // the seed's uploader gives up after 4 s; the window is over
		}
		onFirst := (i+warmup)%2 == 0
		var dOn, dOff measure.Sample
		for j := 0; j < 2; j++ {
			if (j == 0) == onFirst {
				if dOn, err = measure.Run(acme, []string{"hello"}, envOn, nil); err != nil {
					return r, err
				}
				for _, p := range measure.Processes(acme) {
					seen[p] = true
				}
			} else if dOff, err = measure.Run(acme, []string{"hello"}, envOff, nil); err != nil {
				return r, err
			}
		}
		if i >= 0 {
			on, off = append(on, dOn), append(off, dOff)
		}
	}
	r.pairs = len(on)
	r.hits = sc.col.hits.Load() - hits0
	r.uploadersSeen = len(seen)
	if r.after, err = readStatus(acme, envOn); err != nil {
		return r, err
	}
	if r.pairs == 0 {
		r.invalid = "no pairs measured"
		return r, nil
	}
	wOn, wOff := measure.Walls(on), measure.Walls(off)
	d := measure.Diffs(wOff, wOn)
	r.on, r.off, r.diff, r.p90diff = measure.Median(wOn), measure.Median(wOff), measure.Median(d), measure.Quantile(d, 0.9)
	cOn, cOff := measure.CPUs(on), measure.CPUs(off)
	r.cpuOn, r.cpuOff, r.cpuDiff = measure.Median(cOn), measure.Median(cOff), measure.Median(measure.Diffs(cOff, cOn))
	r.ok = r.diff <= exitBudget
	if sc.headline && (r.before.Pending == 0 || r.after.Pending == 0) && r.invalid == "" {
		r.invalid = "no events pending"
	}
	if r.invalid != "" {
		r.ok = false
	}
	return r, nil
}

func printResult(r result) {
	fmt.Printf("status before: %s\n", r.before)
	fmt.Printf("status after:  %s\n", r.after)
	fmt.Printf("pairs %d; uploader connections to the endpoint during them %d; uploader processes seen after on-runs %d\n",
		r.pairs, r.hits, r.uploadersSeen)
	if r.invalid != "" {
		fmt.Printf("INVALID: %s\n", r.invalid)
	}
	fmt.Printf("CPU (user+sys of acme itself) median on %s, off %s; paired difference median %s\n",
		measure.MsAbs(r.cpuOn), measure.MsAbs(r.cpuOff), measure.Ms(r.cpuDiff))
	fmt.Printf("wall median on %s, off %s; paired difference median %s (p90 %s)   budget +2.000 ms   %s\n",
		measure.MsAbs(r.on), measure.MsAbs(r.off), measure.Ms(r.diff), measure.Ms(r.p90diff), measure.Verdict(r.ok))
}

func readStatus(acme string, env []string) (status, error) {
	var st status
	cmd := exec.Command(acme, "telemetry", "status", "--json")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return st, fmt.Errorf("acme telemetry status --json: %w", err)
	}
	if err := json.Unmarshal(out, &st); err != nil {
		return st, fmt.Errorf("acme telemetry status --json: %w\n%s", err, out)
	}
	return st, nil
}

// httpCollector answers every request with 200 after delay, like an OTLP/HTTP
// receiver that accepted the batch.
func httpCollector(name string, delay time.Duration) (*collector, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &collector{name: name, url: "http://" + ln.Addr().String()}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
			if delay > 0 {
				select {
				case <-time.After(delay):
				case <-r.Context().Done():
					return
				}
			}
			w.Header().Set("Content-Type", "application/x-protobuf")
			w.WriteHeader(http.StatusOK)
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				c.hits.Add(1)
			}
		},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	c.close = func() { srv.Close() }
	return c, nil
}

// blackHole accepts connections and reads whatever comes, but never answers.
func blackHole() (*collector, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &collector{name: "black-holed", url: "http://" + ln.Addr().String()}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.hits.Add(1)
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			go io.Copy(io.Discard, conn)
		}
	}()
	c.close = func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range conns {
			conn.Close()
		}
	}
	return c, nil
}

// closedPort returns an endpoint on a loopback port that was just released,
// so a connection is refused at once.
func closedPort() (*collector, error) {
	url, err := measure.ReleasedPort()
	if err != nil {
		return nil, err
	}
	return &collector{name: "refusing", url: url, close: func() {}}, nil
}

// pgrepCount asks pgrep how many processes have exe in their command line;
// -1 when pgrep is not installed.
func pgrepCount(exe string) int {
	if _, err := exec.LookPath("pgrep"); err != nil {
		return -1
	}
	out, err := exec.Command("pgrep", "-f", "-c", exe).Output()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return -1
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(bytes.TrimSpace(out))))
	return n
}

func pgrepText(n int) string {
	if n < 0 {
		return "n/a"
	}
	return strconv.Itoa(n)
}

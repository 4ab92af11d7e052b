// Command vlreport times `waymark report --victorialogs` against a real VictoriaLogs holding a
// simulated history, query by query, for the report built from this checkout and for one built
// from another revision (main by default), interleaved in one run.
//
// For each size it starts bin/victoria-logs on a loopback port with an empty store, loads the
// simulator's history (collector-config/simulate, one product, 60 days, -installs N) through a
// loopback forwarder into VictoriaLogs' OTLP endpoint, waits until every record is searchable,
// then runs both reports -runs times each, alternating, through a loopback proxy that times
// every LogsQL query. It prints the median wall time of each report, their ratio, the median
// time of each query, and checks that both reports equal the file report over the same history
// (the simulator's files for the same flags).
//
// Run it from the module root:
//
//	go run ./bench/cmd/vlreport [-installs 20000,60000] [-runs 5] [-base main]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/bench/internal/measure"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "vlreport:", err)
		os.Exit(1)
	}
}

func run() error {
	sizes := flag.String("installs", "20000,60000", "simulated installs, one history per value (comma-separated)")
	days := flag.Int("days", 60, "days of history")
	runs := flag.Int("runs", 5, "reports of each build per size")
	base := flag.String("base", "main", "git revision the former report is built from (empty: none)")
	keep := flag.Bool("keep", false, "keep the working folder")
	vlBin := flag.String("victorialogs", os.Getenv("WAYMARK_VICTORIALOGS"), "the victoria-logs binary (default $WAYMARK_VICTORIALOGS, else bin/victoria-logs)")
	flag.BoolVar(&serial, "serial", false, "let one query at a time through to VictoriaLogs (each query's own cost; the wall time is then their sum)")
	flag.Parse()

	root, err := measure.ModuleRoot()
	if err != nil {
		return err
	}
	if *vlBin == "" {
		*vlBin = filepath.Join(root, "bin", "victoria-logs")
	}
	if _, err := os.Stat(*vlBin); err != nil {
		return fmt.Errorf("%s: %w (collector-config/install-backend.sh installs it)", *vlBin, err)
	}
	dir, cleanup, err := measure.Workdir("vlreport", *keep)
	if err != nil {
		return err
	}
	defer cleanup()
	simBin, newBin := filepath.Join(dir, "simulate"), filepath.Join(dir, "waymark-new")
	if err := measure.Build(root, "./collector-config/simulate", simBin); err != nil {
		return err
	}
	if err := measure.Build(root, "./cmd/waymark", newBin); err != nil {
		return err
	}
	builds := []build{{"this checkout", newBin}}
	if *base != "" {
		bin, err := buildRevision(root, dir, *base)
		if err != nil {
			return err
		}
		builds = append([]build{{*base, bin}}, builds...)
	}
	end := time.Now().UTC().Truncate(24 * time.Hour)
	fmt.Printf("machine: %d CPUs, load average %s\n", runtime.NumCPU(), loadAverage())
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-installs: %q", s)
		}
		if err := bench(dir, *vlBin, simBin, builds, n, *days, *runs, end); err != nil {
			return err
		}
	}
	fmt.Printf("load average after: %s\n", loadAverage())
	return nil
}

type build struct{ name, bin string }

// serial makes the query proxy forward one query at a time.
var serial bool

// buildRevision builds cmd/waymark as of rev from `git archive` into dir.
func buildRevision(root, dir, rev string) (string, error) {
	src := filepath.Join(dir, "src-"+regexp.MustCompile(`[^A-Za-z0-9]`).ReplaceAllString(rev, "_"))
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	cmd := exec.Command("sh", "-c", `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, "sh", root, rev, src)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("git archive %s: %v\n%s", rev, err, out)
	}
	bin := filepath.Join(dir, "waymark-"+filepath.Base(src))
	return bin, measure.Build(src, "./cmd/waymark", bin)
}

func bench(dir, vlBin, simBin string, builds []build, installs, days, runs int, end time.Time) error {
	vl, stop, err := startVictoriaLogs(vlBin, filepath.Join(dir, fmt.Sprintf("vl-%d", installs)))
	if err != nil {
		return err
	}
	defer stop()
	// Load: the simulator posts OTLP/HTTP to a forwarder that hands logs to VictoriaLogs.
	fwd, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/logs" {
			io.Copy(io.Discard, r.Body)
			return // metrics: not VictoriaLogs' business
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, vl+"/insert/opentelemetry/v1/logs", r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	if err != nil {
		return err
	}
	simArgs := []string{"-installs", strconv.Itoa(installs), "-days", strconv.Itoa(days), "-seed", "1", "-end", end.Format(time.RFC3339)}
	var simErr bytes.Buffer
	if _, err := measure.Run(simBin, append(simArgs, "-endpoint", fwd), os.Environ(), &simErr); err != nil {
		return fmt.Errorf("%v\n%s", err, simErr.String())
	}
	m := regexp.MustCompile(`(\d+) uploads, (\d+) events \((\d+) repeated`).FindStringSubmatch(simErr.String())
	if m == nil {
		return fmt.Errorf("simulate said %q", simErr.String())
	}
	events, _ := strconv.Atoi(m[2])
	records := waitRecords(vl, events)
	store := filepath.Join(dir, fmt.Sprintf("files-%d", installs))
	if _, err := measure.Run(simBin, append(simArgs, "-out", store), os.Environ(), nil); err != nil {
		return err
	}

	// Each query through a proxy that times it.
	var mu, one sync.Mutex
	times := map[string]map[string][]time.Duration{} // build → query → durations
	current := ""
	target, _ := url.Parse(vl)
	proxy, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		if serial {
			one.Lock()
			defer one.Unlock()
		}
		start := time.Now()
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, target.String()+r.URL.Path, bytes.NewReader(body))
		req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		mu.Lock()
		if times[current] == nil {
			times[current] = map[string][]time.Duration{}
		}
		q := form.Get("query")
		times[current][q] = append(times[current][q], took)
		mu.Unlock()
		w.WriteHeader(resp.StatusCode)
		w.Write(out)
	}))
	if err != nil {
		return err
	}

	nowArg := end.Format(time.RFC3339)
	fileJSON, err := exec.Command(builds[len(builds)-1].bin, "report", "--json", "--now", nowArg, store).Output()
	if err != nil {
		return fmt.Errorf("file report: %w", err)
	}
	walls := make([][]time.Duration, len(builds))
	equal := make([]bool, len(builds))
	for i := range equal {
		equal[i] = true
	}
	for k := 0; k < runs; k++ {
		for j := range builds {
			i := (j + k) % len(builds) // alternate which build goes first
			mu.Lock()
			current = builds[i].name
			mu.Unlock()
			start := time.Now()
			cmd := exec.Command(builds[i].bin, "report", "--json", "--now", nowArg, "--victorialogs", proxy)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			walls[i] = append(walls[i], time.Since(start))
			if err != nil {
				return fmt.Errorf("%s: report --victorialogs: %w\n%s", builds[i].name, err, stderr.String())
			}
			if !bytes.Equal(out, fileJSON) {
				equal[i] = false
			}
		}
	}

	fmt.Printf("\n%d installs, %d days: %d events sent (%s repeated by retries), %d records in VictoriaLogs\n", installs, days, events, m[3], records)
	for i, b := range builds {
		fmt.Printf("  %-14s median %s over %d runs (min %s), equal to the file report: %v\n", b.name, ms(measure.Median(walls[i])), runs, ms(measure.Quantile(walls[i], 0)), equal[i])
	}
	if len(builds) == 2 {
		fmt.Printf("  ratio this checkout / %s: %.2f\n", builds[0].name, float64(measure.Median(walls[1]))/float64(measure.Median(walls[0])))
	}
	for _, b := range builds {
		qs := times[b.name]
		type qt struct {
			q string
			d time.Duration
		}
		var list []qt
		var sum time.Duration
		for q, ds := range qs {
			list = append(list, qt{q, measure.Median(ds)})
			sum += measure.Median(ds)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].d > list[j].d })
		fmt.Printf("  %s: %d queries (times overlap when they run at once), medians summing to %s\n", b.name, len(list), ms(sum))
		for _, x := range list {
			fmt.Printf("    %9s  %s\n", ms(x.d), summarize(x.q))
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/1e6) }

// summarize squeezes a query onto one line: its filter's first words and its pipes' heads.
func summarize(q string) string {
	q = regexp.MustCompile(`_time:[\[(][^\])]*[\])]`).ReplaceAllString(q, "_time:…")
	q = regexp.MustCompile(`\s+`).ReplaceAllString(q, " ")
	q = regexp.MustCompile(`^event_name:in\([^)]*\) `).ReplaceAllString(q, "")
	if len(q) > 150 {
		q = q[:150] + "…"
	}
	return q
}

// startVictoriaLogs runs VictoriaLogs on a free loopback port with its data in data.
func startVictoriaLogs(bin, data string) (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(bin, fmt.Sprintf("-httpListenAddr=127.0.0.1:%d", port), "-storageDataPath="+data, "-retentionPeriod=400d", "-loggerLevel=ERROR")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("victoria-logs did not start:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitRecords waits until VictoriaLogs holds want records, or its count stops growing.
func waitRecords(vl string, want int) int {
	last, still := -1, 0
	for {
		n := countRecords(vl)
		if n >= want {
			return n
		}
		if n == last {
			still++
			if still >= 10 {
				return n
			}
		} else {
			still = 0
		}
		last = n
		time.Sleep(time.Second)
	}
}

func countRecords(vl string) int {
	form := url.Values{"query": {"* | stats count() as n"}}
	resp, err := http.PostForm(vl+"/select/logsql/query", form)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`"n":"(\d+)"`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// serve answers h on a free loopback port and returns its base URL.
func serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go (&http.Server{Handler: h}).Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

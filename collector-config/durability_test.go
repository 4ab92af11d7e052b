package collectorconfig_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
	"github.com/waymarkhq/waymark/collector-config/logsql"
)

// The durability tests: the collector (ingest.yaml + victorialogs.yaml) answers 200 only for
// what it has written, so that every event.id a client was told 200 for is in the files and,
// after the queue drained, in VictoriaLogs, whatever happens to the collector, the backend or
// the disk meanwhile. The clients are a simulated fleet that remembers every event.id
// acknowledged with 200 (a real uploader forgets those events at that moment) and sends
// anything else again, as the SDK does.

// fleetInstalls is the number of simulated installs; each sends at least one upload.
const fleetInstalls = 3000

// restartableCollector is the collector run as a process that a test kills and starts again
// on the same port and data directory.
type restartableCollector struct {
	t        *testing.T
	bin      string
	args     []string
	env      []string
	wrap     []string // a command the collector runs under (unshare), if any
	port     int
	Endpoint string
	DataDir  string
	// MetricsURL serves the collector's own metrics.
	MetricsURL string

	mu     sync.Mutex
	p      *process
	starts int
	logs   strings.Builder // the output of the earlier runs
}

// newRestartableCollector prepares (without starting) the collector with ingest.yaml,
// victorialogs.yaml sending to vlURL, and dataDir.
func newRestartableCollector(t *testing.T, vlURL, dataDir string) *restartableCollector {
	t.Helper()
	root := repoRoot(t)
	port, metricsPort := freePort(t), freePort(t)
	return &restartableCollector{
		t:   t,
		bin: collectorBinary(t),
		args: []string{
			"--config", filepath.Join(root, "collector-config", "ingest.yaml"),
			"--config", filepath.Join(root, "collector-config", "victorialogs.yaml"),
		},
		env: []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + t.TempDir(),
			fmt.Sprintf("WAYMARK_OTLP_HTTP_ENDPOINT=127.0.0.1:%d", port),
			"WAYMARK_DATA_DIR=" + dataDir,
			"WAYMARK_VICTORIALOGS_URL=" + vlURL,
			"WAYMARK_TELEMETRY_LEVEL=basic",
			fmt.Sprintf("WAYMARK_TELEMETRY_PORT=%d", metricsPort),
		},
		port:       port,
		Endpoint:   fmt.Sprintf("http://127.0.0.1:%d", port),
		DataDir:    dataDir,
		MetricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort),
	}
}

// start runs the collector and waits until it listens.
func (c *restartableCollector) start() {
	c.t.Helper()
	argv := append(append(slices.Clone(c.wrap), c.bin), c.args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = c.env
	p := startProcess(c.t, cmd)
	c.mu.Lock()
	c.p = p
	c.starts++
	c.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if p.exited() {
			c.t.Fatalf("collector exited during start-up (%v):\n%s", p.err, c.output())
		}
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", c.port), time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("collector did not listen on port %d within 60 s:\n%s", c.port, c.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the running collector with SIGKILL, as a crash or the OOM killer would.
func (c *restartableCollector) kill() {
	c.t.Helper()
	c.mu.Lock()
	p := c.p
	c.mu.Unlock()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatalf("SIGKILL: %v", err)
	}
	<-p.done
	c.mu.Lock()
	fmt.Fprintf(&c.logs, "--- run %d, killed:\n%s", c.starts, p.output)
	c.mu.Unlock()
}

// pid is the running collector's process id.
func (c *restartableCollector) pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p.cmd.Process.Pid
}

// alive reports whether the current run has not exited.
func (c *restartableCollector) alive() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.p.exited()
}

// output is the output of every run so far.
func (c *restartableCollector) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.logs.String()
	if c.p != nil {
		s += fmt.Sprintf("--- run %d:\n%s", c.starts, c.p.output)
	}
	return s
}

// ownMetric is the sum of the collector's own metric name over the label sets that contain
// every one of labels (e.g. `exporter="file/logs"`), from the Prometheus text it serves.
func (c *restartableCollector) ownMetric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := httpGet(ctx, c.MetricsURL)
	if err != nil {
		t.Fatalf("GET %s: %v", c.MetricsURL, err)
	}
	var sum float64
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		var v float64
		f := strings.Fields(line)
		if _, err := fmt.Sscan(f[len(f)-1], &v); err != nil {
			t.Fatalf("%s: %q: %v", c.MetricsURL, line, err)
		}
		sum += v
	}
	return sum
}

// vlNode is a VictoriaLogs single node that a test stops and starts again on the same port
// and storage directory.
type vlNode struct {
	t    *testing.T
	bin  string
	port int
	dir  string
	URL  string
	p    *process
}

func newVLNode(t *testing.T) *vlNode {
	t.Helper()
	port := freePort(t)
	return &vlNode{t: t, bin: backendBinary(t, "victoria-logs", "WAYMARK_VICTORIALOGS"), port: port,
		dir: t.TempDir(), URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
}

// start runs VictoriaLogs with the retention of the collector's files and waits until it is
// healthy.
func (v *vlNode) start() {
	v.t.Helper()
	v.p = startBackend(v.t, exec.Command(v.bin,
		fmt.Sprintf("-httpListenAddr=127.0.0.1:%d", v.port),
		"-storageDataPath="+v.dir,
		"-retentionPeriod=400d",
		"-loggerLevel=ERROR",
	), v.URL, "/health")
}

// stop stops VictoriaLogs cleanly (SIGTERM: it flushes what it holds).
func (v *vlNode) stop() {
	v.t.Helper()
	if err := v.p.stop(v.t, 30*time.Second); err != nil {
		v.t.Logf("victoria-logs exited: %v", err)
	}
}

// fleet is a simulated fleet of installs uploading events to a collector. It remembers every
// event.id acknowledged with 200 and retries every other upload until it is acknowledged or
// the fleet stops.
type fleet struct {
	url      string
	installs []otlpgen.Install
	client   *http.Client

	next     atomic.Int64
	uploads  atomic.Int64 // uploads acknowledged
	failures atomic.Int64 // requests without an answer (connection refused or reset, timeout)

	mu        sync.Mutex
	acked     map[string]bool
	ackedFrom map[string]bool // installs with an upload acknowledged
	statuses  map[int]int     // answers other than 200, by status
}

func newFleet(url string, installs int) *fleet {
	f := &fleet{
		url: url,
		// A kept-alive connection breaks when the collector is killed: a failure the worker
		// retries, as any other.
		client:    &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		acked:     map[string]bool{},
		ackedFrom: map[string]bool{},
		statuses:  map[int]int{},
	}
	oses, arches := []string{"linux", "darwin", "windows"}, []string{"amd64", "arm64"}
	for i := range installs {
		f.installs = append(f.installs, otlpgen.NewInstall("acme", "1.4.2", oses[i%3], arches[i%2]))
	}
	return f
}

// run sends with workers concurrent clients until ctx is done; it returns when they stopped.
func (f *fleet) run(ctx context.Context, workers int) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil {
				f.upload(ctx, rng)
			}
		}()
	}
	wg.Wait()
}

// upload sends one upload of the next install (one to three events) until it is
// acknowledged or ctx is done.
func (f *fleet) upload(ctx context.Context, rng *rand.Rand) {
	in := f.installs[int(f.next.Add(1)-1)%len(f.installs)]
	now := time.Now()
	recs := []*logspb.LogRecord{otlpgen.Event("waymark.usage", now)}
	for range rng.IntN(3) {
		recs = append(recs, otlpgen.Milestone([]string{"first_run", "first_project_created", "first_deploy"}[rng.IntN(3)], now))
	}
	body, err := otlpgen.Encode(otlpgen.Logs(in, recs...), true)
	if err != nil {
		panic(err)
	}
	for ctx.Err() == nil {
		code, _, err := otlpgen.Post(ctx, f.client, f.url, body, true)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			f.failures.Add(1)
		case code == http.StatusOK:
			f.mu.Lock()
			for _, r := range recs {
				f.acked[r.Attributes[0].Value.GetStringValue()] = true
			}
			f.ackedFrom[in.ID] = true
			f.mu.Unlock()
			f.uploads.Add(1)
			return
		default:
			f.mu.Lock()
			f.statuses[code]++
			f.mu.Unlock()
		}
		// Back off a little, as the SDK does (much longer there), and send the same again.
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(50+rng.IntN(150)) * time.Millisecond):
		}
	}
}

// ackedIDs returns a copy of the acknowledged event ids.
func (f *fleet) ackedIDs() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.acked)
}

// installsAcked is the number of installs with an upload acknowledged.
func (f *fleet) installsAcked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ackedFrom)
}

// refusals returns the answers other than 200, by status.
func (f *fleet) refusals() map[int]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.statuses)
}

func (f *fleet) String() string {
	return fmt.Sprintf("%d uploads acknowledged (%d events, %d installs), %d requests unanswered, refusals by status %v",
		f.uploads.Load(), len(f.ackedIDs()), f.installsAcked(), f.failures.Load(), f.refusals())
}

// recordStart begins every OTLP JSON logs record the file exporter writes.
var recordStart = []byte(`{"resourceLogs":`)

// eventIDsInRecords returns the event.id of every log record in the whole OTLP JSON records
// of data, the content of a file the collector wrote, and how many pieces it skipped as
// broken. A crash can cut a record short, and the collector's next record then follows on the
// same line; so records are found where each begins, not by lines, and a piece that does not
// decode is skipped.
func eventIDsInRecords(data []byte) (ids []string, broken int) {
	for len(data) > 0 {
		i := bytes.Index(data, recordStart)
		if i < 0 {
			if len(bytes.TrimSpace(data)) > 0 {
				broken++
			}
			break
		}
		if len(bytes.TrimSpace(data[:i])) > 0 {
			broken++
		}
		data = data[i:]
		end := bytes.Index(data[len(recordStart):], recordStart)
		piece := data
		if end >= 0 {
			piece = data[:len(recordStart)+end]
		}
		data = data[len(piece):]
		var rec struct {
			ResourceLogs []struct {
				ScopeLogs []struct {
					LogRecords []struct {
						Attributes []struct {
							Key   string `json:"key"`
							Value struct {
								StringValue string `json:"stringValue"`
							} `json:"value"`
						} `json:"attributes"`
					} `json:"logRecords"`
				} `json:"scopeLogs"`
			} `json:"resourceLogs"`
		}
		if err := json.Unmarshal(piece, &rec); err != nil {
			broken++
			continue
		}
		for _, rl := range rec.ResourceLogs {
			for _, sl := range rl.ScopeLogs {
				for _, lr := range sl.LogRecords {
					for _, a := range lr.Attributes {
						if a.Key == "event.id" {
							ids = append(ids, a.Value.StringValue)
						}
					}
				}
			}
		}
	}
	return ids, broken
}

// eventIDsInFiles returns the event ids in the *.jsonl files under dir (the collector's data
// directory as seen from root, "" or /proc/<pid>/root), and the number of broken pieces.
func eventIDsInFiles(t *testing.T, dir string) (map[string]bool, int) {
	t.Helper()
	ids, broken := map[string]bool{}, 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".jsonl") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, n := eventIDsInRecords(b)
		for _, id := range got {
			ids[id] = true
		}
		broken += n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, broken
}

// eventIDsInVictoriaLogs returns every event.id the VictoriaLogs at base holds.
func eventIDsInVictoriaLogs(base string) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rows, err := logsql.Run(ctx, http.DefaultClient, base, `* | uniq by (event.id)`, time.Now().Add(time.Minute))
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(rows))
	for _, r := range rows {
		ids[r["event.id"]] = true
	}
	return ids, nil
}

// missing returns the keys of want that got lacks, at most 5 of them as examples, and their
// number.
func missing(want, got map[string]bool) (int, []string) {
	var n int
	var some []string
	for id := range want {
		if !got[id] {
			n++
			if len(some) < 5 {
				some = append(some, id)
			}
		}
	}
	return n, some
}

// waitAllInVictoriaLogs waits up to timeout until VictoriaLogs holds every id of want, and
// fails the test with what it lacks otherwise.
func waitAllInVictoriaLogs(t *testing.T, base string, want map[string]bool, timeout time.Duration, logs ...fmt.Stringer) {
	t.Helper()
	var n int
	var some []string
	var lastErr error
	start := time.Now()
	ok := waitFor(timeout, func() bool {
		got, err := eventIDsInVictoriaLogs(base)
		if err != nil {
			lastErr = err
			return false
		}
		n, some = missing(want, got)
		return n == 0
	})
	if !ok {
		var out strings.Builder
		for _, l := range logs {
			out.WriteString(l.String())
		}
		t.Fatalf("after %v, VictoriaLogs lacks %d of %d acknowledged events (e.g. %v; last query error %v)\n%s",
			timeout, n, len(want), some, lastErr, out.String())
	}
	t.Logf("VictoriaLogs held all %d acknowledged events %v after the fleet stopped", len(want), time.Since(start).Round(100*time.Millisecond))
}

// checkAllInFiles fails the test unless the files under dir hold every id of want.
func checkAllInFiles(t *testing.T, dir string, want map[string]bool) {
	t.Helper()
	got, broken := eventIDsInFiles(t, dir)
	n, some := missing(want, got)
	t.Logf("the files hold %d distinct events (%d broken pieces skipped)", len(got), broken)
	if n > 0 {
		t.Errorf("the files lack %d of %d acknowledged events, e.g. %v", n, len(want), some)
	}
}

type stringerFunc func() string

func (f stringerFunc) String() string { return f() }

// start runs the fleet in the background; stop ends it and waits for its workers.
func (f *fleet) start(workers int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.run(ctx, workers); close(done) }()
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }
}

// TestAcknowledgedEventsSurviveCollectorKills: a fleet of 3 000 installs sends through the
// collector while it is killed with SIGKILL four times at random moments and started again.
// Every event acknowledged with 200 is in the files, and reaches VictoriaLogs.
func TestAcknowledgedEventsSurviveCollectorKills(t *testing.T) {
	collectorBinary(t)
	vl := newVLNode(t)
	vl.start()
	c := newRestartableCollector(t, vl.URL, t.TempDir())
	c.start()
	f := newFleet(c.Endpoint+"/v1/logs", fleetInstalls)
	stop := f.start(16)
	defer stop()

	seed := uint64(time.Now().UnixNano())
	t.Logf("kill moments from seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for k := 1; k <= 4; k++ {
		// A random moment within the k-th quarter of the fleet's uploads, so that the kills
		// spread over the whole run whatever the machine's speed.
		at := int64(fleetInstalls*(k-1)/4 + 100 + rng.IntN(fleetInstalls/4-200))
		if !waitFor(2*time.Minute, func() bool { return f.uploads.Load() >= at }) {
			t.Fatalf("the fleet did not reach %d uploads in the collector's run %d: %v\n%s", at, k, f, c.output())
		}
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		c.kill()
		t.Logf("kill %d after %d uploads acknowledged", k, f.uploads.Load())
		c.start()
	}
	// Every install gets its uploads through: the fleet runs until each has one acknowledged.
	if !waitFor(3*time.Minute, func() bool { return f.installsAcked() == fleetInstalls }) {
		t.Fatalf("only %d of %d installs had an upload acknowledged: %v\n%s", f.installsAcked(), fleetInstalls, f, c.output())
	}
	stop()
	t.Logf("fleet: %v", f)
	if f.failures.Load() == 0 {
		t.Errorf("no request went unanswered: the kills did not hit the collector under load")
	}
	acked := f.ackedIDs()
	waitAllInVictoriaLogs(t, vl.URL, acked, 2*time.Minute, stringerFunc(c.output))
	checkAllInFiles(t, c.DataDir, acked)
}

// TestAcknowledgedEventsSurviveVictoriaLogsOutage: VictoriaLogs is stopped for more than 20 s
// while the fleet sends, and the collector is killed and started again in that window. The
// collector keeps acknowledging into its queue on disk, resumes the queue after the restart,
// and when VictoriaLogs returns every acknowledged event reaches it.
func TestAcknowledgedEventsSurviveVictoriaLogsOutage(t *testing.T) {
	collectorBinary(t)
	vl := newVLNode(t)
	vl.start()
	c := newRestartableCollector(t, vl.URL, t.TempDir())
	c.start()
	f := newFleet(c.Endpoint+"/v1/logs", fleetInstalls)
	stop := f.start(8)
	defer stop()

	time.Sleep(2 * time.Second)
	vl.stop()
	down := time.Now()
	t.Logf("VictoriaLogs stopped after %d uploads acknowledged", f.uploads.Load())

	// The queue holds what VictoriaLogs cannot take, and the collector's own metrics say so
	// (its size grows; send failures are counted only when retries end, which they do not).
	before := f.uploads.Load()
	var sizes []float64
	if !waitFor(15*time.Second, func() bool {
		sizes = append(sizes, c.ownMetric(t, "otelcol_exporter_queue_size", `exporter="otlp_http/victorialogs"`))
		return len(sizes) >= 3 && sizes[len(sizes)-1] > sizes[0]
	}) {
		t.Fatalf("with VictoriaLogs down, the collector reports queue sizes %v", sizes)
	}
	if got := c.ownMetric(t, "otelcol_exporter_queue_capacity", `exporter="otlp_http/victorialogs"`); got != 1<<30 {
		t.Errorf("otelcol_exporter_queue_capacity = %v, want 1 GiB", got)
	}
	time.Sleep(time.Until(down.Add(8 * time.Second)))
	c.kill()
	t.Logf("collector killed %v into the outage, %d uploads acknowledged", time.Since(down).Round(time.Millisecond), f.uploads.Load())
	c.start()
	time.Sleep(time.Until(down.Add(21 * time.Second)))
	if f.uploads.Load() == before {
		t.Fatalf("nothing acknowledged while VictoriaLogs was down: %v\n%s", f, c.output())
	}
	vl.start()
	t.Logf("VictoriaLogs back after %v; %d uploads acknowledged", time.Since(down).Round(time.Millisecond), f.uploads.Load())
	time.Sleep(3 * time.Second)
	stop()
	t.Logf("fleet: %v", f)
	acked := f.ackedIDs()
	waitAllInVictoriaLogs(t, vl.URL, acked, 2*time.Minute, stringerFunc(c.output))
	checkAllInFiles(t, c.DataDir, acked)
}

// TestFullDiskRefusesWhatItCannotStore: the collector's data directory is a 3 MiB tmpfs (in a
// mount namespace of its own) that fills up while the fleet sends. Every acknowledged event is
// in the files; the rest were refused with a status the SDK retries (5xx or 429), never
// acknowledged, and the collector keeps running.
func TestFullDiskRefusesWhatItCannotStore(t *testing.T) {
	collectorBinary(t)
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("unshare: %v (util-linux; .ci/debian-packages.sh installs it)", err)
	}
	vl := newVLNode(t)
	vl.start()
	data := t.TempDir()
	c := newRestartableCollector(t, vl.URL, data)
	ns := []string{"--mount", "--propagation", "private"}
	if os.Geteuid() != 0 {
		ns = append([]string{"--user", "--map-root-user"}, ns...)
	}
	c.wrap = append(append([]string{unshare}, ns...), "sh", "-c", `mount -t tmpfs -o size=3m waymark-full "$0" && exec "$@"`, data)
	c.start()
	// The data directory as the collector sees it, in its own mount namespace.
	seen := func() string { return fmt.Sprintf("/proc/%d/root%s", c.pid(), data) }
	mounts, err := os.ReadFile(fmt.Sprintf("/proc/%d/mounts", c.pid()))
	if err != nil || !strings.Contains(string(mounts), "waymark-full "+data+" tmpfs ") {
		t.Fatalf("the collector's data directory is not the 3 MiB tmpfs (%v):\n%s", err, mounts)
	}

	f := newFleet(c.Endpoint+"/v1/logs", fleetInstalls)
	stop := f.start(8)
	defer stop()
	refused := func() int {
		n := 0
		for _, v := range f.refusals() {
			n += v
		}
		return n
	}
	if !waitFor(90*time.Second, func() bool { return refused() >= 200 }) {
		t.Fatalf("the disk never filled up: %v\n%s", f, c.output())
	}
	time.Sleep(3 * time.Second) // keep sending to a full disk
	stop()
	t.Logf("fleet: %v", f)
	if !c.alive() {
		t.Fatalf("the collector exited on a full disk:\n%s", c.output())
	}
	for code := range f.refusals() {
		if code != http.StatusServiceUnavailable && code != http.StatusTooManyRequests && code/100 != 5 {
			t.Errorf("a request was answered %d: the SDK would drop its events rather than retry", code)
		}
	}
	if f.uploads.Load() == 0 {
		t.Fatalf("nothing was acknowledged before the disk filled up: %v\n%s", f, c.output())
	}
	if n := c.ownMetric(t, "otelcol_exporter_send_failed_log_records", `exporter="file/logs"`); n == 0 {
		t.Errorf("otelcol_exporter_send_failed_log_records{exporter=\"file/logs\"} is 0 with the disk full")
	}
	if n := c.ownMetric(t, "otelcol_receiver_refused_log_records"); n == 0 {
		t.Errorf("otelcol_receiver_refused_log_records is 0 with requests refused")
	}
	checkAllInFiles(t, seen(), f.ackedIDs())
	// The copy in VictoriaLogs is not part of the promise on a full disk (a queue read that
	// fails there can skip a request); say how it fared.
	if got, err := eventIDsInVictoriaLogs(vl.URL); err == nil {
		n, _ := missing(f.ackedIDs(), got)
		t.Logf("VictoriaLogs lacks %d of the %d acknowledged events", n, len(f.ackedIDs()))
	}
}

// FuzzEventIDsInRecords: whatever a file holds, the reader does not panic, and a whole record
// written after a torn one is still found.
func FuzzEventIDsInRecords(f *testing.F) {
	rec := func(id string) string {
		return `{"resourceLogs":[{"resource":{},"scopeLogs":[{"logRecords":[{"attributes":[{"key":"event.id","value":{"stringValue":"` + id + `"}}]}]}]}]}`
	}
	f.Add([]byte(rec("a") + "\n" + rec("b") + "\n"))
	f.Add([]byte(rec("a")[:40] + rec("b") + "\n"))
	f.Add([]byte(`{"resourceLogs":[{"resourceLogs":`))
	f.Add([]byte("\x00\x00garbage\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		eventIDsInRecords(data)
		// A torn copy of the data followed by a whole record: that record is found.
		torn := append(slices.Clone(data[:len(data)/2]), rec("whole-after-torn")...)
		ids, _ := eventIDsInRecords(torn)
		if !slices.Contains(ids, "whole-after-torn") {
			t.Fatalf("the whole record after %q was not found", data[:len(data)/2])
		}
	})
}

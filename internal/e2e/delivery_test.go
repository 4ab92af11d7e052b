package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/waymarkhq/waymark/internal/clitest"
)

// The black-box proof of delivery: offline runs lose nothing,
// simultaneous first runs count once, no uploader outlives its bound, and
// a faulty endpoint never reaches the host program.

// hello is what `acme hello` prints on stdout, and all it prints.
const hello = "Hello from acme!\n"

// runCmd runs a prepared command and waits for it, bounded.
func runCmd(t *testing.T, cmd *exec.Cmd) Result {
	t.Helper()
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%v did not exit within 30s", cmd.Args)
	}
	r := Result{Stdout: so.String(), Stderr: se.String(), Elapsed: time.Since(start)}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// statusJSON runs `acme telemetry status --json` and decodes it.
func statusJSON(t *testing.T, in *Install, env []string) map[string]any {
	t.Helper()
	r := in.Run(env, "telemetry", "status", "--json")
	if r.Code != 0 {
		t.Fatalf("telemetry status --json: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("telemetry status --json is not JSON: %v\n%s", err, r.Stdout)
	}
	return st
}

// num reads a JSON number at a dotted path of st ("delivery.dropped"); a
// missing or null value is -1.
func num(st map[string]any, path string) float64 {
	var v any = st
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return -1
		}
		v = m[k]
	}
	f, ok := v.(float64)
	if !ok {
		return -1
	}
	return f
}

// waitStatus polls status --json until cond holds, and returns the last one.
func waitStatus(t *testing.T, in *Install, timeout time.Duration, cond func(map[string]any) bool) (map[string]any, bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := statusJSON(t, in, nil)
		if cond(st) {
			return st, true
		}
		if time.Now().After(deadline) {
			return st, false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// nothingPending reports whether status lists neither events nor metric
// batches waiting to be sent.
func nothingPending(st map[string]any) bool {
	return num(st, "pending") == 0 && num(st, "pending_metrics") == 0
}

// reservePort finds a loopback port nobody listens on, for an endpoint that
// comes up later on that same port.
func reservePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// listenOn listens on addr again, retrying briefly in case the port is in
// a transient state.
func listenOn(t *testing.T, addr string) net.Listener {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln
		}
		if time.Now().After(deadline) {
			t.Fatalf("listen again on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rawEndpoint is a loopback TCP listener whose every connection is handled by
// serve; it counts the connections it accepted.
type rawEndpoint struct {
	URL   string
	mu    sync.Mutex
	conns []net.Conn
}

func (e *rawEndpoint) Accepted() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.conns)
}

func newRawEndpoint(t *testing.T, serve func(net.Conn)) *rawEndpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &rawEndpoint{URL: "http://" + ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			e.conns = append(e.conns, c)
			e.mu.Unlock()
			go serve(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, c := range e.conns {
			c.Close()
		}
	})
	return e
}

// blackHole accepts connections and never answers (nor closes them).
func blackHole(t *testing.T) *rawEndpoint {
	return newRawEndpoint(t, func(c net.Conn) { io.Copy(io.Discard, c) })
}

// garbageEndpoint answers every connection with bytes that are not HTTP.
func garbageEndpoint(t *testing.T) *rawEndpoint {
	return newRawEndpoint(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		c.Read(buf)
		c.Write([]byte("\x00\xff\xfe garbage \x1b[31m not http at all \r\n\r\n\x00\x01\x02"))
		c.Close()
	})
}

// httpEndpoint serves h on loopback and counts the requests it saw.
type httpEndpoint struct {
	URL string
	mu  sync.Mutex
	n   int
}

func (e *httpEndpoint) Requests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

func newHTTPEndpoint(t *testing.T, h http.HandlerFunc) *httpEndpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &httpEndpoint{URL: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.n++
		e.mu.Unlock()
		io.Copy(io.Discard, io.LimitReader(r.Body, 8<<20))
		h(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return e
}

// procsOf lists the live processes (and zombies) whose executable is bin:
// /proc/<pid>/exe for live ones, the command name for zombies, whose exe link
// is gone. Linux only.
func procsOf(bin string) []string {
	ents, _ := os.ReadDir("/proc")
	comm := filepath.Base(bin)
	if len(comm) > 15 {
		comm = comm[:15]
	}
	var out []string
	for _, e := range ents {
		pid := e.Name()
		if pid == "" || pid[0] < '0' || pid[0] > '9' {
			continue
		}
		if exe, err := os.Readlink("/proc/" + pid + "/exe"); err == nil {
			if strings.TrimSuffix(exe, " (deleted)") == bin {
				out = append(out, pid+" (running)")
			}
			continue
		}
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err == nil && strings.Contains(string(stat), "("+comm+") Z") {
			out = append(out, pid+" (zombie)")
		}
	}
	return out
}

// privateAcme copies acme to a path of its own, so that the processes it
// (and the uploaders it starts, which re-run the same executable) runs can be
// told apart from every other test's.
func privateAcme(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(acmeBin)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tempDir(t), name)
	if err := os.WriteFile(bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func requireHello(t *testing.T, r Result, what string) {
	t.Helper()
	if r.Code != 0 || r.Stdout != hello || r.Stderr != "" {
		t.Fatalf("%s: acme hello: exit %d, stdout %q, stderr %q; want exit 0, stdout %q and no stderr",
			what, r.Code, r.Stdout, r.Stderr, hello)
	}
}

func eventIDs(evs []Event) map[string]int {
	ids := map[string]int{}
	for _, e := range evs {
		ids[e.Attrs["event.id"]]++
	}
	return ids
}

// Three runs while nobody listens on the endpoint's port;
// then the endpoint comes up on that port and one more run (and, if nothing
// arrived within 12 s, one more) delivers the first_run milestone and the
// usage ping; the milestone arrives with one distinct event.id, the UUIDv5 of
// the installation id and its name.
func TestOfflineRunsDeliverWhenEndpointReturns(t *testing.T) {
	t.Parallel()
	addr := reservePort(t)
	in := newInstall(t, "http://"+addr)
	for i := 1; i <= 3; i++ {
		requireHello(t, in.Run(nil, "hello"), fmt.Sprintf("offline run %d", i))
	}
	st := statusJSON(t, in, nil)
	if num(st, "pending") < 1 {
		t.Fatalf("after three offline runs nothing is pending: %v", st)
	}
	t.Logf("after three offline runs: pending %v, delivery %v", st["pending"], st["delivery"])
	col := serveCollector(t, listenOn(t, addr))
	arrived := func() bool {
		return len(col.Named("waymark.milestone")) > 0 && len(col.Named("waymark.usage")) > 0
	}
	requireHello(t, in.Run(nil, "hello"), "run 4, endpoint up")
	if !col.WaitFor(12*time.Second, arrived) {
		t.Logf("nothing within 12 s of run 4 (%d requests); one more run", len(col.Requests()))
		requireHello(t, in.Run(nil, "hello"), "run 5, endpoint up")
		if !col.WaitFor(deliveryWait, arrived) {
			t.Fatalf("after run 5: %d milestones, %d usage pings arrived; status: %v",
				len(col.Named("waymark.milestone")), len(col.Named("waymark.usage")), statusJSON(t, in, nil))
		}
	}
	// Let a straggling uploader finish before counting.
	waitStatus(t, in, 5*time.Second, func(st map[string]any) bool { return nothingPending(st) })
	ms := col.Named("waymark.milestone")
	ids := eventIDs(ms)
	if len(ids) != 1 {
		t.Fatalf("milestone event.ids %v, want one distinct", ids)
	}
	m := ms[0]
	if m.Attrs["milestone.name"] != "first_run" {
		t.Fatalf("milestone %q, want first_run", m.Attrs["milestone.name"])
	}
	inst, err := uuid.Parse(m.Resource["app.installation.id"])
	if err != nil {
		t.Fatalf("app.installation.id %q: %v", m.Resource["app.installation.id"], err)
	}
	if want := uuid.NewSHA1(inst, []byte("first_run")).String(); m.Attrs["event.id"] != want {
		t.Errorf("milestone event.id %q, want UUIDv5(installation id, first_run) = %s", m.Attrs["event.id"], want)
	}
	if n := len(eventIDs(col.Named("waymark.usage"))); n != 1 {
		t.Errorf("%d distinct usage pings, want 1 (one per 12 h)", n)
	}
}

// 20 first runs of one install started at once record and
// send the milestone once: one distinct event.id, at most two sends of it,
// one app.installation.id.
func TestSimultaneousFirstRunsCountOnce(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	in := newInstall(t, col.URL)
	const n = 20
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for i := range cmds {
		cmds[i] = in.Cmd(acmeBin, nil, "hello")
		outs[i] = new(bytes.Buffer)
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
	}
	for i, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatalf("start run %d: %v", i, err)
		}
	}
	for i, c := range cmds {
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case err := <-done:
			if err != nil || outs[i].String() != hello {
				t.Errorf("run %d: %v, output %q", i, err, outs[i].String())
			}
		case <-time.After(60 * time.Second):
			c.Process.Kill()
			t.Fatalf("run %d did not exit", i)
		}
	}
	if !col.WaitFor(deliveryWait+10*time.Second, func() bool { return len(col.Named("waymark.milestone")) > 0 }) {
		t.Fatalf("no milestone arrived; status %v", statusJSON(t, in, nil))
	}
	// Wait until nothing is pending, then give late uploaders a moment, so a
	// duplicate send would be seen.
	if st, ok := waitStatus(t, in, deliveryWait, func(st map[string]any) bool { return nothingPending(st) }); !ok {
		t.Fatalf("events still pending: %v", st)
	}
	time.Sleep(2 * time.Second)
	ms := col.Named("waymark.milestone")
	ids := eventIDs(ms)
	if len(ids) != 1 {
		t.Fatalf("milestone event.ids %v, want exactly one distinct", ids)
	}
	if len(ms) > 2 {
		t.Fatalf("the milestone was sent %d times, want at most 2", len(ms))
	}
	insts := map[string]bool{}
	for _, e := range col.Events() {
		insts[e.Resource["app.installation.id"]] = true
	}
	for _, r := range col.Requests() {
		if r.Metrics == nil {
			continue
		}
		for _, rm := range r.Metrics.ResourceMetrics {
			insts[clitest.AttrMap(rm.GetResource().GetAttributes())["app.installation.id"]] = true
		}
	}
	if len(insts) != 1 || insts[""] {
		t.Fatalf("app.installation.id values %v, want exactly one", insts)
	}
	if st := statusJSON(t, in, nil); fmt.Sprint(st["milestones"]) != "[first_run]" {
		t.Errorf("status milestones %v, want [first_run]", st["milestones"])
	}
}

// No acme process (running or zombie) is left 15 s after
// the last run, with the endpoint up, refusing, or black-holed (and the
// update manifest black-holed too, so the uploader has every reason to hang).
func TestNoProcessLeftAfterLastRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	t.Parallel()
	bin := privateAcme(t, "acme-leakchk")
	col := newCollector(t)
	hole := blackHole(t)
	refusing := "http://" + reservePort(t)

	run := func(in *Install, args ...string) {
		t.Helper()
		r := runCmd(t, in.Cmd(bin, nil, args...))
		if r.Code != 0 || r.Stderr != "" {
			t.Fatalf("acme %v: exit %d, stderr %q", args, r.Code, r.Stderr)
		}
	}
	up := newInstall(t, col.URL)
	off := newInstall(t, refusing)
	holed := newInstall(t, hole.URL)
	holed.Env = []string{"ACME_TELEMETRY_UPDATE_URL=" + hole.URL + "/manifest.json"}
	holed2 := newInstall(t, hole.URL)
	for _, in := range []*Install{up, off, holed, holed2} {
		run(in, "hello")
		run(in, "deploy")
		run(in, "hello")
	}
	last := time.Now()
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) >= 2 }) {
		t.Error("the endpoint that is up received no milestones: the uploader never ran")
	}
	if !col.WaitFor(5*time.Second, func() bool { return hole.Accepted() > 0 }) {
		t.Error("the black hole was never dialled: the check would prove little")
	}
	var left []string
	for time.Since(last) < 15*time.Second {
		if left = procsOf(bin); len(left) == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Fatalf("15 s after the last run, processes of %s remain: %v", bin, left)
	}
	t.Logf("all uploaders gone %v after the last run", time.Since(last).Round(100*time.Millisecond))
}

// Whatever the endpoint does, `acme hello` exits 0 and
// prints only its greeting, and the events stay pending for a later upload;
// a 400 is the exception: the batch can never succeed, so it is dropped and
// counted in status's delivery.dropped.
func TestFaultyEndpointNeverReachesHost(t *testing.T) {
	cases := []struct {
		name     string
		endpoint func(t *testing.T) (url string, contacted func() bool)
		dropped  bool
	}{
		{"refused", func(t *testing.T) (string, func() bool) {
			return "http://" + reservePort(t), func() bool { return true }
		}, false},
		{"500", func(t *testing.T) (string, func() bool) {
			e := newHTTPEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "internal error", http.StatusInternalServerError)
			})
			return e.URL, func() bool { return e.Requests() > 0 }
		}, false},
		{"400", func(t *testing.T) (string, func() bool) {
			e := newHTTPEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "malformed", http.StatusBadRequest)
			})
			return e.URL, func() bool { return e.Requests() > 0 }
		}, true},
		{"slow", func(t *testing.T) (string, func() bool) {
			// Answers, eventually, long after any sane client timeout.
			e := newHTTPEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-time.After(20 * time.Second):
				case <-r.Context().Done():
				}
				w.WriteHeader(http.StatusOK)
			})
			return e.URL, func() bool { return e.Requests() > 0 }
		}, false},
		{"huge garbage body 503", func(t *testing.T) (string, func() bool) {
			e := newHTTPEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-protobuf")
				w.WriteHeader(http.StatusServiceUnavailable)
				junk := bytes.Repeat([]byte("\xff\x00garbage\x1b[2J"), 1<<10)
				for i := 0; i < 2<<10; i++ { // about 22 MiB, unless the client hangs up
					if _, err := w.Write(junk); err != nil {
						return
					}
				}
			})
			return e.URL, func() bool { return e.Requests() > 0 }
		}, false},
		{"garbage instead of HTTP", func(t *testing.T) (string, func() bool) {
			e := garbageEndpoint(t)
			return e.URL, func() bool { return e.Accepted() > 0 }
		}, false},
		{"black hole", func(t *testing.T) (string, func() bool) {
			e := blackHole(t)
			return e.URL, func() bool { return e.Accepted() > 0 }
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, contacted := tc.endpoint(t)
			in := newInstall(t, url)
			r := in.Run(nil, "hello")
			requireHello(t, r, tc.name)
			t.Logf("acme hello took %v", r.Elapsed.Round(time.Millisecond)) // the exit-time cost is the benchmark's to judge
			// The uploader has tried once it has recorded an outcome.
			st, ok := waitStatus(t, in, 20*time.Second, func(st map[string]any) bool {
				return contacted() && (num(st, "delivery.failures") >= 1 || num(st, "delivery.dropped") >= 1 || num(st, "delivery.delivered") >= 1)
			})
			if !ok {
				t.Fatalf("the uploader recorded no outcome within 20 s: %v", st)
			}
			if tc.dropped {
				// Logs and metrics are separate batches; wait for both.
				st, _ = waitStatus(t, in, 10*time.Second, func(st map[string]any) bool { return nothingPending(st) })
				if num(st, "delivery.dropped") < 1 || num(st, "pending") != 0 {
					t.Fatalf("400: want the batch dropped and counted, got pending %v, delivery %v", st["pending"], st["delivery"])
				}
				if num(st, "delivery.delivered") > 0 {
					t.Fatalf("400: delivered %v, want 0", num(st, "delivery.delivered"))
				}
			} else {
				if num(st, "pending") < 1 || num(st, "delivery.delivered") > 0 || num(st, "delivery.dropped") > 0 {
					t.Fatalf("%s: want the events kept for later, got pending %v, delivery %v", tc.name, st["pending"], st["delivery"])
				}
				if st["delivery"].(map[string]any)["last_error"] == nil {
					t.Errorf("%s: status shows no last_error: %v", tc.name, st["delivery"])
				}
			}
			// A second run during the backoff is just as quiet.
			requireHello(t, in.Run(nil, "hello"), tc.name+", second run")
		})
	}
}

// A 200 answer whose body is not an OTLP response (here huge garbage) must not
// hold the uploader or reach the host; the batch counts as accepted, as the
// status code says.
func TestGarbageSuccessBodyIsHarmless(t *testing.T) {
	t.Parallel()
	e := newHTTPEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
		junk := bytes.Repeat([]byte("\xff\xff\xff\xff\x0fgarbage"), 1<<10)
		for i := 0; i < 1<<10; i++ {
			if _, err := w.Write(junk); err != nil {
				return
			}
		}
	})
	in := newInstall(t, e.URL)
	requireHello(t, in.Run(nil, "hello"), "200 with garbage body")
	st, ok := waitStatus(t, in, 20*time.Second, func(st map[string]any) bool { return nothingPending(st) })
	if !ok {
		t.Fatalf("pending never reached 0: %v", st)
	}
	requireHello(t, in.Run(nil, "hello"), "200 with garbage body, second run")
}

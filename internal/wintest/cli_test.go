//go:build wine && linux

package wintest

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/clitest"
	"github.com/waymarkhq/waymark/internal/schema"
)

// The example CLIs as Windows programs, black-box. Under Wine %AppData% and
// %ProgramData% live in the prefix whatever HOME says, so a fresh install is
// a cleared AppData folder of the product (and no policy), and the tests of
// this file run one after another.

// appData is %AppData% of the prefix's user, as a path on this machine.
func appData() string {
	return filepath.Join(prefix, "drive_c", "users", userName(), "AppData", "Roaming")
}

// programData is %ProgramData% of the prefix, as a path on this machine.
func programData() string { return filepath.Join(prefix, "drive_c", "ProgramData") }

// product is one example CLI as a Windows program.
type product struct {
	name, exe, envPrefix string
}

func acme() product    { return product{"acme", acmeExe, "ACME"} }
func acmectl() product { return product{"acmectl", acmectlExe, "ACMECTL"} }

// fresh makes the next run of p a first run on a machine without a policy:
// no state of p, no machine policy, no process of the prefix left.
func fresh(t *testing.T, p product) {
	t.Helper()
	if err := waitWineIdle(time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(appData(), p.name), filepath.Join(programData(), p.name)} {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
}

// stateDir is where p keeps its telemetry state, as a path on this machine.
func (p product) stateDir() string { return filepath.Join(appData(), p.name, "telemetry") }

// env is a run's environment: the endpoint and extra.
func (p product) env(endpoint string, extra ...string) []string {
	return append([]string{p.envPrefix + "_TELEMETRY_ENDPOINT=" + endpoint}, extra...)
}

// status is the part of `telemetry status --json` these tests read.
type status struct {
	Mode       string   `json:"mode"`
	Rule       string   `json:"rule"`
	DeviceID   *string  `json:"device_id"`
	StateDir   string   `json:"state_dir"`
	Pending    int      `json:"pending"`
	Milestones []string `json:"milestones"`
	Policy     *string  `json:"policy"`
}

func (p product) status(t *testing.T, extra []string) status {
	t.Helper()
	r := runExe(t, time.Minute, extra, p.exe, "telemetry", "status", "--json")
	var s status
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &s) != nil {
		t.Fatalf("%s telemetry status --json: exit %d\n%s%s", p.name, r.code, r.stdout, r.stderr)
	}
	return s
}

// hello runs `<p> hello` and checks that the command itself worked.
func (p product) hello(t *testing.T, extra []string) result {
	t.Helper()
	r := runExe(t, time.Minute, extra, p.exe, "hello")
	if r.code != 0 || !strings.Contains(r.stdout, "Hello") {
		t.Fatalf("%s hello: exit %d\n%s%s", p.name, r.code, r.stdout, r.stderr)
	}
	return r
}

// milestonesReceived counts the collector's milestone events named name.
func milestonesReceived(c *clitest.Collector, name string) int {
	n := 0
	for _, m := range c.Milestones() {
		if m == name {
			n++
		}
	}
	return n
}

// The first run delivers its milestone to a loopback collector through the
// detached uploader, and the state dir is under %AppData%.
func TestWindowsFirstRunDelivers(t *testing.T) {
	for _, p := range []product{acme(), acmectl()} {
		t.Run(p.name, func(t *testing.T) {
			fresh(t, p)
			c := clitest.NewCollector(t)
			p.hello(t, p.env(c.URL))
			if !c.WaitFor(90*time.Second, func() bool { return milestonesReceived(c, "first_run") == 1 }) {
				t.Fatalf("no first_run milestone reached the collector; it received %d requests", len(c.Requests()))
			}
			ev := c.Named(schema.EventMilestone)[0]
			if ev.Resource["os.type"] != "windows" || ev.Resource["service.name"] != p.name {
				t.Errorf("resource %v, want os.type windows and service.name %s", ev.Resource, p.name)
			}
			if err := waitWineIdle(time.Minute); err != nil {
				t.Fatalf("after delivery: %v", err)
			}
			s := p.status(t, p.env(c.URL))
			if s.DeviceID == nil || s.Pending != 0 {
				t.Errorf("status after delivery: device_id %v, pending %d; want an id and nothing pending", s.DeviceID, s.Pending)
			}
			if !strings.HasSuffix(s.StateDir, `\AppData\Roaming\`+p.name+`\telemetry`) || !strings.HasPrefix(s.StateDir, `C:\users\`) {
				t.Errorf("state_dir = %q, want it under %%AppData%%", s.StateDir)
			}
			if _, err := os.Stat(filepath.Join(p.stateDir(), "device_id")); err != nil {
				t.Errorf("no device_id in the state dir status named: %v", err)
			}
		})
	}
}

// Ten first runs at once record first_run once: LockFileEx serialises them.
func TestWindowsConcurrentFirstRunsRecordOneMilestone(t *testing.T) {
	p := acme()
	fresh(t, p)
	c := clitest.NewCollector(t)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { p.hello(t, p.env(c.URL)) })
	}
	wg.Wait()
	if err := waitWineIdle(2 * time.Minute); err != nil {
		t.Fatal(err)
	}
	s := p.status(t, p.env(c.URL))
	if s.Pending != 0 {
		// An uploader that lost the race leaves the rest to the next run.
		p.hello(t, p.env(c.URL))
		if err := waitWineIdle(2 * time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if n := milestonesReceived(c, "first_run"); n != 1 {
		t.Fatalf("the collector received %d first_run milestones from ten concurrent first runs, want 1", n)
	}
	if s := p.status(t, p.env(c.URL)); len(s.Milestones) != 1 || s.Milestones[0] != "first_run" {
		t.Fatalf("status milestones = %v, want [first_run]", s.Milestones)
	}
}

// Every opt-out holds on Windows: nothing reaches the collector, and an
// opt-out in force from the start creates no state.
func TestWindowsOptOutsSendNothing(t *testing.T) {
	p := acme()
	for _, tc := range []struct {
		name       string
		setUp      func(t *testing.T, endpoint string)
		extra      []string
		noStateDir bool
	}{
		{name: "DO_NOT_TRACK=1", extra: []string{"DO_NOT_TRACK=1"}, noStateDir: true},
		{name: "ACME_TELEMETRY=off", extra: []string{"ACME_TELEMETRY=off"}, noStateDir: true},
		{name: "saved telemetry disable", setUp: func(t *testing.T, endpoint string) {
			if r := runExe(t, time.Minute, p.env(endpoint), p.exe, "telemetry", "disable"); r.code != 0 {
				t.Fatalf("telemetry disable: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		}},
		{name: `ProgramData\acme\telemetry-policy off with CRLF`, setUp: func(t *testing.T, _ string) {
			writePolicy(t, "off\r\n")
		}, noStateDir: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh(t, p)
			c := clitest.NewCollector(t)
			if tc.setUp != nil {
				tc.setUp(t, c.URL)
			}
			env := p.env(c.URL, tc.extra...)
			p.hello(t, env)
			runExe(t, time.Minute, env, p.exe, "deploy")
			if err := waitWineIdle(time.Minute); err != nil {
				t.Fatal(err)
			}
			if n := len(c.Requests()); n != 0 {
				t.Fatalf("%d requests reached the collector", n)
			}
			s := p.status(t, env)
			if s.Mode != "off" {
				t.Errorf("status mode %q (rule %s), want off", s.Mode, s.Rule)
			}
			if _, err := os.Stat(p.stateDir()); tc.noStateDir && !os.IsNotExist(err) {
				t.Errorf("the state dir exists (%v): an opt-out in force from the start writes nothing", err)
			}
		})
	}
}

func writePolicy(t *testing.T, content string) string {
	t.Helper()
	dir := filepath.Join(programData(), "acme")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "telemetry-policy")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// status --json names the machine policy that decided, by its Windows path
// under %ProgramData%, and says the state dir under %AppData%.
func TestWindowsStatusNamesPolicyAndStateDir(t *testing.T) {
	p := acme()
	fresh(t, p)
	writePolicy(t, "local\r\n")
	s := p.status(t, p.env("http://127.0.0.1:9"))
	if s.Policy == nil || *s.Policy != `C:\ProgramData\acme\telemetry-policy` {
		t.Errorf("status policy = %v, want C:\\ProgramData\\acme\\telemetry-policy", s.Policy)
	}
	if s.Mode != "local" {
		t.Errorf("status mode %q (rule %s) under a local policy, want local", s.Mode, s.Rule)
	}
	if !strings.HasPrefix(s.StateDir, `C:\users\`+userName()+`\AppData\Roaming\acme\`) {
		t.Errorf("state_dir = %q, want it under %%AppData%%", s.StateDir)
	}
}

// telemetry disable forgets the machine: installation id, milestones,
// pending events; re-enabling is a new install.
func TestWindowsDisableForgetsTheMachine(t *testing.T) {
	p := acme()
	fresh(t, p)
	c := clitest.NewCollector(t)
	c.Status = 503 // events stay pending
	env := p.env(c.URL)
	p.hello(t, env)
	if err := waitWineIdle(time.Minute); err != nil {
		t.Fatal(err)
	}
	before := p.status(t, env)
	if before.DeviceID == nil || len(before.Milestones) != 1 || before.Pending == 0 {
		t.Fatalf("before disable: id %v, milestones %v, pending %d; want all three", before.DeviceID, before.Milestones, before.Pending)
	}
	if r := runExe(t, time.Minute, env, p.exe, "telemetry", "disable"); r.code != 0 {
		t.Fatalf("telemetry disable: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	after := p.status(t, env)
	if after.DeviceID != nil || len(after.Milestones) != 0 || after.Pending != 0 || after.Mode != "off" {
		t.Fatalf("after disable: mode %s, id %v, milestones %v, pending %d; want off and nothing kept", after.Mode, after.DeviceID, after.Milestones, after.Pending)
	}
	for _, n := range []string{"device_id", "milestones.json"} {
		if _, err := os.Stat(filepath.Join(p.stateDir(), n)); !os.IsNotExist(err) {
			t.Errorf("%s after disable: %v, want it gone", n, err)
		}
	}
	if runExe(t, time.Minute, env, p.exe, "telemetry", "enable").code != 0 {
		t.Fatal("telemetry enable failed")
	}
	p.hello(t, env)
	if err := waitWineIdle(time.Minute); err != nil {
		t.Fatal(err)
	}
	again := p.status(t, env)
	if again.DeviceID == nil || *again.DeviceID == *before.DeviceID {
		t.Fatalf("after enable and a run: id %v, want a new one (was %s)", again.DeviceID, *before.DeviceID)
	}
}

// A run returns promptly even when the endpoint takes connections and never
// answers: the network is the detached uploader's business, and it too
// gives up and exits, leaving no process of the prefix behind.
func TestWindowsBlackHoledEndpointCostsNoExitTime(t *testing.T) {
	p := acme()
	fresh(t, p)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	env := p.env("http://" + ln.Addr().String())
	// The same command with telemetry off is the yardstick: Wine's own
	// start and exit cost some seconds on a loaded machine.
	base := runExe(t, time.Minute, append(env, "DO_NOT_TRACK=1"), p.exe, "--version")
	r := p.hello(t, env)
	if limit := base.took + 5*time.Second; r.took > limit {
		t.Errorf("hello with a black-holed endpoint took %v (telemetry off: %v), want under %v", r.took, base.took, limit)
	}
	mu.Lock()
	connected := len(held)
	mu.Unlock()
	waited := time.Now()
	if err := waitWineIdle(2 * time.Minute); err != nil {
		t.Fatalf("the uploader did not give up on a black-holed endpoint: %v", err)
	}
	mu.Lock()
	connected = max(connected, len(held))
	mu.Unlock()
	if connected == 0 {
		t.Fatal("no uploader connected to the endpoint: the test proved nothing")
	}
	t.Logf("run: %v (off: %v); the uploader gave up after another %v", r.took, base.took, time.Since(waited))
	if s := p.status(t, env); s.Pending == 0 {
		t.Error("nothing pending after a black-holed upload: the events were lost")
	}
}

// A state dir that everyone may write into is not used: Windows has no
// mode bits, so Waymark reads the folder's access list. Wine shows a Unix
// folder of mode 0777 as one whose list lets Everyone write.
func TestWindowsStateDirWritableByEveryoneIsNotUsed(t *testing.T) {
	p := acme()
	fresh(t, p)
	if err := os.MkdirAll(p.stateDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p.stateDir(), 0o777); err != nil {
		t.Fatal(err)
	}
	c := clitest.NewCollector(t)
	p.hello(t, p.env(c.URL))
	if err := waitWineIdle(time.Minute); err != nil {
		t.Fatal(err)
	}
	s := p.status(t, p.env(c.URL))
	if s.Mode != "off" || s.Rule != "state_dir_unsafe" {
		t.Fatalf("status mode %s rule %s, want off by state_dir_unsafe", s.Mode, s.Rule)
	}
	if ents, _ := os.ReadDir(p.stateDir()); len(ents) != 0 || len(c.Requests()) != 0 {
		t.Fatalf("the state dir holds %d entries and %d requests were sent, want none", len(ents), len(c.Requests()))
	}
}

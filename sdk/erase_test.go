package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/statedir"
)

// deliveredInstall makes an install in dir whose events reached the endpoint at url, and
// returns its installation id.
func deliveredInstall(t *testing.T, dir, url string, h host) string {
	t.Helper()
	cfg := goodConfig(dir)
	c, _ := start(cfg, h)
	c.Milestone("first_run")
	c.Shutdown(context.Background())
	sender, err := export.NewSender(url, false, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	d := statedir.New(dir)
	up := &export.Uploader{StateDir: d, Spool: export.OpenSpool(d, export.SpoolOptions{}), Sender: sender}
	if res, err := up.Run(context.Background()); err != nil || res.Delivered == 0 {
		t.Fatalf("upload = %+v, %v", res, err)
	}
	return c.installID
}

// disable --erase on an install whose id reached the collector sends one waymark.erasure
// request with event.id only, then forgets the machine; offline, only the request stays
// (status shows it) until it is delivered.
func TestDisableEraseSendsOneRequestOrKeepsItPending(t *testing.T) {
	ep, srv, dir, h := eraseSetup(t)
	id := deliveredInstall(t, dir, srv.URL, h)
	before := len(ep.ids)
	var out bytes.Buffer
	if code := command(goodConfig(dir), h, []string{"disable", "--erase"}, &out, &out); code != 0 {
		t.Fatalf("disable --erase exit %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "installation "+id) || !strings.Contains(out.String(), "was delivered") {
		t.Errorf("disable --erase output:\n%s", out.String())
	}
	erasures := 0
	for _, name := range ep.ids {
		if name == "waymark.erasure" {
			erasures++
		}
	}
	if erasures != 1 || len(ep.ids) != before+1 {
		t.Errorf("the endpoint got %d erasure requests and %d new events; want exactly one request", erasures, len(ep.ids)-before)
	}
	// Asked again: nothing is sent, and the words do not claim the id never reached the collector.
	out.Reset()
	command(goodConfig(dir), h, []string{"disable", "--erase"}, &out, &out)
	if len(ep.ids) != before+1 || strings.Contains(out.String(), "never reached") || !strings.Contains(out.String(), "no installation id") {
		t.Errorf("disable --erase a second time: %d new events, output:\n%s\nwant nothing sent and no installation id said", len(ep.ids)-before, out.String())
	}
	st := statusOf(t, goodConfig(dir), h)
	if st.DeviceID != nil || st.Erasure != nil || st.Mode != "off" {
		t.Errorf("after a delivered erasure: id %v, erasure %+v, mode %s; want forgotten and off", st.DeviceID, st.Erasure, st.Mode)
	}

	// Offline: the request alone stays, and is delivered later.
	dir2 := t.TempDir()
	id2 := deliveredInstall(t, dir2, srv.URL, h)
	hOff, _ := testHost(t, map[string]string{"ACME_TELEMETRY_ENDPOINT": "http://127.0.0.1:9"})
	out.Reset()
	command(goodConfig(dir2), hOff, []string{"disable", "--erase"}, &out, &out)
	if !strings.Contains(out.String(), "stays pending") {
		t.Errorf("offline disable --erase output:\n%s", out.String())
	}
	st = statusOf(t, goodConfig(dir2), hOff)
	if st.Erasure == nil || st.Erasure.InstallationID != id2 || st.DeviceID != nil || st.Pending != 0 {
		t.Fatalf("offline: erasure %+v, id %v, pending %d; want the request alone", st.Erasure, st.DeviceID, st.Pending)
	}
	var text bytes.Buffer
	command(goodConfig(dir2), hOff, []string{"status"}, &text, &text)
	if !strings.Contains(text.String(), "erasure:") || !strings.Contains(text.String(), id2) {
		t.Errorf("status text does not show the pending request:\n%s", text.String())
	}
	c := &Client{cfg: goodConfig(dir2).withDefaults(), h: h}
	c.resolve(nil)
	if ok, err := c.sendPendingErasure(context.Background(), 5*time.Second); !ok || err != nil {
		t.Fatalf("sending the pending request: %v, %v", ok, err)
	}
	if st := statusOf(t, goodConfig(dir2), h); st.Erasure != nil {
		t.Errorf("delivered request still pending: %+v", st.Erasure)
	}
}

// An install whose id never reached the collector has nothing to erase: no request.
func TestDisableEraseWithoutDeliverySendsNothing(t *testing.T) {
	ep, _, dir, h := eraseSetup(t)
	c, _ := start(goodConfig(dir), h)
	c.Milestone("first_run")
	c.Shutdown(context.Background())
	var out bytes.Buffer
	command(goodConfig(dir), h, []string{"disable", "--erase"}, &out, &out)
	if !strings.Contains(out.String(), "never reached") || len(ep.ids) != 0 {
		t.Errorf("output %q, endpoint got %v; want no request", out.String(), ep.ids)
	}
	if code := command(goodConfig(dir), h, []string{"enable", "--erase"}, &out, &out); code != 2 {
		t.Errorf("enable --erase exit %d, want 2 (usage)", code)
	}
}

// An upload in flight when the user runs disable --erase may be delivering this install's first
// events right then (the ledger is still empty, and a batch accepted while consent is withdrawn is
// not written to it): the id may reach the collector, so the erasure request is sent.
func TestDisableEraseDuringAnUploadAsksForErasure(t *testing.T) {
	ep, _, dir, h := eraseSetup(t)
	c, _ := start(goodConfig(dir), h)
	c.Milestone("first_run")
	c.Shutdown(context.Background())
	id := c.installID
	// An uploader holds the upload lock: its batch is on the wire.
	lock, err := statedir.New(dir).TryLock(statedir.UploadLock)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	var out bytes.Buffer
	command(goodConfig(dir), h, []string{"disable", "--erase"}, &out, &out)
	erasures := 0
	for _, name := range ep.ids {
		if name == "waymark.erasure" {
			erasures++
		}
	}
	if erasures != 1 || !strings.Contains(out.String(), "installation "+id) {
		t.Errorf("disable --erase while an upload was in flight: %d erasure requests sent, output:\n%s\nwant one request for %s",
			erasures, out.String(), id)
	}
}

// An erasure request still pending when the user turned telemetry on again (or to local) is
// sent by a later run even when that run itself sends nothing: a new install out of the sample,
// or recording locally. Otherwise it would wait for ever while status says a later run sends it.
func TestPendingErasureLeavesFromRunsThatSendNothing(t *testing.T) {
	for _, tc := range []struct {
		name, mode string
		rate       float64
	}{
		{"enabled, out of the sample", "enable", 1e-12},
		{"local", "local", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			h, _ := testHost(t, nil)
			var spawns atomic.Int32
			h.executable = func() (string, error) {
				spawns.Add(1)
				return "", errors.New("no executable in tests")
			}
			cfg := goodConfig(dir)
			cfg.SampleRate = tc.rate
			var out bytes.Buffer
			if code := command(cfg, h, []string{tc.mode}, &out, &out); code != 0 {
				t.Fatalf("%s exit %d:\n%s", tc.mode, code, out.String())
			}
			r := erasureRequest{InstallationID: "3d9b425b-2e29-4e97-9457-b761816710c4",
				EventID: "0f6c8a9e-4b1d-4c6e-9a51-2d7e3f1b8c40", RequestedAt: time.Now().UTC()}
			b, _ := json.Marshal(r)
			if err := statedir.New(dir).WriteFile(statedir.Erasure, b); err != nil {
				t.Fatal(err)
			}
			c, _ := start(cfg, h)
			c.Milestone("first_run")
			c.Shutdown(context.Background())
			if tc.rate != 0 && (c.installID == "" || !c.unsampled.Load()) {
				t.Fatalf("install %q: want a new install out of the sample", c.installID)
			}
			if spawns.Load() == 0 {
				t.Errorf("a run (%s) with an erasure request pending started no uploader to send it", tc.name)
			}
		})
	}
}

// An erasure request that cannot be recorded (something not ours sits where it goes) does not
// keep telemetry on: the machine is disabled and forgotten all the same, and the user is given
// the id to pass on.
func TestDisableEraseDisablesEvenWhenTheRequestCannotBeRecorded(t *testing.T) {
	_, srv, dir, h := eraseSetup(t)
	id := deliveredInstall(t, dir, srv.URL, h)
	if err := os.Mkdir(filepath.Join(dir, string(statedir.Erasure)), 0o700); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := command(goodConfig(dir), h, []string{"disable", "--erase"}, &out, &out)
	st := statusOf(t, goodConfig(dir), h)
	if code != 1 || st.Mode != "off" || st.DeviceID != nil || !strings.Contains(out.String(), id) {
		t.Errorf("exit %d, mode %s, id %v, output:\n%s\nwant exit 1, telemetry off and forgotten, the id given", code, st.Mode, st.DeviceID, out.String())
	}
}

// A server sends an erasure request still pending from an earlier install: it never starts the
// detached uploader that a CLI's run starts, so its own upload loop sends the request.
func TestServerSendsAPendingErasure(t *testing.T) {
	ep, _, dir, h := eraseSetup(t)
	cfg := goodConfig(dir)
	cfg.Server, cfg.Heartbeat = true, time.Second
	var out bytes.Buffer
	if code := command(cfg, h, []string{"enable"}, &out, &out); code != 0 {
		t.Fatalf("enable exit %d:\n%s", code, out.String())
	}
	r := erasureRequest{InstallationID: "3d9b425b-2e29-4e97-9457-b761816710c4",
		EventID: "0f6c8a9e-4b1d-4c6e-9a51-2d7e3f1b8c40", RequestedAt: time.Now().UTC()}
	b, _ := json.Marshal(r)
	if err := statedir.New(dir).WriteFile(statedir.Erasure, b); err != nil {
		t.Fatal(err)
	}
	c, _ := start(cfg, h)
	sent := func() bool {
		ep.mu.Lock()
		defer ep.mu.Unlock()
		return ep.ids[r.EventID] == "waymark.erasure"
	}
	for deadline := time.Now().Add(10 * time.Second); !sent() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	c.Shutdown(context.Background())
	if !sent() {
		t.Errorf("a server run left the pending erasure request unsent (endpoint got %v)", ep.ids)
	}
	if st := statusOf(t, cfg, h); st.Erasure != nil {
		t.Errorf("the request is still pending after the server sent it: %+v", st.Erasure)
	}
}

// disable --erase of an install whose id reached the collector, while a request of an earlier
// install still waits: the earlier one is sent first; offline, the user is given its id, since
// the new request takes its place.
func TestDisableEraseDoesNotSilentlyReplaceAnEarlierRequest(t *testing.T) {
	ep := &logsEndpoint{ids: map[string]string{}}
	srv := httptest.NewServer(ep)
	defer srv.Close()
	earlier := erasureRequest{InstallationID: "3d9b425b-2e29-4e97-9457-b761816710c4",
		EventID: "0f6c8a9e-4b1d-4c6e-9a51-2d7e3f1b8c40", RequestedAt: time.Now().UTC()}
	b, _ := json.Marshal(earlier)
	for _, online := range []bool{true, false} {
		dir := t.TempDir()
		h, _ := testHost(t, map[string]string{"ACME_TELEMETRY_ENDPOINT": srv.URL})
		deliveredInstall(t, dir, srv.URL, h)
		if err := statedir.New(dir).WriteFile(statedir.Erasure, b); err != nil {
			t.Fatal(err)
		}
		if !online {
			h, _ = testHost(t, map[string]string{"ACME_TELEMETRY_ENDPOINT": "http://127.0.0.1:9"})
		}
		var out bytes.Buffer
		command(goodConfig(dir), h, []string{"disable", "--erase"}, &out, &out)
		ep.mu.Lock()
		got := ep.ids[earlier.EventID]
		ep.mu.Unlock()
		if online && got != "waymark.erasure" {
			t.Errorf("online: the earlier request was not sent first; output:\n%s", out.String())
		}
		if !online && !strings.Contains(out.String(), earlier.InstallationID) {
			t.Errorf("offline: the earlier request was replaced without a word of its id; output:\n%s", out.String())
		}
	}
}

// A damaged, hostile or foreign erasure file is no request, and reading it never panics.
func FuzzReadErasure(f *testing.F) {
	f.Add([]byte(`{"installation_id":"3d9b425b-2e29-4e97-9457-b761816710c4","event_id":"0f6c8a9e-4b1d-4c6e-9a51-2d7e3f1b8c40","requested_at":"2026-12-07T00:00:00Z"}`))
	f.Add([]byte(`{"installation_id":"x","event_id":"y"}`))
	f.Add([]byte("\x00\xff{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		d := statedir.New(dir)
		if err := d.WriteFile(statedir.Erasure, data); err != nil {
			t.Fatal(err)
		}
		r, ok := readErasure(d)
		if ok && (len(r.InstallationID) != 36 || len(r.EventID) != 36) {
			t.Fatalf("accepted a request with ids %q, %q", r.InstallationID, r.EventID)
		}
	})
}

// eraseSetup is what the erasure tests start from: a logs endpoint that
// records the event ids it accepted, a state dir, and a host whose
// endpoint override points at it.
func eraseSetup(t *testing.T) (*logsEndpoint, *httptest.Server, string, host) {
	t.Helper()
	ep := &logsEndpoint{ids: map[string]string{}}
	srv := httptest.NewServer(ep)
	t.Cleanup(srv.Close)
	h, _ := testHost(t, map[string]string{"ACME_TELEMETRY_ENDPOINT": srv.URL})
	return ep, srv, t.TempDir(), h
}

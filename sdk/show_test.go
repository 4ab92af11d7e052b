package sdk

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/statedir"
)

// showJSON runs cmdShow on a client resolved as command() resolves it.
func showJSON(t *testing.T, cfg Config, h host) showView {
	t.Helper()
	c := &Client{cfg: cfg.withDefaults(), h: h}
	c.resolve(c.probe)
	var out bytes.Buffer
	if code := c.cmdShow(&out, true); code != 0 {
		t.Fatalf("show --json: exit %d", code)
	}
	var v showView
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("show --json is not a showView: %v\n%s", err, out.String())
	}
	if v.Sent == nil || v.Pending == nil || v.Warnings == nil {
		t.Fatalf("show --json has a null list: %s", out.String())
	}
	return v
}

func showText(t *testing.T, cfg Config, h host) string {
	t.Helper()
	c := &Client{cfg: cfg.withDefaults(), h: h}
	c.resolve(c.probe)
	var out bytes.Buffer
	if code := c.cmdShow(&out, false); code != 0 {
		t.Fatalf("show: exit %d", code)
	}
	return out.String()
}

// eventIDsOf returns the event.id of each listed event of the given name.
func eventIDsOf(evs []export.LedgerEvent, name string) []string {
	var ids []string
	for _, e := range evs {
		if e.Event == name {
			id, _ := e.Attributes["event.id"].(string)
			ids = append(ids, id)
		}
	}
	return ids
}

// logsEndpoint accepts OTLP logs and metrics and keeps every event.id of
// the logs it decoded with the official decoder.
type logsEndpoint struct {
	mu  sync.Mutex
	ids map[string]string // event.id → event name
}

func (e *logsEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(zr)
	if r.URL.Path == "/v1/logs" {
		var req collogspb.ExportLogsServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		e.mu.Lock()
		for _, rl := range req.ResourceLogs {
			for _, sl := range rl.ScopeLogs {
				for _, lr := range sl.LogRecords {
					for _, kv := range lr.Attributes {
						if kv.Key == "event.id" {
							e.ids[kv.Value.GetStringValue()] = lr.EventName
						}
					}
				}
			}
		}
		e.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

// A recorded milestone is listed as pending, then, once the collector
// accepted it, as sent with the event.id the collector received; metrics are
// never listed; show itself changes no file.
func TestShowListsPendingThenSent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	cfg := goodConfig(dir)
	h, errOut := testHost(t, map[string]string{})
	c, err := start(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	c.Milestone("first_run")
	c.Shutdown(context.Background())

	v := showJSON(t, cfg, h)
	if len(v.Sent) != 0 {
		t.Errorf("sent before any upload: %+v", v.Sent)
	}
	pendingIDs := eventIDsOf(v.Pending, "waymark.milestone")
	if len(pendingIDs) != 1 || pendingIDs[0] == "" || len(v.Pending) != 2 {
		t.Fatalf("pending = %+v; want the milestone and the usage ping, and no metrics", v.Pending)
	}
	for _, e := range v.Pending {
		if e.Resource["service.name"] != "acme" || e.Resource["app.installation.id"] == nil || e.Time == "" || e.SentAt != "" {
			t.Errorf("pending event = %+v", e)
		}
	}
	before := listFiles(t, dir)
	text := showText(t, cfg, h)
	if !hasAllOf(text, "Sent: no events", "Pending: 2 events", "waymark.milestone", "milestone.name=first_run",
		"event.id="+pendingIDs[0], "service.name=acme", "Also waiting: 1 batch of metric counts") {
		t.Errorf("show text:\n%s", text)
	}
	// Nothing was sent, so no record of sent events exists to point at.
	if strings.Contains(text, "sent.jsonl") {
		t.Errorf("show names the record of sent events before it exists:\n%s", text)
	}

	ep := &logsEndpoint{ids: map[string]string{}}
	srv := httptest.NewServer(ep)
	defer srv.Close()
	sender, err := export.NewSender(srv.URL, false, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	d := statedir.New(dir)
	up := &export.Uploader{StateDir: d, Spool: export.OpenSpool(d, export.SpoolOptions{}), Sender: sender}
	if res, err := up.Run(context.Background()); err != nil || res.Delivered != 3 {
		t.Fatalf("upload = %+v, %v", res, err)
	}

	v = showJSON(t, cfg, h)
	if len(v.Pending) != 0 {
		t.Errorf("pending after delivery: %+v", v.Pending)
	}
	sentIDs := eventIDsOf(v.Sent, "waymark.milestone")
	if len(sentIDs) != 1 || sentIDs[0] != pendingIDs[0] || ep.ids[sentIDs[0]] != "waymark.milestone" {
		t.Fatalf("sent milestone ids %v; pending had %v; the endpoint got %v", sentIDs, pendingIDs, ep.ids)
	}
	if len(v.Sent) != len(ep.ids) {
		t.Errorf("%d events listed as sent, the endpoint got %d", len(v.Sent), len(ep.ids))
	}
	for _, e := range v.Sent {
		if _, err := time.Parse(time.RFC3339, e.SentAt); err != nil {
			t.Errorf("sent_at %q: %v", e.SentAt, err)
		}
	}
	text = showText(t, cfg, h)
	if !hasAllOf(text, "Sent: the last 2 events", "sent at:", "event.id="+pendingIDs[0], "Pending: no events",
		filepath.Join(dir, "sent.jsonl")) {
		t.Errorf("show text after delivery:\n%s", text)
	}
	after := listFiles(t, dir)
	showText(t, cfg, h)
	showJSON(t, cfg, h)
	if got := listFiles(t, dir); strings.Join(got, ",") != strings.Join(after, ",") {
		t.Errorf("show changed the state dir: %v → %v", after, got)
	}
	if len(before) == 0 {
		t.Error("no files before upload")
	}
	if errOut.String() != "" {
		t.Errorf("printed %q", errOut.String())
	}
}

// show creates nothing: not the state dir, not a ledger.
func TestShowCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	h, _ := testHost(t, map[string]string{})
	v := showJSON(t, goodConfig(dir), h)
	if len(v.Sent)+len(v.Pending)+len(v.Warnings) != 0 {
		t.Errorf("show of nothing = %+v", v)
	}
	showText(t, goodConfig(dir), h)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("show created the state dir (%v)", err)
	}
}

// Nothing is kept while off: a run with telemetry off leaves nothing to show.
func TestShowAfterOffRunIsEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	h, _ := testHost(t, map[string]string{"DO_NOT_TRACK": "1"})
	c, _ := start(goodConfig(dir), h)
	c.Milestone("first_run")
	c.Shutdown(context.Background())
	if v := showJSON(t, goodConfig(dir), h); len(v.Sent)+len(v.Pending) != 0 {
		t.Errorf("after an off run: %+v", v)
	}
	if files := listFiles(t, dir); len(files) != 0 {
		t.Errorf("files written: %v", files)
	}
}

// A state dir that must not be used is not read: the lists are empty.
func TestShowUnusableDirPrintsEmptyLists(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("group-writable state dirs are a Unix notion")
	}
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	line := `{"sent_at":"2026-01-01T00:00:00Z","event":"waymark.milestone","time":"2026-01-01T00:00:00Z","attributes":{"event.id":"planted"},"resource":{}}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "sent.jsonl"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	h, _ := testHost(t, map[string]string{})
	if v := showJSON(t, goodConfig(dir), h); len(v.Sent) != 1 {
		t.Fatalf("the usable dir's ledger is not listed: %+v", v)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	v := showJSON(t, goodConfig(dir), h)
	if len(v.Sent)+len(v.Pending) != 0 {
		t.Errorf("an unsafe state dir was read: %+v", v)
	}
	if text := showText(t, goodConfig(dir), h); strings.Contains(text, "planted") {
		t.Errorf("text lists the unsafe dir's ledger:\n%s", text)
	}
}

// Text output never carries terminal control sequences from the disk.
func TestShowTextStripsControls(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	line := `{"sent_at":"x","event":"evil\u001b[2J","time":"t","attributes":{"k\u001b]0;x\u0007":"v\r\nforged"},"resource":{"n":1}}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "sent.jsonl"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	h, _ := testHost(t, map[string]string{})
	text := showText(t, goodConfig(dir), h)
	if strings.ContainsAny(text, "\x1b\x07\r") || strings.Contains(text, "\nforged") {
		t.Errorf("control characters reached the terminal: %q", text)
	}
	if !strings.Contains(text, "n=1") {
		t.Errorf("number attribute lost: %s", text)
	}
}

func hasAllOf(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/statedir"
)

// emitEvents spools real events through the pipeline, one milestone per
// id, and one metrics delta.
func emitEvents(t *testing.T, sp *Spool, ids ...string) {
	t.Helper()
	p, err := NewPipeline(Options{Resource: testResource, Destination: ToSpool, Spool: sp, Version: "0.2.0"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	for _, id := range ids {
		if err := p.Emit(schema.EventMilestone, attribute.String("milestone.name", "first_run"),
			attribute.String("event.id", id), attribute.Int64("n", math.MaxInt64), attribute.Float64("nan", math.NaN())); err != nil {
			t.Fatal(err)
		}
		p.AddMilestone("first_run")
	}
	if err := p.FlushMetrics(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func ledgerLines(t *testing.T, d *statedir.Dir) []string {
	t.Helper()
	b, err := os.ReadFile(d.PathOf(statedir.Ledger))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// What the collector accepted is listed with the attributes and resource
// it received, and the event.id the collector saw; metrics are not.
func TestLedgerListsWhatTheCollectorAccepted(t *testing.T) {
	f := newUploadFixture(t, http.StatusOK)
	emitEvents(t, f.spool, "id-1")
	f.clock.Add(time.Second)
	emitEvents(t, f.spool, "id-2")
	pending, err := f.spool.PendingEvents(0)
	if err != nil || len(pending) != 2 || pending[0].Attributes["event.id"] != "id-1" || pending[1].Attributes["event.id"] != "id-2" {
		t.Fatalf("pending = %+v, %v; want id-1 and id-2", pending, err)
	}
	if pending[0].SentAt != "" {
		t.Errorf("a pending event has sent_at %q", pending[0].SentAt)
	}
	if f.stateDir.Has(statedir.Ledger) {
		t.Fatal("ledger written before anything was sent")
	}

	res, err := f.up.Run(context.Background())
	if err != nil || res.Delivered != 4 {
		t.Fatalf("Run = %+v, %v; want 4 entries delivered", res, err)
	}
	// What the endpoint received, by the official decoder.
	var sentIDs []string
	for _, r := range f.rec.requests() {
		if r.Path != "/v1/logs" {
			continue
		}
		var req collogspb.ExportLogsServiceRequest
		if err := proto.Unmarshal(r.Body, &req); err != nil {
			t.Fatal(err)
		}
		for _, rl := range req.ResourceLogs {
			for _, lr := range rl.ScopeLogs[0].LogRecords {
				for _, kv := range lr.Attributes {
					if kv.Key == "event.id" {
						sentIDs = append(sentIDs, kv.Value.GetStringValue())
					}
				}
			}
		}
	}

	got, err := ReadLedger(f.stateDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(sentIDs) != 2 {
		t.Fatalf("ledger = %+v; sent %v", got, sentIDs)
	}
	for i, e := range got {
		if e.Attributes["event.id"] != sentIDs[i] {
			t.Errorf("ledger event %d has event.id %v, the endpoint got %s", i, e.Attributes["event.id"], sentIDs[i])
		}
		if e.Event != schema.EventMilestone || e.Attributes["milestone.name"] != "first_run" {
			t.Errorf("event %d = %+v", i, e)
		}
		if e.SentAt != f.clock.Now().Format(time.RFC3339) {
			t.Errorf("sent_at = %q, want %q", e.SentAt, f.clock.Now().Format(time.RFC3339))
		}
		if tm, err := time.Parse(time.RFC3339Nano, e.Time); err != nil || time.Since(tm) > time.Minute {
			t.Errorf("time = %q (%v)", e.Time, err)
		}
		if e.Resource["service.name"] != "acme" || e.Resource["app.installation.id"] != testResource[1].Value.AsString() || len(e.Resource) != len(testResource) {
			t.Errorf("resource = %v", e.Resource)
		}
		// Integers keep every digit; NaN is shown, not lost.
		if n, ok := e.Attributes["n"].(json.Number); !ok || n.String() != "9223372036854775807" {
			t.Errorf("n = %#v", e.Attributes["n"])
		}
		if e.Attributes["nan"] != "NaN" {
			t.Errorf("nan = %#v", e.Attributes["nan"])
		}
	}
	// The documented line shape, key by key.
	var line map[string]json.RawMessage
	if err := json.Unmarshal([]byte(ledgerLines(t, f.stateDir)[0]), &line); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"sent_at", "event", "time", "attributes", "resource"} {
		if _, ok := line[k]; !ok {
			t.Errorf("ledger line lacks %q: %v", k, line)
		}
	}
	if len(line) != 5 {
		t.Errorf("ledger line has keys %v", line)
	}
	// Windows has no mode bits: there the user's profile's ACL keeps others out.
	if fi, err := os.Stat(f.stateDir.PathOf(statedir.Ledger)); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("ledger mode = %v, %v; want 0600", fi.Mode(), err)
	}
	if pending, _ := f.spool.PendingEvents(0); len(pending) != 0 {
		t.Errorf("still pending after delivery: %+v", pending)
	}
}

// A batch that was refused, or never arrived, is not listed as sent.
func TestLedgerSkipsWhatWasNotAccepted(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := newUploadFixture(t, status)
			emitEvents(t, f.spool, "id-1")
			f.up.Run(context.Background())
			if f.stateDir.Has(statedir.Ledger) {
				t.Fatalf("ledger written after status %d", status)
			}
			got, err := ReadLedger(f.stateDir)
			if err != nil || len(got) != 0 {
				t.Fatalf("ReadLedger = %v, %v", got, err)
			}
			pending, _ := f.spool.PendingEvents(0)
			if retry := status == http.StatusServiceUnavailable; retry != (len(pending) == 1) {
				t.Errorf("pending after %d: %+v", status, pending)
			}
		})
	}
}

// A ledger that cannot be written never fails the delivery, and a link at
// its place is not followed.
func TestLedgerFailureNeverFailsDelivery(t *testing.T) {
	f := newUploadFixture(t, http.StatusOK)
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	symlink(t, target, f.stateDir.PathOf(statedir.Ledger))
	emitEvents(t, f.spool, "id-1")
	res, err := f.up.Run(context.Background())
	if err != nil || res.Delivered != 2 {
		t.Fatalf("Run = %+v, %v; want both entries delivered", res, err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("link target now holds %q", b)
	}
	if st, _ := f.spool.Stat(); st.Pending != 0 {
		t.Errorf("%d entries left in the spool", st.Pending)
	}
	if _, err := ReadLedger(f.stateDir); !errors.Is(err, statedir.ErrUnsafe) {
		t.Errorf("ReadLedger through a link: %v, want ErrUnsafe", err)
	}
}

func ledgerEvent(i int, pad int) LedgerEvent {
	return LedgerEvent{SentAt: "2026-03-01T12:00:00Z", Event: "waymark.usage", Time: "2026-03-01T12:00:00Z",
		Attributes: map[string]any{"event.id": fmt.Sprintf("e%04d", i), "pad": strings.Repeat("x", pad)},
		Resource:   map[string]any{"service.name": "acme"}}
}

// The ledger keeps at most 100 events and 64 KiB, newest last, and drops
// the oldest half when either bound would be passed.
func TestLedgerStaysBounded(t *testing.T) {
	for _, c := range []struct {
		name      string
		pad, each int
	}{{"by count", 0, 7}, {"by size", 2000, 3}, {"one at a time", 10, 1}} {
		t.Run(c.name, func(t *testing.T) {
			d := statedir.New(t.TempDir())
			next := 0
			for round := 0; round < 60; round++ {
				var evs []LedgerEvent
				for j := 0; j < c.each; j++ {
					evs = append(evs, ledgerEvent(next, c.pad))
					next++
				}
				if err := appendLedger(d, evs); err != nil {
					t.Fatal(err)
				}
				if size := d.Size(statedir.Ledger); size > ledgerMaxBytes {
					t.Fatalf("ledger is %d bytes", size)
				}
				got, err := ReadLedger(d)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(ledgerLines(t, d)); n > ledgerMaxEvents || n != len(got) {
					t.Fatalf("ledger holds %d lines, %d events", n, len(got))
				}
				// Newest last, consecutive: nothing lost in the middle.
				last := got[len(got)-1].Attributes["event.id"]
				if last != fmt.Sprintf("e%04d", next-1) {
					t.Fatalf("newest = %v, want e%04d", last, next-1)
				}
				for i := 1; i < len(got); i++ {
					var a, b int
					fmt.Sscanf(got[i-1].Attributes["event.id"].(string), "e%d", &a)
					fmt.Sscanf(got[i].Attributes["event.id"].(string), "e%d", &b)
					if b != a+1 {
						t.Fatalf("events %d and %d follow each other", a, b)
					}
				}
			}
			if got, _ := ReadLedger(d); len(got) < 10 {
				t.Errorf("only %d events kept", len(got))
			}
		})
	}
}

// Damage to the ledger is survived: a torn last line, foreign lines, a file
// too large to be Waymark's.
func TestLedgerSurvivesDamage(t *testing.T) {
	d := statedir.New(t.TempDir())
	path := d.PathOf(statedir.Ledger)
	if got, err := ReadLedger(d); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("missing ledger: %v, %v", got, err)
	}
	if d.Has(statedir.Ledger) {
		t.Fatal("ReadLedger created the ledger")
	}
	good, _ := json.Marshal(ledgerEvent(1, 0))
	torn := string(good) + "\nnot json\n[1]\n{\"event\":\"\"}\n" + string(good[:20])
	if err := os.WriteFile(path, []byte(torn), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadLedger(d); err != nil || len(got) != 1 {
		t.Fatalf("ReadLedger = %+v, %v; want the one good event", got, err)
	}
	if err := appendLedger(d, []LedgerEvent{ledgerEvent(2, 0)}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLedger(d)
	if err != nil || len(got) != 2 || got[1].Attributes["event.id"] != "e0002" {
		t.Fatalf("after append to a torn ledger: %+v, %v", got, err)
	}
	for _, l := range ledgerLines(t, d) {
		if !json.Valid([]byte(l)) {
			t.Errorf("invalid line %q", l)
		}
	}

	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), ledgerMaxBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadLedger(d); !errors.Is(err, statedir.ErrTooLarge) {
		t.Errorf("oversized ledger: %v, want ErrTooLarge", err)
	}
	if err := appendLedger(d, []LedgerEvent{ledgerEvent(3, 0)}); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadLedger(d); err != nil || len(got) != 1 {
		t.Fatalf("after an oversized ledger: %+v, %v", got, err)
	}

	// One event too large for the ledger is left out, not the others.
	if err := appendLedger(d, []LedgerEvent{ledgerEvent(4, ledgerMaxBytes), ledgerEvent(5, 0)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := ReadLedger(d); len(got) != 2 || got[1].Attributes["event.id"] != "e0005" {
		t.Fatalf("after an oversized event: %+v", got)
	}
}

// PendingEvents only reads, stops at max, and passes over what cannot be
// read.
func TestPendingEventsBoundedAndReadOnly(t *testing.T) {
	dir := t.TempDir()
	d := statedir.New(filepath.Join(dir, "state"))
	sp := OpenSpool(d, SpoolOptions{})
	if got, err := sp.PendingEvents(5); err != nil || len(got) != 0 || got == nil {
		t.Fatalf("missing spool: %v, %v", got, err)
	}
	if _, err := os.Stat(d.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("PendingEvents created the state dir")
	}
	if err := os.MkdirAll(d.Path(), 0o700); err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	sp = OpenSpool(d, SpoolOptions{Now: clock.Now})
	if err := sp.Append(KindUsage, Logs, []byte("not protobuf")); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 12; i++ {
		clock.Add(time.Second)
		ids = append(ids, fmt.Sprintf("id-%02d", i))
		emitEvents(t, sp, ids[i])
	}
	before := dirNames(t, filepath.Join(d.Path(), "spool"))
	got, err := sp.PendingEvents(5)
	if err == nil || !strings.Contains(err.Error(), "1 pending entry cannot be read") || len(got) != 5 {
		t.Fatalf("PendingEvents(5) = %d events, %v; want 5 and the garbage entry named", len(got), err)
	}
	// emitEvents stamps its own spool entries with the clock of the spool:
	// the oldest events come first.
	for i, e := range got {
		if e.Attributes["event.id"] != ids[i] {
			t.Errorf("event %d = %v, want %s", i, e.Attributes["event.id"], ids[i])
		}
	}
	if all, _ := sp.PendingEvents(1000); len(all) != 12 {
		t.Errorf("PendingEvents(1000) = %d events, want 12 (metrics and garbage left out)", len(all))
	}
	if after := dirNames(t, filepath.Join(d.Path(), "spool")); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("spool changed from %v to %v", before, after)
	}
}

func TestJSONValueKeepsJSONValid(t *testing.T) {
	v := jsonValue([]any{math.Inf(1), math.Inf(-1), 1.5, []byte{1}, nil, int64(-1)})
	b, err := json.Marshal(v)
	if err != nil || string(b) != `["+Inf","-Inf",1.5,"AQ==",null,-1]` {
		t.Fatalf("%s, %v", b, err)
	}
}

// FuzzLedger feeds arbitrary content to the ledger reader, then appends to
// it: reading never fails on content, stays within the bounds, and an
// append always leaves a ledger whose newest event is the one appended.
func FuzzLedger(f *testing.F) {
	good, _ := json.Marshal(ledgerEvent(1, 0))
	f.Add(string(good) + "\n")
	f.Add(string(good) + "\n" + string(good[:10]))
	f.Add("{\"event\":1}\n{}\n\n[]\nnull\n")
	f.Add(strings.Repeat(string(good)+"\n", 120))
	f.Fuzz(func(t *testing.T, content string) {
		d := statedir.New(t.TempDir())
		if err := os.WriteFile(d.PathOf(statedir.Ledger), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadLedger(d)
		if len(content) <= ledgerMaxBytes && err != nil {
			t.Fatalf("ReadLedger: %v", err)
		}
		if len(got) > ledgerMaxEvents {
			t.Fatalf("%d events read", len(got))
		}
		for _, e := range got {
			if e.Event == "" || e.Attributes == nil || e.Resource == nil {
				t.Fatalf("event %+v", e)
			}
		}
		if err := appendLedger(d, []LedgerEvent{ledgerEvent(9999, 0)}); err != nil {
			t.Fatalf("appendLedger: %v", err)
		}
		got, err = ReadLedger(d)
		if err != nil || len(got) == 0 || got[len(got)-1].Attributes["event.id"] != "e9999" {
			t.Fatalf("after append: %+v, %v", got, err)
		}
		if size := d.Size(statedir.Ledger); size > ledgerMaxBytes {
			t.Fatalf("ledger is %d bytes", size)
		}
	})
}

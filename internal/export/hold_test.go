package export

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// An uploader whose Hold says no sends nothing and writes nothing: the
// entries stay (for `telemetry disable` to delete) and no upload.json is
// written.
func TestUploaderSendsNothingWhenHoldRefuses(t *testing.T) {
	f := newUploadFixture(t, http.StatusOK)
	f.addLogs(t, "a", "b")
	f.up.Hold = func() (func(), bool) { return nil, false }
	_, err := f.up.Run(context.Background())
	if !errors.Is(err, ErrWithdrawn) {
		t.Fatalf("Run: %v, want ErrWithdrawn", err)
	}
	if n := len(f.rec.reqs); n != 0 {
		t.Fatalf("%d requests sent although Hold refused", n)
	}
	if f.stateDir.Has("upload.json") || f.stateDir.Has("sent.jsonl") {
		t.Fatal("the uploader wrote its records although Hold refused")
	}
}

// Consent withdrawn while a request is in flight: the answer is not
// written down (no ledger, no delivery record), and the release of the
// first Hold came before the request.
func TestUploaderWritesNothingWhenConsentEndsMidRequest(t *testing.T) {
	f := newUploadFixture(t, http.StatusOK)
	f.addLogs(t, "a")
	calls, held := 0, false
	f.up.Hold = func() (func(), bool) {
		calls++
		if calls > 1 {
			return nil, false // turned off during the request
		}
		held = true
		return func() { held = false }, true
	}
	_, err := f.up.Run(context.Background())
	if !errors.Is(err, ErrWithdrawn) {
		t.Fatalf("Run: %v, want ErrWithdrawn", err)
	}
	if held {
		t.Fatal("the hold taken before the request was never released")
	}
	if n := len(f.rec.reqs); n != 1 {
		t.Fatalf("%d requests, want the one in flight", n)
	}
	if f.stateDir.Has("upload.json") || f.stateDir.Has("sent.jsonl") {
		t.Fatal("the uploader wrote the outcome of a request after consent ended")
	}
}

// Consent withdrawn (telemetry made local, say) while a request the
// collector then accepted was in flight: nothing is written down, but the
// delivered entries leave the spool, so a later enable does not send the
// same events twice. A request that failed keeps its entries.
func TestUploaderDropsADeliveredBatchWhenConsentEndsMidRequest(t *testing.T) {
	for _, c := range []struct {
		status int
		left   int
	}{{http.StatusOK, 0}, {http.StatusServiceUnavailable, 1}} {
		f := newUploadFixture(t, c.status)
		f.addLogs(t, "a")
		calls := 0
		f.up.Hold = func() (func(), bool) {
			calls++
			return func() {}, calls == 1
		}
		if _, err := f.up.Run(context.Background()); !errors.Is(err, ErrWithdrawn) {
			t.Fatalf("HTTP %d: Run: %v, want ErrWithdrawn", c.status, err)
		}
		if n := f.pending(t); n != c.left {
			t.Errorf("HTTP %d: %d entries left in the spool, want %d", c.status, n, c.left)
		}
		if f.stateDir.Has("upload.json") || f.stateDir.Has("sent.jsonl") {
			t.Errorf("HTTP %d: the uploader wrote the outcome of a request after consent ended", c.status)
		}
	}
}

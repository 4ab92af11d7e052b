package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
)

// refusingEndpoint answers every request with status and Retry-After: 300,
// and counts the requests.
func refusingEndpoint(t *testing.T, status int) *httpEndpoint {
	return newHTTPEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "300")
		w.WriteHeader(status)
	})
}

// nextAttempt reads delivery.next_attempt from a status.
func nextAttempt(t *testing.T, st map[string]any) time.Time {
	t.Helper()
	d, _ := st["delivery"].(map[string]any)
	s, _ := d["next_attempt"].(string)
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("delivery.next_attempt %q: %v (status %v)", s, err, st)
	}
	return at
}

// requireNextAttemptAfter checks that status --json puts the next attempt at
// least 300 s after refused (less a second: the time is shown to the
// second), and not beyond 300 s plus its jitter after the refusal.
func requireNextAttemptAfter(t *testing.T, st map[string]any, refused, seen time.Time) {
	t.Helper()
	next := nextAttempt(t, st)
	if next.Before(refused.Add(300*time.Second - time.Second)) {
		t.Fatalf("delivery.next_attempt %v is %v after the refusal, want at least 300 s",
			next, next.Sub(refused).Round(time.Second))
	}
	if next.After(seen.Add(450*time.Second + time.Second)) {
		t.Fatalf("delivery.next_attempt %v is more than 300 s and its jitter after the refusal", next)
	}
}

// runUploaderNow starts the detached uploader's code path directly, as a run
// of acme would (a ticket in the state dir and the variable naming it), and
// waits for it: what it does is not held back by the CLI's own check of the
// backoff.
func runUploaderNow(t *testing.T, in *Install) {
	t.Helper()
	token := strings.Repeat("5a", 16)
	name, ok := statedir.UploaderTicket(token)
	if !ok {
		t.Fatal("no ticket name for the token")
	}
	ticket := fmt.Sprintf(`{"product":"acme","version":"1.4.2","endpoint":%q}`, in.Endpoint)
	if err := statedir.New(in.StateDir()).WriteFile(name, []byte(ticket)); err != nil {
		t.Fatal(err)
	}
	cmd := in.Cmd(acmeBin, []string{"WAYMARK_UPLOAD_CHILD=" + token + ":" + in.StateDir()}, "__waymark-upload-child__")
	if r := runCmd(t, cmd); r.Code != 0 || r.Stdout != "" || r.Stderr != "" {
		t.Fatalf("uploader: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(in.StateDir(), string(name))); !os.IsNotExist(err) {
		t.Fatalf("the uploader did not claim its ticket (%v): it never ran", err)
	}
}

// An endpoint that answers 429 or 503 with Retry-After: 300 gets no further
// request before then: not from later runs of acme (hello, and deploy, which
// records a new milestone), nor from the detached uploader, which is run
// once more directly. status --json's delivery.next_attempt is at least
// 300 s after the refusal.
func TestRetryAfterHoldsEveryRunOff(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			ep := refusingEndpoint(t, status)
			in := newInstall(t, ep.URL)
			refused := time.Now()
			requireHello(t, in.Run(nil, "hello"), "first run")
			st, ok := waitStatus(t, in, deliveryWait, func(st map[string]any) bool {
				return num(st, "delivery.failures") >= 1
			})
			if !ok {
				t.Fatalf("the refusal was never recorded; %d requests; status %v", ep.Requests(), st)
			}
			seen := time.Now()
			// The refusal of the logs ended the upload: no metrics after it.
			if n := ep.Requests(); n != 1 {
				t.Fatalf("%d requests up to the refusal, want 1", n)
			}
			requireNextAttemptAfter(t, st, refused, seen)

			// Past any backoff of one failure without Retry-After (at
			// most 10 s), the runs would send again.
			time.Sleep(time.Until(refused.Add(11 * time.Second)))
			for i := range 3 {
				requireHello(t, in.Run(nil, "hello"), fmt.Sprintf("run %d after the refusal", i+2))
			}
			if r := in.Run(nil, "deploy"); r.Code != 0 {
				t.Fatalf("acme deploy: exit %d\n%s", r.Code, r.Stderr)
			}
			runUploaderNow(t, in)
			// Give any uploader those runs started time to act.
			time.Sleep(2 * time.Second)
			if n := ep.Requests(); n != 1 {
				t.Fatalf("%d requests after the refusal with Retry-After: 300, want none", n-1)
			}
			st = statusJSON(t, in, nil)
			if num(st, "pending") < 2 || num(st, "delivery.failures") != 1 {
				t.Fatalf("after the runs: pending %v, failures %v; want the events kept and one failure",
					st["pending"], num(st, "delivery.failures"))
			}
			requireNextAttemptAfter(t, st, refused, seen)
			if r := in.Run(nil, "telemetry", "status"); !strings.Contains(r.Stdout, "asked to wait 5 minutes") {
				t.Errorf("status does not say the endpoint asked to wait 5 min:\n%s", r.Stdout)
			}
		})
	}
}

// A server refused with 503 and Retry-After: 300 sends nothing more while it
// runs (a heartbeat a second, for 12 s), nor in its final flush at shutdown.
func TestRetryAfterHoldsAServerOff(t *testing.T) {
	t.Parallel()
	ep := refusingEndpoint(t, http.StatusServiceUnavailable)
	in := newInstall(t, ep.URL)
	refused := time.Now()
	cmd, se := startServer(t, in, "--heartbeat", "1s")
	deadline := time.Now().Add(deliveryWait)
	for ep.Requests() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if ep.Requests() == 0 {
		t.Fatalf("the server sent nothing within %v\n%s", deliveryWait, se.String())
	}
	seen := time.Now()
	// A dozen more heartbeats, each kicking the uploader: past any backoff
	// of one or two failures without Retry-After (at most 10 s, then 20 s).
	time.Sleep(12 * time.Second)
	if n := ep.Requests(); n != 1 {
		t.Fatalf("%d requests while running, want 1 (the refused one)", n)
	}
	stopServer(t, cmd, se, 10*time.Second)
	if n := ep.Requests(); n != 1 {
		t.Fatalf("%d requests by the end of the shutdown, want 1: the final flush ignored Retry-After", n)
	}
	st := statusJSON(t, in, nil)
	if num(st, "pending") < 1 {
		t.Fatalf("the heartbeats were not kept: %v", st)
	}
	requireNextAttemptAfter(t, st, refused, seen)
}

package export

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	in := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"300", 300 * time.Second, true},
		{" \t120 ", 120 * time.Second, true},
		{"0", 0, true},
		{"000042", 42 * time.Second, true},
		{"3599", 3599 * time.Second, true},
		{"3600", time.Hour, true},
		{"86400", time.Hour, true},
		{"99999999999999999999999999999999", time.Hour, true},
		{"-5", 0, false},
		{"+5", 0, false},
		{"1.5", 0, false},
		{"5s", 0, false},
		{"1e3", 0, false},
		{"12 34", 0, false},
		{"", 0, false},
		{"   ", 0, false},
		{"soon", 0, false},
		{"\x00\xff", 0, false},
		{strings.Repeat("9", 65), 0, false},
		// The three HTTP-date forms.
		{in(5 * time.Minute), 5 * time.Minute, true},
		{now.Add(90 * time.Second).Format(time.RFC850), 90 * time.Second, true},
		{now.Add(10 * time.Minute).Format(time.ANSIC), 10 * time.Minute, true},
		{in(-time.Hour), 0, true},
		{in(0), 0, true},
		{in(48 * time.Hour), time.Hour, true},
		{"Sun, 06 Nov 1994 08:49:37 GMT", 0, true},
		{"Mon, 32 Foo 2026 99:00:00 GMT", 0, false},
		{"Sun, 01 Mar 2026 12:05:00 CET", 0, false},
	} {
		got, ok := ParseRetryAfter(tc.v, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"300", "0", "-1", "1.5", "", " 7 ", "99999999999999999999",
		now.Add(time.Minute).Format(http.TimeFormat), now.Add(-time.Minute).Format(time.RFC850),
		now.Add(time.Hour).Format(time.ANSIC), "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, now)
		if !ok {
			if d != 0 {
				t.Fatalf("%q: not ok but %v", v, d)
			}
			return
		}
		if d < 0 || d > time.Hour {
			t.Fatalf("%q: %v outside [0, 1h]", v, d)
		}
		digits := strings.Trim(v, " \t")
		if isDigits(digits) {
			if n, err := strconv.ParseUint(digits, 10, 64); err == nil && n < 3600 && d != time.Duration(n)*time.Second {
				t.Fatalf("%q: %v, want %ds", v, d, n)
			}
		}
	})
}

func TestNextAttempt(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	type bound struct{ lo, hi time.Duration }
	for _, tc := range []struct {
		name       string
		failures   int
		failing    time.Duration // how long before now the first failure was
		retryAfter time.Duration
		want       bound
	}{
		{"no failure", 0, 0, 0, bound{0, 0}},
		{"first failure: retry within 10 s", 1, 0, 0, bound{5 * time.Second, 10 * time.Second}},
		{"failures at once double", 4, 0, 0, bound{40 * time.Second, 80 * time.Second}},
		{"a retrier at every expiry still doubles", 4, 35 * time.Second, 0, bound{40 * time.Second, 80 * time.Second}},
		{"failing 20 min, two failures: wait for the outage's length", 2, 20 * time.Minute, 0, bound{15 * time.Minute, 30 * time.Minute}},
		{"failing for days: capped at 1 h", 3, 72 * time.Hour, 0, bound{30 * time.Minute, time.Hour}},
		{"many failures: capped at 1 h", 50, 0, 0, bound{30 * time.Minute, time.Hour}},
		{"first failure in the future (clock went back)", 1, -24 * time.Hour, 0, bound{5 * time.Second, 10 * time.Second}},
		{"Retry-After 300 s", 1, 0, 300 * time.Second, bound{300 * time.Second, 450 * time.Second}},
		{"Retry-After without a failure count", 0, 0, 60 * time.Second, bound{60 * time.Second, 90 * time.Second}},
		{"Retry-After shorter than the backoff", 9, 0, 5 * time.Second, bound{1280 * time.Second, 2560 * time.Second}},
		{"Retry-After capped at 1 h", 1, 0, 30 * time.Hour, bound{time.Hour, 90 * time.Minute}},
		{"Retry-After as long as the largest duration", 1, 0, math.MaxInt64, bound{time.Hour, 90 * time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			since := now.Add(-tc.failing)
			lo := NextAttempt(tc.failures, since, now, tc.retryAfter, 0).Sub(now)
			hi := NextAttempt(tc.failures, since, now, tc.retryAfter, 1).Sub(now)
			if lo != tc.want.lo || hi != tc.want.hi {
				t.Errorf("range [%v, %v], want [%v, %v]", lo, hi, tc.want.lo, tc.want.hi)
			}
			for _, r := range []float64{-1, 0.3, 2, math.NaN(), math.Inf(-1)} {
				if d := NextAttempt(tc.failures, since, now, tc.retryAfter, r).Sub(now); d < tc.want.lo || d > tc.want.hi {
					t.Errorf("r %v: %v outside [%v, %v]", r, d, tc.want.lo, tc.want.hi)
				}
			}
			if tc.want.hi > maxWait {
				t.Errorf("%v is beyond maxWait %v: Due would take it for a clock that jumped", tc.want.hi, maxWait)
			}
		})
	}
}

// A NextAttempt set by a Retry-After is not mistaken for a clock that went
// back: it holds until it passes; only one further ahead than any wait can
// be is ignored.
func TestDueHoldsForTheLongestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := DeliveryState{Failures: 1, NextAttempt: NextAttempt(1, now, now, 10*time.Hour, 1)}
	if due(st, now) || due(st, st.NextAttempt.Add(-time.Second)) {
		t.Fatalf("due before a 1 h 30 min wait passed")
	}
	if !due(st, st.NextAttempt) {
		t.Fatal("not due when the wait passed")
	}
	st.NextAttempt = now.Add(maxWait + time.Minute)
	if !due(st, now) {
		t.Fatal("a next attempt beyond any possible wait still holds delivery")
	}
}

// retryAfterEndpoint answers every request with status and the given
// headers, and counts the requests.
type retryAfterEndpoint struct {
	mu      sync.Mutex
	n       int
	status  int
	headers map[string]string
}

func (e *retryAfterEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.n++
	status, headers := e.status, e.headers
	e.mu.Unlock()
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
}

func (e *retryAfterEndpoint) set(status int, headers map[string]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status, e.headers = status, headers
}

func (e *retryAfterEndpoint) requests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

func TestSendReportsRetryAfter(t *testing.T) {
	// A server whose clock is far from ours: a date is measured against
	// the answer's own Date header.
	serverNow := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		status  int
		headers map[string]string
		want    time.Duration
	}{
		{"503 seconds", 503, map[string]string{"Retry-After": "300"}, 300 * time.Second},
		{"429 seconds", 429, map[string]string{"Retry-After": "120"}, 120 * time.Second},
		{"503 date against the answer's Date", 503, map[string]string{
			"Date": serverNow.Format(http.TimeFormat), "Retry-After": serverNow.Add(7 * time.Minute).Format(http.TimeFormat)}, 7 * time.Minute},
		{"429 huge", 429, map[string]string{"Retry-After": "31536000"}, time.Hour},
		{"503 garbage", 503, map[string]string{"Retry-After": "later"}, 0},
		{"503 negative", 503, map[string]string{"Retry-After": "-300"}, 0},
		{"503 without", 503, nil, 0},
		{"500 is not asked to wait", 500, map[string]string{"Retry-After": "300"}, 0},
		{"502 is not asked to wait", 502, map[string]string{"Retry-After": "300"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep := &retryAfterEndpoint{status: tc.status, headers: tc.headers}
			srv := httptest.NewServer(ep)
			defer srv.Close()
			err := newSender(t, srv.URL, 2*time.Second).Send(context.Background(), Logs, []byte("x"))
			if !errors.Is(err, ErrRetry) {
				t.Fatalf("Send: %v, want ErrRetry", err)
			}
			if got := RetryAfter(err); got != tc.want {
				t.Fatalf("RetryAfter = %v, want %v (err %v)", got, tc.want, err)
			}
			if tc.want > 0 && !strings.Contains(err.Error(), "Retry-After") {
				t.Errorf("error %q does not say the endpoint asked to wait", err)
			}
		})
	}
	if RetryAfter(nil) != 0 || RetryAfter(ErrRejected) != 0 {
		t.Fatal("RetryAfter of other errors is not 0")
	}
}

// A 503 or 429 with Retry-After: 300 holds every upload off for at least
// 300 s: one that respects the backoff, and one that does not (a server's
// final flush). The status' next attempt is at least that far away, and a
// success clears it.
func TestUploaderHonoursRetryAfter(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		for _, jitter := range []float64{0, 1} {
			t.Run(http.StatusText(status), func(t *testing.T) {
				f := newUploadFixture(t, 0)
				ep := &retryAfterEndpoint{status: status, headers: map[string]string{"Retry-After": "300"}}
				srv := httptest.NewServer(ep)
				defer srv.Close()
				f.up.Sender = newSender(t, srv.URL, 2*time.Second)
				f.up.Rand = func() float64 { return jitter }
				f.up.RespectBackoff = true
				f.addLogs(t, "a")
				if err := f.spool.Append(KindMetrics, Metrics, metricsPayload(t, "m")); err != nil {
					t.Fatal(err)
				}
				refused := f.clock.Now()
				res, err := f.up.Run(context.Background())
				if !errors.Is(err, ErrRetry) || res.Requests != 1 {
					t.Fatalf("refused run: %+v, %v; want one request (logs), ErrRetry", res, err)
				}
				st := ReadDeliveryState(f.stateDir)
				if wait := st.NextAttempt.Sub(refused); wait < 300*time.Second || wait > 450*time.Second {
					t.Fatalf("next attempt in %v, want within [300 s, 450 s]", wait)
				}
				if !st.NotBefore.Equal(refused.Add(300*time.Second)) || !st.FailingSince.Equal(refused) {
					t.Fatalf("state %+v", st)
				}
				for _, after := range []time.Duration{10 * time.Second, 299 * time.Second} {
					f.clock.Set(refused.Add(after))
					if Due(f.stateDir, f.clock.Now()) {
						t.Fatalf("due %v after the refusal", after)
					}
					for _, respect := range []bool{true, false} {
						f.up.RespectBackoff = respect
						if res, err := f.up.Run(context.Background()); err != nil || !res.Deferred || res.Requests != 0 {
							t.Fatalf("%v after, RespectBackoff %v: %+v, %v; want Deferred and no request", after, respect, res, err)
						}
					}
				}
				if n := ep.requests(); n != 1 {
					t.Fatalf("the endpoint saw %d requests, want 1", n)
				}
				// Past the wait (and its jitter) the upload goes, and a
				// success forgets the refusal.
				ep.set(http.StatusOK, nil)
				f.clock.Set(st.NextAttempt)
				f.up.RespectBackoff = true
				if res, err := f.up.Run(context.Background()); err != nil || res.Delivered != 2 {
					t.Fatalf("after the wait: %+v, %v", res, err)
				}
				if st := ReadDeliveryState(f.stateDir); st.Failures != 0 || !st.NextAttempt.IsZero() || !st.NotBefore.IsZero() || !st.FailingSince.IsZero() {
					t.Fatalf("state after success %+v", st)
				}
			})
		}
	}
}

// An install that fails now and then over a long outage backs off for about
// as long as the outage has lasted, not by its few failures alone.
func TestUploaderBacksOffForTheOutagesLength(t *testing.T) {
	f := newUploadFixture(t, http.StatusServiceUnavailable)
	f.up.Rand = func() float64 { return 0 }
	f.addLogs(t, "a")
	first := f.clock.Now()
	f.up.Run(context.Background())
	f.clock.Add(20 * time.Minute) // the next run of the CLI
	f.up.Run(context.Background())
	st := ReadDeliveryState(f.stateDir)
	if st.Failures != 2 || !st.FailingSince.Equal(first) {
		t.Fatalf("state %+v", st)
	}
	if wait := st.NextAttempt.Sub(f.clock.Now()); wait != 15*time.Minute {
		t.Fatalf("after failing for 20 min the wait is %v, want 15 min (the least of [15, 30] min)", wait)
	}
}

// A not_before further ahead than any Retry-After could set (the clock went
// back, or the file was tampered with) does not silence delivery; one
// within reach holds even a run that ignores the backoff.
func TestNotBeforeBeyondAnyRetryAfterIsIgnored(t *testing.T) {
	f := newUploadFixture(t, http.StatusOK)
	f.addLogs(t, "a")
	now := f.clock.Now()
	if err := writeDeliveryState(f.stateDir, DeliveryState{Failures: 1, FailingSince: now,
		NextAttempt: now.Add(time.Hour), NotBefore: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if res, err := f.up.Run(context.Background()); err != nil || !res.Deferred || res.Requests != 0 {
		t.Fatalf("within the wait: %+v, %v; want Deferred", res, err)
	}
	if err := writeDeliveryState(f.stateDir, DeliveryState{Failures: 1, FailingSince: now,
		NextAttempt: now.Add(30 * 24 * time.Hour), NotBefore: now.Add(30 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if !Due(f.stateDir, now) {
		t.Fatal("a next attempt 30 days ahead holds delivery")
	}
	if res, err := f.up.Run(context.Background()); err != nil || res.Delivered != 1 {
		t.Fatalf("with not_before 30 days ahead: %+v, %v; want delivered", res, err)
	}
}

// A final flush whose time runs out while the 503 with Retry-After is being
// read (the answer's head arrived, its body is slow) still records the wait:
// the endpoint did answer, and the next run, even one that ignores the
// backoff, sends nothing before it.
func TestRetryAfterRecordedWhenTheRunsTimeEndsDuringTheAnswer(t *testing.T) {
	f := newUploadFixture(t, 0)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Retry-After", "300")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("busy"))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the rest of the body never comes
	}))
	defer srv.Close()
	f.up.Sender = newSender(t, srv.URL, 10*time.Second)
	f.up.RespectBackoff = false
	f.addLogs(t, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	refused := f.clock.Now()
	f.up.Run(ctx)
	if n := requests.Load(); n != 1 {
		t.Fatalf("the endpoint saw %d requests, want 1", n)
	}
	st := ReadDeliveryState(f.stateDir)
	if !st.NotBefore.Equal(refused.Add(300 * time.Second)) {
		t.Fatalf("not_before %v after a 503 with Retry-After: 300 cut short by the run's deadline, want %v (state %+v)",
			st.NotBefore, refused.Add(300*time.Second), st)
	}
	f.clock.Add(time.Minute)
	if res, err := f.up.Run(context.Background()); err != nil || !res.Deferred || requests.Load() != 1 {
		t.Fatalf("a minute later: %+v, %v, %d requests; want Deferred and no new request", res, err, requests.Load())
	}
}

func TestRetryAfterFoundThroughWrapping(t *testing.T) {
	ra := &retryAfterError{err: ErrRetry, wait: 7 * time.Second}
	for name, err := range map[string]error{
		"bare":        ra,
		"wrapped":     fmt.Errorf("upload: %w", ra),
		"twice":       fmt.Errorf("b: %w", fmt.Errorf("a: %w", ra)),
		"joined":      errors.Join(errors.New("other"), fmt.Errorf("x: %w", ra)),
		"multi %w":    fmt.Errorf("%w and %w", ErrRejected, ra),
		"joined+wrap": fmt.Errorf("y: %w", errors.Join(ra)),
	} {
		if got := RetryAfter(err); got != 7*time.Second {
			t.Errorf("%s: RetryAfter = %v, want 7s", name, got)
		}
	}
	for name, err := range map[string]error{
		"nil":     nil,
		"plain":   ErrRetry,
		"wrapped": fmt.Errorf("z: %w", ErrRetry),
		"joined":  errors.Join(ErrRejected, ErrRetry),
	} {
		if got := RetryAfter(err); got != 0 {
			t.Errorf("%s: RetryAfter = %v, want 0", name, got)
		}
	}
}

package export

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/waymarkhq/waymark/internal/jsonx"
	"github.com/waymarkhq/waymark/internal/safetext"
	"github.com/waymarkhq/waymark/internal/statedir"
)

const (
	firstBackoff = 10 * time.Second
	maxBackoff   = time.Hour
	// maxRetryAfter caps the wait an endpoint may ask for with Retry-After.
	maxRetryAfter = time.Hour
	// retryAfterSpread is the jitter added to a Retry-After, as a fraction
	// of it.
	retryAfterSpread = 0.5
	// maxWait is the longest wait NextAttempt can return: a capped
	// Retry-After with all its jitter. A recorded attempt further ahead
	// than that comes from a clock that jumped back.
	maxWait = maxRetryAfter + time.Duration(float64(maxRetryAfter)*retryAfterSpread)
	// maxDeliveryFile bounds the read of upload.json: the real file is a few
	// hundred bytes, and a link to /dev/zero must cost nothing.
	maxDeliveryFile = 16 << 10
	// maxErrorText bounds the text from the network kept in LastError.
	maxErrorText = 300
)

// DeliveryState is the uploader's memory between runs, kept as JSON in
// <statedir>/upload.json.
type DeliveryState struct {
	// Failures counts retryable failures since the last answer from the endpoint.
	Failures int `json:"failures"`
	// NextAttempt is when the next upload may start; zero means now.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// FailingSince is when the first of the Failures happened; zero when
	// there are none.
	FailingSince time.Time `json:"failing_since,omitzero"`
	// NotBefore is the time the endpoint named in a Retry-After header of
	// the last failure (capped at 1 h): no request goes to it before then,
	// not even a server's final flush. Zero when it named none.
	NotBefore time.Time `json:"not_before,omitzero"`
	// LastError describes the last failed or rejected request, if any since
	// the last success.
	LastError string `json:"last_error,omitempty"`
	// LastSuccess is when the endpoint last accepted a batch.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Delivered counts entries the endpoint accepted.
	Delivered int64 `json:"delivered"`
	// Dropped counts entries removed because the endpoint rejected them.
	Dropped int64 `json:"dropped"`
}

// ReadDeliveryState reads upload.json. It never writes; a missing,
// truncated, oversized, garbage or unsafe file gives the zero DeliveryState.
func ReadDeliveryState(d *statedir.Dir) DeliveryState {
	var st DeliveryState
	b, err := d.ReadFile(statedir.Delivery, maxDeliveryFile)
	if err != nil || jsonx.Unmarshal(b, &st) != nil {
		return DeliveryState{}
	}
	st.Failures = max(st.Failures, 0)
	st.LastError = Printable(st.LastError, maxErrorText)
	return st
}

// writeDeliveryState replaces upload.json atomically. Callers hold the upload lock.
func writeDeliveryState(d *statedir.Dir, st DeliveryState) error {
	st.LastError = Printable(st.LastError, maxErrorText)
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("export: encode delivery state: %w", err)
	}
	if err := d.WriteFile(statedir.Delivery, append(b, '\n')); err != nil {
		return fmt.Errorf("export: save delivery state: %w", err)
	}
	return nil
}

// Printable reduces text from the network or the disk to at most limit bytes
// of printable text: control characters (escape sequences included),
// bidirectional overrides and invalid UTF-8 become spaces or are dropped, so
// nothing stored or shown can move a cursor, change a colour or reorder what
// a terminal displays.
func Printable(s string, limit int) string { return safetext.Line(s, limit) }

// Due reports whether an upload may start at now: no backoff is recorded, it
// has expired, or it lies further ahead than any backoff could (a clock that
// jumped back must not silence delivery for long).
func Due(d *statedir.Dir, now time.Time) bool {
	return due(ReadDeliveryState(d), now)
}

func due(st DeliveryState, now time.Time) bool {
	next := st.NextAttempt
	return next.IsZero() || !now.Before(next) || next.Sub(now) > maxWait
}

// allowedByEndpoint reports whether the endpoint's own Retry-After, if one
// is recorded, has passed at now. Even an upload that ignores the backoff
// (a server's final flush) waits for it. A time further ahead than any
// Retry-After could set counts as passed, as in due.
func allowedByEndpoint(st DeliveryState, now time.Time) bool {
	nb := st.NotBefore
	return nb.IsZero() || !now.Before(nb) || nb.Sub(now) > maxWait
}

// NextAttempt returns when the next upload may start after the failures-th
// consecutive retryable failure, which happened at now; since is when the
// first of them happened. It is a pure function: r is the jitter draw, a
// value in [0, 1] (anything else is clamped; NaN counts as 0).
//
// The backoff's base is 10 s doubling per failure, and at least 1.5 times
// as long as the endpoint has been failing (now - since), capped at 1 h;
// the wait is jittered into [base/2, base]. The first retry thus comes
// within 10 s of the first failure, and an install that tries only now and
// then (a CLI uploads when it runs) backs off as far as one that retried
// all along: after failing for 20 min it waits 15 to 30 min, not the 10 to
// 40 s its two or three failures alone would give. Without it, the CLIs
// in the middle of a session when an outage ends all come back within a
// minute or two (bench/cmd/herd measures it).
//
// When the endpoint asked for a wait (retryAfter > 0, from a Retry-After
// header; capped at 1 h), the wait is at least that: jittered into
// [retryAfter, retryAfter×1.5], so a fleet told the same time does not
// return on the same second; the longer of the two waits applies.
// For failures < 1 and no retryAfter it returns now.
func NextAttempt(failures int, since, now time.Time, retryAfter time.Duration, r float64) time.Time {
	if !(r >= 0) { // also catches NaN
		r = 0
	}
	r = min(r, 1)
	wait := time.Duration(0)
	if failures >= 1 {
		base := firstBackoff
		for i := 1; i < failures && base < maxBackoff; i++ {
			base *= 2
		}
		// A since in the future (the clock went back) counts as now; one
		// long past is capped below.
		if failing := now.Sub(since); failing > 0 && failing < maxBackoff {
			base = max(base, failing*3/2)
		} else if failing >= maxBackoff {
			base = maxBackoff
		}
		base = min(base, maxBackoff)
		half := base / 2
		wait = half + time.Duration(r*float64(base-half))
	}
	if retryAfter > 0 {
		ra := min(retryAfter, maxRetryAfter)
		wait = max(wait, ra+time.Duration(r*float64(ra)*retryAfterSpread))
	}
	return now.Add(wait)
}

// NextBackoff returns how long to wait after the failures-th consecutive
// failure, all of them at the same moment, when the endpoint named no wait
// of its own: NextAttempt's backoff, jittered by rnd (a value in [0, 1];
// nil means math/rand). It returns 0 for failures < 1.
func NextBackoff(failures int, rnd func() float64) time.Duration {
	var now time.Time
	return NextAttempt(failures, now, now, 0, draw(rnd)).Sub(now)
}

// draw returns rnd's next value, or math/rand's when rnd is nil.
func draw(rnd func() float64) float64 {
	if rnd != nil {
		return rnd()
	}
	return rand.Float64()
}

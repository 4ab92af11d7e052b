package export

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/waymarkhq/waymark/internal/jsonx"
	"github.com/waymarkhq/waymark/internal/statedir"
)

const (
	firstBackoff = 10 * time.Second
	maxBackoff   = time.Hour
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
		return fmt.Errorf("exporter: encode delivery state: %w", err)
	}
	if err := d.WriteFile(statedir.Delivery, append(b, '\n')); err != nil {
		return fmt.Errorf("exporter: save delivery state: %w", err)
	}
	return nil
}

// Printable reduces text from the network or the disk to at most limit bytes
// of printable text: control characters (escape sequences included),
// bidirectional overrides and invalid UTF-8 become spaces or are dropped, so
// nothing stored or shown can move a cursor, change a colour or reorder what
// a terminal displays.
func Printable(s string, limit int) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			b.WriteByte('?')
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			b.WriteByte(' ')
		case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0xfeff, r == 0x061c:
			// zero-width and bidirectional controls
		default:
			b.WriteRune(r)
		}
		if b.Len() > limit+len("…") {
			break // enough to cut: the rest can never be shown
		}
	}
	out := b.String()
	if len(out) <= limit {
		return out
	}
	cut := max(0, limit-len("…"))
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return out[:cut] + "…"
}

// Due reports whether an upload may start at now: no backoff is recorded, it
// has expired, or it lies further ahead than any backoff could (a clock that
// jumped back must not silence delivery for long).
func Due(d *statedir.Dir, now time.Time) bool {
	return due(ReadDeliveryState(d), now)
}

func due(st DeliveryState, now time.Time) bool {
	next := st.NextAttempt
	return next.IsZero() || !now.Before(next) || next.Sub(now) > maxBackoff
}

// NextBackoff returns how long to wait after the failures-th consecutive
// failure: a base of 10 s doubling per failure up to 1 h, jittered by rnd
// (a value in [0, 1]; nil means math/rand) into [base/2, base]. It returns 0
// for failures < 1.
func NextBackoff(failures int, rnd func() float64) time.Duration {
	if failures < 1 {
		return 0
	}
	base := firstBackoff
	for i := 1; i < failures && base < maxBackoff; i++ {
		base *= 2
	}
	base = min(base, maxBackoff)
	r := 0.0
	if rnd != nil {
		r = rnd()
	} else {
		r = rand.Float64()
	}
	if !(r >= 0) { // also catches NaN
		r = 0
	}
	r = min(r, 1)
	half := base / 2
	return half + time.Duration(r*float64(base-half))
}

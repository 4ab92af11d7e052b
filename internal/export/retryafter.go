package export

import (
	"net/http"
	"strings"
	"time"
)

// maxRetryAfterText bounds the Retry-After value looked at: the longest
// HTTP-date is 37 bytes; anything much longer is not one.
const maxRetryAfterText = 64

// ParseRetryAfter reads a Retry-After header value: delta-seconds (ASCII
// digits only) or an HTTP-date in any of the three forms HTTP allows. It
// returns the wait asked for, counted from now for a date, capped at 1 h.
// A date that has passed asks for no wait (0, true). Anything else (empty,
// negative, fractional, signed, too long, garbage) gives ok false: a broken
// header is ignored, never trusted.
func ParseRetryAfter(v string, now time.Time) (wait time.Duration, ok bool) {
	v = strings.Trim(v, " \t")
	if v == "" || len(v) > maxRetryAfterText {
		return 0, false
	}
	if isDigits(v) {
		secs := int64(0)
		for i := 0; i < len(v); i++ {
			secs = secs*10 + int64(v[i]-'0')
			if secs >= int64(maxRetryAfter/time.Second) {
				return maxRetryAfter, true // also spares an overflow
			}
		}
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := at.Sub(now)
	switch {
	case d <= 0:
		return 0, true
	case d > maxRetryAfter:
		return maxRetryAfter, true
	}
	return d, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// retryAfter reads the wait a 429 or 503 answer asks for: its first
// Retry-After header, a date measured against the answer's own Date header
// when it has a valid one (so a client clock that is off changes nothing),
// else against now. It returns 0 when the answer asks for nothing usable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Values("Retry-After")
	if len(v) == 0 {
		return 0
	}
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		now = d
	}
	wait, _ := ParseRetryAfter(v[0], now)
	return wait
}

// retryAfterError is a retryable failure whose answer asked for a wait.
type retryAfterError struct {
	err  error
	wait time.Duration
}

func (e *retryAfterError) Error() string {
	return e.err.Error() + " (Retry-After " + e.wait.String() + ")"
}

func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter returns the wait the endpoint asked for with the answer that
// err reports (a 429 or 503 with a usable Retry-After, capped at 1 h), or 0
// when it asked for none.
func RetryAfter(err error) time.Duration {
	wait, _ := findRetryAfter(err)
	return wait
}

// findRetryAfter is errors.As for *retryAfterError, written out: errors.As
// would be the binary's first use of it and link internal/reflectlite's
// type checks, 15 KB of the host's stripped binary.
func findRetryAfter(err error) (time.Duration, bool) {
	for err != nil {
		if ra, ok := err.(*retryAfterError); ok {
			return ra.wait, true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if wait, ok := findRetryAfter(e); ok {
					return wait, true
				}
			}
			return 0, false
		default:
			return 0, false
		}
	}
	return 0, false
}

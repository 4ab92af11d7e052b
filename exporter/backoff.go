package exporter

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/waymarkhq/waymark/internal/fsx"
)

const (
	deliveryFile = "upload.json"
	uploadLock   = "upload.lock"
	firstBackoff = 10 * time.Second
	maxBackoff   = time.Hour
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

// ReadDeliveryState reads <stateDir>/upload.json. It never writes; a missing,
// truncated or garbage file gives the zero DeliveryState.
func ReadDeliveryState(stateDir string) DeliveryState {
	var st DeliveryState
	b, err := os.ReadFile(filepath.Join(stateDir, deliveryFile))
	if err != nil || json.Unmarshal(b, &st) != nil {
		return DeliveryState{}
	}
	if st.Failures < 0 {
		st.Failures = 0
	}
	return st
}

// writeDeliveryState replaces upload.json atomically. Callers hold the upload lock.
func writeDeliveryState(stateDir string, st DeliveryState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("exporter: encode delivery state: %w", err)
	}
	if err := fsx.WriteFileAtomic(filepath.Join(stateDir, deliveryFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("exporter: save delivery state: %w", err)
	}
	return nil
}

// Due reports whether an upload may start at now: no backoff is recorded, it
// has expired, or it lies further ahead than any backoff could (a clock that
// jumped back must not silence delivery for long).
func Due(stateDir string, now time.Time) bool {
	return due(ReadDeliveryState(stateDir), now)
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

// Package sample decides which installs of a sampled product send telemetry: the same
// installs stay in the sample from run to run, because the choice is a hash of the
// installation id and nothing else. It never reads the disk or the clock.
package sample

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
)

// In reports whether the install with the given installation id is in a sample of the given
// rate: the first 8 bytes of SHA-256("waymark.sample:" + id), read as a fraction of 2^64, fall
// under rate. A rate of 1 or more keeps every install; a rate that is not a number or not above
// 0 keeps none. Raising the rate keeps every install that was in before.
func In(installationID string, rate float64) bool {
	if rate >= 1 {
		return true
	}
	if !(rate > 0) {
		return false
	}
	sum := sha256.Sum256([]byte("waymark.sample:" + installationID))
	x := binary.BigEndian.Uint64(sum[:8])
	return float64(x) < rate*math.Exp2(64)
}

// Valid reports whether rate may be a product's sample rate: above 0 and at most 1.
func Valid(rate float64) bool { return rate > 0 && rate <= 1 }

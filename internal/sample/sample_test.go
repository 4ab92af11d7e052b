package sample

import (
	"fmt"
	"math"
	"testing"
)

func TestInKeepsAboutTheRateAndTheSameInstalls(t *testing.T) {
	const n = 20000
	for _, rate := range []float64{0.01, 0.25, 0.5, 0.9} {
		in := 0
		for i := range n {
			id := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i*7919)
			got := In(id, rate)
			if got != In(id, rate) {
				t.Fatalf("In(%s, %v) changed between calls", id, rate)
			}
			if got {
				in++
				if !In(id, math.Min(1, rate*2)) {
					t.Fatalf("%s is in the %v sample but not in the %v one", id, rate, rate*2)
				}
			}
		}
		// Binomial: 5 standard deviations either side.
		mean, sd := n*rate, math.Sqrt(n*rate*(1-rate))
		if math.Abs(float64(in)-mean) > 5*sd {
			t.Errorf("rate %v: %d of %d installs in the sample, want about %.0f", rate, in, n, mean)
		}
	}
	for _, rate := range []float64{0, -1, math.NaN()} {
		if In("a", rate) || Valid(rate) {
			t.Errorf("rate %v keeps an install or is valid", rate)
		}
	}
	if !In("a", 1) || !Valid(1) || Valid(1.01) {
		t.Error("rate 1 must keep every install and be valid; 1.01 must not be")
	}
}

package scrub

import (
	"strings"
	"testing"
)

func BenchmarkStringStack(b *testing.B) {
	s := New("/home/alice", "alice", "/home/alice/src/acme")
	b.SetBytes(int64(len(syntheticStack)))
	for b.Loop() {
		s.String(syntheticStack)
	}
}

func BenchmarkStringLarge(b *testing.B) {
	s := New("/home/alice", "alice", "/home/alice/src/acme")
	in := strings.Repeat(syntheticStack, maxInput/len(syntheticStack))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		s.String(in)
	}
}

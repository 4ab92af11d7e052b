package store

import (
	"errors"
	"testing"

	"github.com/waymarkhq/waymark/internal/statedir"
)

// A guard that says no keeps every writing method from writing: no id, no
// milestone, no ticket, and Locked does not run its function.
func TestGuardRefusalWritesNothing(t *testing.T) {
	dir := t.TempDir()
	asked := 0
	s := New(statedir.New(dir), nil).WithGuard(func() bool { asked++; return false })
	if _, _, err := s.DeviceID(); !errors.Is(err, ErrWithdrawn) {
		t.Fatalf("DeviceID: %v", err)
	}
	ran := false
	if _, err := s.Record("first_run", func() error { ran = true; return nil }); !errors.Is(err, ErrWithdrawn) {
		t.Fatalf("Record: %v", err)
	}
	if _, err := s.Claim("usage", 0, func() error { ran = true; return nil }); !errors.Is(err, ErrWithdrawn) {
		t.Fatalf("Claim: %v", err)
	}
	if err := s.Locked(func() error { ran = true; return nil }); !errors.Is(err, ErrWithdrawn) {
		t.Fatalf("Locked: %v", err)
	}
	if ran || asked != 4 {
		t.Fatalf("ran %v, guard asked %d times; want not run, asked 4", ran, asked)
	}
	d := statedir.New(dir)
	for _, n := range []statedir.Name{statedir.DeviceID, statedir.Milestones, "ticket-usage"} {
		if d.Has(n) {
			t.Errorf("%s written although the guard refused", n)
		}
	}
	// The guard is asked with the lock held: the lock is free after.
	if d.Locked(statedir.StateLock) {
		t.Fatal("the state lock stayed taken")
	}
	ok := New(statedir.New(dir), nil).WithGuard(func() bool { return true })
	if _, err := ok.Record("first_run", nil); err != nil {
		t.Fatalf("Record with the guard saying yes: %v", err)
	}
}

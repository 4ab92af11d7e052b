package store

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/waymarkhq/waymark/internal/statedir"
)

// A long-lived process (Server mode) whose state dir is removed
// after its first write records again: the next Record makes the dir anew
// (Create's memo must not skip that).
func TestRecordAfterStateDirRemoved(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acme", "telemetry")
	s := New(statedir.New(p).WithoutSync(), nil)
	if _, err := s.Record("first_run", nil); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record("second", nil); err != nil {
		t.Fatalf("Record after the state dir was removed: %v", err)
	}
}

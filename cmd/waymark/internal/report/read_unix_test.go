//go:build unix

package report

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO named on the command line is refused at once, not read (which
// would block for ever).
func TestNamedFIFOIsRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "logs.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Files{Paths: []string{fifo}}.Aggregate(Query{Now: time.Now()})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("err = %v, want a refusal", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the report blocked on a FIFO")
	}
}

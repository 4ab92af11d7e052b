//go:build unix

package export

import (
	"bytes"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
)

// A writer killed at any instant must leave a spool that reads cleanly.
func TestSpoolSurvivesSIGKILL(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "spool")
	clk := newFakeClock()
	clk.t = time.Now()
	s := OpenSpool(statedir.New(state), SpoolOptions{Cap: 1 << 30, Now: clk.Now})
	total := 0
	for round := range 3 {
		cmd := helperCmd(t, "append-loop", "WAYMARK_HELPER_DIR="+state)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			st, err := s.Stat()
			if err != nil {
				t.Fatal(err)
			}
			if st.Pending >= total+20 {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("round %d: child appended only %d entries: %s", round, st.Pending-total, stderr.String())
			}
			time.Sleep(time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("round %d: child exit %v, want killed", round, err)
		}
		names := dirNames(t, dir)
		entries := 0
		for _, n := range names {
			if _, ok := parseEntryName(n); ok {
				entries++
			}
		}
		got := payloadsOf(t, s, Logs)
		if len(got) != entries {
			t.Fatalf("round %d: %d entry files but %d read back", round, entries, len(got))
		}
		for _, p := range got {
			if len(p) != 4096 || !strings.HasPrefix(p, "kill-") {
				t.Fatalf("round %d: damaged payload %q…", round, p[:min(len(p), 20)])
			}
		}
		total = len(got)
	}
	// Any temp file the kills left is removed once it is clearly stale.
	clk.Add(2 * staleTemp)
	if err := s.Maintain(); err != nil {
		t.Fatal(err)
	}
	got := payloadsOf(t, s, Logs)
	if len(got) != total {
		t.Fatalf("read %d entries after cleanup, want %d", len(got), total)
	}
	for _, n := range dirNames(t, dir) {
		if _, ok := parseEntryName(n); !ok {
			t.Fatalf("left behind after cleanup: %s", n)
		}
	}
	t.Logf("%d entries survived 3 kills", total)
}

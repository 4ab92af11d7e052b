//go:build windows

package export

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/waymarkhq/waymark/internal/statedir"
)

// On Windows a file that another process holds open without sharing cannot
// be opened ("sharing violation"): a writer's rename in progress or a virus
// scanner does that for a moment. An upload leaves such an entry for later
// instead of deleting it as corrupt, and takes it once it is free.
func TestSpoolKeepsAnEntryItCannotOpenYet(t *testing.T) {
	state := t.TempDir()
	s := OpenSpool(statedir.New(state), SpoolOptions{Cap: 1 << 20})
	if err := s.Append(KindMilestone, Logs, []byte("milestone")); err != nil {
		t.Fatal(err)
	}
	names := dirNames(t, filepath.Join(state, "spool"))
	if len(names) != 1 {
		t.Fatalf("spool holds %v, want one entry", names)
	}
	path := filepath.Join(state, "spool", names[0])
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		t.Fatal(err)
	}
	// Held with no read sharing: opening it fails. Deleting it would not
	// (FILE_SHARE_DELETE), so a wrongful delete shows.
	h, err := windows.CreateFile(p, windows.GENERIC_READ, windows.FILE_SHARE_DELETE, nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.batch(Logs, 1<<20)
	windows.CloseHandle(h)
	if err != nil || len(got) != 0 {
		t.Fatalf("batch while the entry is held = %d entries, %v; want none and no error", len(got), err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the entry held open elsewhere was deleted: %v", err)
	}
	if got, want := payloadsOf(t, s, Logs), "milestone"; len(got) != 1 || got[0] != want {
		t.Fatalf("once free, the spool gives %q, want [%s]", got, want)
	}
}

//go:build unix

package erase

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A rewritten file keeps its owner and group: run as root (as an operator may), it must not
// take root's, or the collector, restarted under its own user, could no longer append to its
// current file. As another user, the file is that user's before and after.
func TestRewrittenFileKeepsItsOwner(t *testing.T) {
	dir := t.TempDir()
	current := filepath.Join(dir, "logs.jsonl")
	write(t, current, logLine(kept, "waymark.usage"), logLine(gone, "waymark.erasure"))
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid, gid = 4242, 4343
		if err := os.Chown(current, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run(Options{Dir: dir, CollectorStopped: true})
	if err != nil || res.FilesRewritten != 1 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	fi, err := os.Stat(current)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("rewritten file owned by %d:%d, want %d:%d", st.Uid, st.Gid, uid, gid)
	}
}

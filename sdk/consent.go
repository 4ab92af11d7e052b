package sdk

import (
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/store"
)

// Consent is live: a process decides at its start, and before it writes or
// sends anything it looks again whether that decision still stands, with
// the state lock held so that `telemetry disable`, which forgets the machine
// under the same lock, cannot slip in between. Where nothing changed the look
// costs one Lstat of each file a choice is read from and one small read of
// the installation id; only a change makes it decide again.

// consent is what this process's decision rested on.
type consent struct {
	mu sync.Mutex
	// files are the choice files and folders the decision reads: the
	// machine policies, the product's saved choice, the folder of the
	// choice for all tools and that choice.
	files []string
	// stamp is what Lstat saw of files when the decision was last made
	// (nil for a missing one).
	stamp []fs.FileInfo
	// id is the installation id this process records under, "" until it
	// has one; a different or missing id means the machine was forgotten.
	id string
	// withdrawn is set once consent was found withdrawn: from then on this
	// process writes and sends nothing.
	withdrawn atomic.Bool
}

// watch records what the decision is about to rest on. It is called before
// deciding, so a change made while deciding is seen by the next look.
func (c *Client) watch() {
	var files []string
	files = append(files, policyFiles(c.cfg.Product)...)
	if c.dir != nil {
		files = append(files, c.dir.PathOf(statedir.Mode))
	}
	if d := c.sharedDir(); d != nil {
		files = append(files, d.Path(), d.PathOf(statedir.Mode))
	}
	c.live = &consent{files: files}
	c.live.stamp = c.live.look()
}

// look is one Lstat of each choice file.
func (lc *consent) look() []fs.FileInfo {
	out := make([]fs.FileInfo, len(lc.files))
	for i, p := range lc.files {
		if fi, err := os.Lstat(p); err == nil {
			out[i] = fi
		}
	}
	return out
}

// same reports whether two looks saw the same files: the same inode, type
// and permissions, and for files the same size and modification time (the
// choice files are replaced by rename, so a new choice is a new inode). A
// folder's times change with its entries and are not compared.
func same(a, b []fs.FileInfo) bool {
	for i := range a {
		x, y := a[i], b[i]
		switch {
		case x == nil && y == nil:
			continue
		case x == nil || y == nil, !os.SameFile(x, y), x.Mode() != y.Mode():
			return false
		case !x.IsDir() && (x.Size() != y.Size() || !x.ModTime().Equal(y.ModTime())):
			return false
		}
	}
	return true
}

// useID records the installation id this process records under; a process
// that already has one keeps it, and a different one means the machine was
// forgotten (false).
func (c *Client) useID(id string) bool {
	lc := c.live
	if lc == nil {
		return true
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.id == "" {
		lc.id = id
	}
	if lc.id != id {
		lc.withdrawn.Store(true)
	}
	return lc.id == id
}

// consentHolds reports whether this process may still write or send: the
// choice files are as they were when it decided (or, changed, still give
// the same mode) and the installation id it records under is still the one
// in the state dir. Once false, always false. Writers call it with the
// state lock held (through a Store made WithGuard).
func (c *Client) consentHolds() bool {
	lc := c.live
	if lc == nil {
		return true
	}
	if lc.withdrawn.Load() {
		return false
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	now := lc.look()
	if !same(lc.stamp, now) {
		again := &Client{cfg: c.cfg, h: c.h}
		again.resolve(nil)
		if again.decision.Mode != c.decision.Mode {
			lc.withdrawn.Store(true)
			return false
		}
		lc.stamp = now
	}
	if lc.id != "" {
		if id, ok := store.New(c.dir, c.h.now).PeekDeviceID(); !ok || id != lc.id {
			lc.withdrawn.Store(true)
			return false
		}
	}
	return true
}

// withdrawn reports whether consent was already found withdrawn, without
// looking again.
func (c *Client) withdrawn() bool { return c.live != nil && c.live.withdrawn.Load() }

// consentWatch is how often a server looks whether consent still stands
// between heartbeats: within one heartbeat and at most every 10 s.
func consentWatch(heartbeat time.Duration) time.Duration {
	return min(heartbeat, 10*time.Second)
}

// guarded is a Store of this process's state dir whose writes first ask
// consentHolds under the lock.
func (c *Client) guarded(d *statedir.Dir) *store.Store {
	return store.New(d, c.h.now).WithGuard(c.consentHolds)
}

// hold is the Uploader's Hold: the state lock, with consent still standing.
func (c *Client) hold(st *store.Store) func() (func(), bool) {
	return func() (func(), bool) {
		release, err := st.Hold()
		return release, err == nil
	}
}

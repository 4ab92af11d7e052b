package sdk

import (
	"context"
	"io"
	"time"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/update"
)

// updateInterval is how often, at most, the update manifest is fetched.
const updateInterval = 12 * time.Hour

// updateTicket names the interval ticket of the update check.
const updateTicket = "update"

// updateDue tells whether the detached uploader should fetch the manifest.
func (c *Client) updateDue() bool {
	if c.updateURL == "" || c.store == nil {
		return false
	}
	return c.store.ClaimDue(updateTicket, updateInterval)
}

// updateCheck fetches the manifest when due and caches it; it runs only in
// the detached uploader or a server's background loop, never on the exit path.
func (c *Client) updateCheck(ctx context.Context) {
	if c.updateURL == "" {
		return
	}
	// Claim first, fetch after: the claim holds the state lock, and a fetch
	// under it would stall every other process's milestone for seconds.
	store := c.guarded(c.dir)
	if ok, err := store.Claim(updateTicket, updateInterval, func() error { return nil }); !ok || err != nil {
		return
	}
	m, err := update.Fetch(ctx, export.HTTPClient(5*time.Second), c.updateURL)
	if err != nil {
		return
	}
	cache, _ := update.LoadCache(c.dir)
	cache.FetchedAt = c.h.now()
	cache.Manifest = m
	update.SaveCache(c.dir, cache)
}

// showUpdateNotices prints what the cached manifest says about this version:
// on a terminal, never in CI, each line at most once a day.
func (c *Client) showUpdateNotices() {
	if c.updateURL == "" || c.decision.Mode != gate.On || c.decision.CI != "" || !c.h.stderrTerminal() {
		return
	}
	cache, err := update.LoadCache(c.dir)
	if err != nil || cache.FetchedAt.IsZero() {
		return
	}
	lines := update.Notices(&cache, c.cfg.Product, c.cfg.Version, c.h.now())
	if len(lines) == 0 {
		return
	}
	for _, l := range lines {
		io.WriteString(c.h.stderr, l+"\n")
	}
	if err := update.SaveCache(c.dir, cache); err != nil {
		c.note("update notice: %v", err)
	}
}

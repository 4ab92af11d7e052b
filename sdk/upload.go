package sdk

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/exporter"
	"github.com/waymarkhq/waymark/gate"
)

// childEnv marks the detached uploader: the host's own binary re-run with
// this variable set to the product name. Start sees it, uploads, and exits.
const childEnv = "WAYMARK_UPLOAD_CHILD"

const (
	// childLifetime is the hard limit on an uploader's life, whatever the
	// network does.
	childLifetime = 10 * time.Second
	// childSendTimeout bounds one request, leaving room for the state write.
	childSendTimeout = 4 * time.Second
)

// maybeDetach starts the detached uploader when events are pending and the
// backoff allows. It costs one fork/exec when it does anything, and never
// waits for the child.
func (c *Client) maybeDetach() {
	if c.spool == nil || !c.uploadAllowed() {
		return
	}
	st, err := c.spool.Stat()
	send := err == nil && st.Pending > 0 && exporter.Due(c.dir, c.h.now())
	if !send && !c.updateDue() || exporter.Busy(c.dir) {
		return
	}
	exe, err := c.h.executable()
	if err != nil {
		c.note("uploader: %v", err)
		return
	}
	if isTestBinary(exe) {
		// Re-running a test binary would run its tests again; events stay
		// pending for a real run of the program.
		c.note("uploader: not started from a Go test binary (%s)", filepath.Base(exe))
		return
	}
	env := append(c.h.environ(), childEnv+"="+c.cfg.Product)
	if _, err := exporter.StartDetached(exe, nil, env); err != nil {
		c.note("uploader: %v", err)
	}
}

// drain runs the uploader until the spool is empty, it fails, or another
// uploader takes over. The spool is looked at again after each run has
// released the lock: a run of the host that appended an event while this
// uploader held the lock saw it busy and started none, so this uploader must
// pick that event up. (Append, then look at the lock, in the host; release,
// then look at the spool, here: one of the two always sees the other.)
func drain(ctx context.Context, up *exporter.Uploader) {
	for i := 0; i < 8 && ctx.Err() == nil; i++ {
		res, err := up.Run(ctx)
		if err != nil || res.Busy || res.Deferred || res.Retry {
			return
		}
		if st, err := up.Spool.Stat(); err != nil || st.Pending == 0 {
			return
		}
	}
}

// isTestBinary reports whether exe is a binary built by `go test`.
func isTestBinary(exe string) bool {
	base := strings.TrimSuffix(filepath.Base(exe), ".exe")
	return strings.HasSuffix(base, ".test")
}

// runUploadChild is the whole life of the detached uploader. It decides
// again (the user may have opted out since), sends what the spool holds, and
// returns; a timer ends the process if anything hangs.
func runUploadChild(cfg Config, h host) {
	killer := time.AfterFunc(childLifetime, func() { h.exit(0) })
	defer killer.Stop()
	c := &Client{cfg: cfg, h: h}
	c.resolve()
	if c.decision.Mode != gate.On {
		return
	}
	sender, err := exporter.NewSender(c.endpoint, cfg.AllowInsecure, childSendTimeout)
	if err != nil {
		return
	}
	up := &exporter.Uploader{
		StateDir: c.dir,
		Spool:    exporter.OpenSpool(filepath.Join(c.dir, "spool"), exporter.SpoolOptions{Now: h.now}),
		Sender:   sender,
		Now:      h.now,
		// Several runs may each have started an uploader before the first
		// failure was written down; only the first may try.
		RespectBackoff: true,
	}
	ctx, cancel := context.WithTimeout(context.Background(), childLifetime-time.Second)
	defer cancel()
	// The update check does not wait behind a slow endpoint, nor the
	// upload behind a slow manifest host.
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.updateCheck(ctx)
	}()
	drain(ctx, up)
	<-done
}

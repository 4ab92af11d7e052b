package sdk

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/uuidx"
)

// server is a long-running process's telemetry: a heartbeat loop and a
// background uploader, both stopped by Shutdown.
type server struct {
	stop     chan struct{}
	beatDone chan struct{}
	kick     chan struct{}
	upCtx    context.Context
	upCancel context.CancelFunc
	upDone   chan struct{}
	uploader *export.Uploader
}

func (c *Client) startServer() {
	s := &server{
		stop:     make(chan struct{}),
		beatDone: make(chan struct{}),
		kick:     make(chan struct{}, 1),
		upDone:   make(chan struct{}),
	}
	s.upCtx, s.upCancel = context.WithCancel(context.Background())
	if c.decision.Mode == gate.On {
		if sender, err := export.NewSender(c.endpoint, c.cfg.AllowInsecure, 10*time.Second); err == nil {
			s.uploader = &export.Uploader{StateDir: c.dir, Spool: c.spool, Sender: sender, Now: c.h.now, RespectBackoff: true,
				Hold: c.hold(c.bg)}
		} else {
			c.note("uploader: %v", err)
		}
	}
	c.srv = s
	go c.heartbeatLoop(s)
	go c.uploadLoop(s)
}

func (c *Client) heartbeatLoop(s *server) {
	defer close(s.beatDone)
	t := time.NewTicker(c.cfg.Heartbeat)
	defer t.Stop()
	// Between heartbeats the server looks whether the user turned
	// telemetry off; if so it stops, cutting short a request in flight.
	w := time.NewTicker(consentWatch(c.cfg.Heartbeat))
	defer w.Stop()
	c.heartbeat()
	s.kickUpload()
	for {
		select {
		case <-s.stop:
			return
		case <-w.C:
			if c.decision.Mode != gate.Debug && !c.consentHolds() {
				s.upCancel()
				return
			}
		case <-t.C:
			c.heartbeat()
			s.kickUpload()
		}
	}
}

func (s *server) kickUpload() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// uploadLoop sends what the spool holds whenever a heartbeat kicks it and the
// backoff allows; it runs apart from the heartbeat so a slow endpoint never
// delays one.
func (c *Client) uploadLoop(s *server) {
	defer close(s.upDone)
	for {
		select {
		case <-s.upCtx.Done():
			return
		case <-s.kick:
			// An erasure request of an earlier install, still pending, goes
			// first: a server starts no detached uploader that would send it.
			if c.dir.Has(statedir.Erasure) && c.decision.Saved() && export.Due(c.dir, c.h.now()) {
				if _, err := c.sendPendingErasure(s.upCtx, eraseSendTimeout); err != nil {
					c.note("erasure request: %v", err)
				}
			}
			if s.uploader == nil || !c.uploadAllowed() || !export.Due(c.dir, c.h.now()) {
				continue
			}
			if _, err := s.uploader.Run(s.upCtx); err != nil {
				c.note("upload: %v", err)
			}
		}
	}
}

func (c *Client) heartbeat() {
	if c.bg == nil { // debug mode: printed, not recorded
		c.beat()
		return
	}
	if err := c.bg.Locked(func() error { c.beat(); return nil }); err != nil {
		c.note("heartbeat: %v", err)
	}
}

// beat emits one heartbeat and spools the metrics; in modes on and local
// the state lock is held and consent still stands.
func (c *Client) beat() {
	now := c.h.now()
	up := now.Sub(c.started)
	eid, _ := uuidx.NewV4()
	attrs := []attribute.KeyValue{
		attribute.String(schema.AttrEventID, eid),
		attribute.String(schema.AttrSessionStart, c.started.UTC().Format(time.RFC3339)),
		attribute.Int64(schema.AttrSessionUptime, int64(up/time.Second)),
		attribute.Int64(schema.AttrHeartbeatInterval, int64(c.cfg.Heartbeat/time.Second)),
	}
	if c.cfg.APIVersion != "" {
		attrs = append(attrs, attribute.String(schema.AttrAPIVersion, c.cfg.APIVersion))
	}
	if err := c.emit(schema.EventHeartbeat, attrs...); err != nil {
		c.note("heartbeat: %v", err)
	}
	c.pipe.AddHeartbeat(up)
	if c.unsampled.Load() {
		return
	}
	if err := c.pipe.FlushMetrics(context.Background()); err != nil {
		c.note("metrics: %v", err)
	}
}

// stopServer ends both loops, then makes one last upload bounded by
// FlushTimeout and ctx: the one place Waymark waits on the network.
func (c *Client) stopServer(ctx context.Context) {
	s := c.srv
	close(s.stop)
	<-s.beatDone
	s.upCancel()
	<-s.upDone
	if c.unsampled.Load() {
		return
	}
	if err := c.spoolMetrics(c.bg); err != nil {
		c.note("metrics: %v", err)
	}
	c.finalFlush(ctx)
}

// finalFlush makes one last upload bounded by FlushTimeout and ctx, then
// closes the sender's idle connections. A crash report recorded after
// Shutdown (ReportPanics deferred before it) flushes again.
func (c *Client) finalFlush(ctx context.Context) {
	s := c.srv
	if s == nil || s.uploader == nil {
		return
	}
	defer s.uploader.Sender.Close()
	if !c.uploadAllowed() || c.withdrawn() {
		return
	}
	fctx, cancel := context.WithTimeout(ctx, c.cfg.FlushTimeout)
	defer cancel()
	final := *s.uploader
	final.RespectBackoff = false
	if _, err := final.Run(fctx); err != nil {
		c.note("flush: %v", err)
	}
}

// uploadAllowed is false while HoldUntilNotice holds events back.
func (c *Client) uploadAllowed() bool {
	return c.decision.Mode == gate.On && !c.unsampled.Load() && !c.agentHeld &&
		(!c.cfg.HoldUntilNotice || c.store.NoticeShown(c.noticeVersion()))
}

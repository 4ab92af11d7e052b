package sdk

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/jsonx"
	"github.com/waymarkhq/waymark/internal/sample"
	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/internal/uuidx"
)

// childEnv marks the detached uploader: the host's own binary re-run with
// this variable set to "<token>:<state dir>". The token names a one-time
// ticket file that the parent wrote into the state dir; only a process that
// finds that ticket there becomes an uploader, so the variable alone never
// turns a run of the host into one.
const childEnv = "WAYMARK_UPLOAD_CHILD"

// childArg is the one argument the parent gives its uploader. With it, a
// process that cannot claim its ticket (deleted meanwhile, say) exits at once
// instead of running the program's main; without it, childEnv alone never
// changes what the program does.
const childArg = "__waymark-upload-child__"

const (
	// childLifetime is the hard limit on an uploader's life, whatever the
	// network does.
	childLifetime = 10 * time.Second
	// childSendTimeout bounds one request, leaving room for the state write.
	childSendTimeout = 4 * time.Second
	// maxTicket bounds a ticket file: URLs are at most 2 KiB each, and the
	// opt-out variable names few and short.
	maxTicket = 16 << 10
	// maxChildEnv bounds the childEnv value a process looks at: a token, a
	// colon and a path.
	maxChildEnv = 32 + 1 + 4096
	// staleTickets is how old a ticket of a child that never came may grow.
	staleTickets = 10 * time.Minute
)

// childTicket is what the parent hands its uploader: the parts of the
// Config the upload and the decision need. The uploader reads nothing else
// of the host program.
type childTicket struct {
	Product        string   `json:"product"`
	Version        string   `json:"version"`
	Endpoint       string   `json:"endpoint"`
	AllowInsecure  bool     `json:"allow_insecure,omitempty"`
	UpdateURL      string   `json:"update_url,omitempty"`
	OptOutEnv      []string `json:"opt_out_env,omitempty"`
	RequireConsent bool     `json:"require_consent,omitempty"`
	SampleRate     float64  `json:"sample_rate,omitempty"`
}

// encode is the ticket as JSON, the same that encoding/json would make of
// it (and that claimTicket reads with it), written by hand so that the
// host's first run does not pay for encoding/json's first use.
func (t childTicket) encode() []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"product":`...)
	b = jsonx.AppendString(b, t.Product)
	b = append(b, `,"version":`...)
	b = jsonx.AppendString(b, t.Version)
	b = append(b, `,"endpoint":`...)
	b = jsonx.AppendString(b, t.Endpoint)
	if t.AllowInsecure {
		b = append(b, `,"allow_insecure":true`...)
	}
	if t.UpdateURL != "" {
		b = append(b, `,"update_url":`...)
		b = jsonx.AppendString(b, t.UpdateURL)
	}
	if len(t.OptOutEnv) > 0 {
		b = append(b, `,"opt_out_env":[`...)
		for i, v := range t.OptOutEnv {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonx.AppendString(b, v)
		}
		b = append(b, ']')
	}
	if t.RequireConsent {
		b = append(b, `,"require_consent":true`...)
	}
	if t.SampleRate > 0 && t.SampleRate < 1 {
		b = append(b, `,"sample_rate":`...)
		b = strconv.AppendFloat(b, t.SampleRate, 'g', -1, 64)
	}
	return append(b, '}')
}

// init recognises the detached uploader before main runs, so no host code
// from main on ever runs in it (packages initialised before sdk still run
// their init functions). For every other process it costs one environment
// lookup.
func init() {
	v, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	// Never passed on to whatever the host starts.
	os.Unsetenv(childEnv)
	started := len(os.Args) == 2 && os.Args[1] == childArg
	cfg, ok := claimTicket(v)
	switch {
	case ok:
		runUploadChild(cfg, osHost())
		os.Exit(0)
	case started:
		os.Exit(0) // started as an uploader, but its ticket is gone: never run main
	}
	// Not our child: the program runs as usual.
}

// claimTicket checks a childEnv value against the ticket in the state dir
// and consumes the ticket. It reports false for anything that is not a
// ticket this state dir holds.
func claimTicket(v string) (Config, bool) {
	if len(v) > maxChildEnv {
		return Config{}, false
	}
	token, dir, ok := strings.Cut(v, ":")
	name, okName := statedir.UploaderTicket(token)
	if !ok || !okName || !filepath.IsAbs(dir) {
		return Config{}, false
	}
	d := statedir.New(dir)
	if d.Check() != nil {
		return Config{}, false
	}
	data, err := d.ReadFile(name, maxTicket)
	if err != nil {
		return Config{}, false
	}
	d.Remove(name)
	var t childTicket
	if jsonx.Unmarshal(data, &t) != nil {
		return Config{}, false
	}
	cfg := Config{
		Product: t.Product, Version: t.Version, Endpoint: t.Endpoint, AllowInsecure: t.AllowInsecure,
		UpdateURL: t.UpdateURL, OptOutEnv: t.OptOutEnv, RequireConsent: t.RequireConsent, StateDir: dir,
		SampleRate: t.SampleRate,
	}
	if cfg.validate() != nil {
		return Config{}, false
	}
	return cfg.withDefaults(), true
}

// maybeDetach starts the detached uploader when events are pending and the
// backoff allows. It costs one small file write and one fork/exec when it
// does anything, looks at a handful of spool names at most, and never waits
// for the child.
func (c *Client) maybeDetach() {
	if c.spool == nil || !c.uploadAllowed() || c.withdrawn() {
		// A run that sends nothing itself (out of the sample, local,
		// holding events back) still lets a pending erasure request go.
		c.maybeSendErasure()
		return
	}
	send := (c.appended.Load() || c.spool.HasPending()) && export.Due(c.dir, c.h.now())
	if !send && !c.updateDue() || export.Busy(c.dir) {
		c.maybeSendErasure()
		return
	}
	if !c.spawnUploader() {
		c.spool.Maintain() // no uploader will keep the spool bounded
	}
}

// maybeSendErasure starts the detached uploader for an erasure request
// that `telemetry disable --erase` could not deliver: the one thing sent
// while telemetry is off, because the user asked for it, and sent too by a
// run that sends nothing else (out of the sample, local). It looks only
// when the user's own saved choice decided (the state dir was read for it
// already), and costs one look at a file.
func (c *Client) maybeSendErasure() {
	if !c.decision.Saved() || c.dir == nil || !c.usable() || !c.dir.Has(statedir.Erasure) ||
		!export.Due(c.dir, c.h.now()) || export.Busy(c.dir) {
		return
	}
	c.spawnUploader()
}

// spawnUploader starts the detached uploader with a one-time ticket. It
// reports whether one was started.
func (c *Client) spawnUploader() bool {
	exe, err := c.h.executable()
	if err != nil {
		c.note("uploader: %v", err)
		return false
	}
	if isTestBinary(exe) {
		// Re-running a test binary would run its tests again; events stay
		// pending for a real run of the program.
		c.note("uploader: not started from a Go test binary (%s)", filepath.Base(exe))
		return false
	}
	var raw [16]byte
	if err := uuidx.Random(raw[:]); err != nil {
		c.note("uploader: %v", err)
		return false
	}
	token := hex.EncodeToString(raw[:])
	name, _ := statedir.UploaderTicket(token)
	data := childTicket{
		Product: c.cfg.Product, Version: c.cfg.Version, Endpoint: c.endpoint, AllowInsecure: c.cfg.AllowInsecure,
		UpdateURL: c.updateURL, OptOutEnv: c.cfg.OptOutEnv, RequireConsent: c.cfg.RequireConsent,
		SampleRate: c.cfg.SampleRate,
	}.encode()
	if len(data) > maxTicket {
		c.note("uploader: its ticket would be %d bytes, more than it may read", len(data))
		return false
	}
	if err := c.dir.WriteFileNoSync(name, data); err != nil {
		c.note("uploader: %v", err)
		return true // not a reason to trim the spool
	}
	env := append(withoutChildEnv(c.h.environ()), childEnv+"="+token+":"+c.dir.Path())
	if _, err := export.StartDetached(exe, []string{childArg}, env); err != nil {
		c.dir.Remove(name)
		c.note("uploader: %v", err)
		return false
	}
	return true
}

func withoutChildEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, childEnv+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// drain runs the uploader until the spool is empty, it fails, or another
// uploader takes over. The spool is looked at again after each run has
// released the lock: a run of the host that appended an event while this
// uploader held the lock saw it busy and started none, so this uploader must
// pick that event up. (Append, then look at the lock, in the host; release,
// then look at the spool, here: one of the two always sees the other.)
func drain(ctx context.Context, up *export.Uploader) {
	for i := 0; i < 8 && ctx.Err() == nil; i++ {
		res, err := up.Run(ctx)
		if err != nil || res.Busy || res.Deferred || res.Retry {
			return
		}
		if !up.Spool.HasPending() {
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
	ctx, cancel := context.WithTimeout(context.Background(), childLifetime-time.Second)
	defer cancel()
	// A `telemetry reset` (or disable, then enable) while this uploader
	// works gives the machine a new installation id: what this uploader read
	// under the old one is never sent, and it starts again from the state
	// dir as it is now, so the new installation's events, which runs left to
	// it, still leave. Bounded: a few restarts within the child's lifetime.
	var done chan struct{}
	for range maxUploadRestarts {
		c, ok := prepareUploadChild(cfg, h)
		if !ok {
			break
		}
		up := c.childUploader()
		if up == nil {
			break
		}
		if done == nil {
			// The update check does not wait behind a slow endpoint, nor
			// the upload behind a slow manifest host.
			done = make(chan struct{})
			go func() {
				defer close(done)
				c.updateCheck(ctx)
			}()
		}
		drain(ctx, up)
		if !c.withdrawn() || ctx.Err() != nil {
			break
		}
	}
	if done != nil {
		<-done
	}
}

// maxUploadRestarts bounds how often one uploader starts again after the
// installation id changed under it.
const maxUploadRestarts = 3

// prepareUploadChild decides for the uploader and sends a pending erasure
// request; it reports false when nothing else may be sent.
func prepareUploadChild(cfg Config, h host) (*Client, bool) {
	c := &Client{cfg: cfg, h: h}
	c.resolve(nil)
	if !c.usable() {
		return nil, false
	}
	if c.decision.Mode != gate.On {
		// The one thing sent while telemetry is off: an erasure request
		// the user asked for and that could not be delivered then.
		c.sendPendingErasure(context.Background(), childSendTimeout)
		return nil, false
	}
	// An erasure request of an earlier install, still pending when the
	// user enabled telemetry again, goes first.
	c.sendPendingErasure(context.Background(), childSendTimeout)
	id, ok := store.New(c.dir, h.now).PeekDeviceID()
	if !ok {
		return nil, false // forgotten: nothing pending may be sent
	}
	if !sample.In(id, cfg.SampleRate) {
		return nil, false // out of the sample: what waits here is never sent
	}
	c.useID(id)
	c.dir.RemoveUploaderTickets(staleTickets, h.now())
	return c, true
}

// childUploader is the uploader child's Uploader over c's state dir, or nil
// when the endpoint cannot be used.
func (c *Client) childUploader() *export.Uploader {
	sender, err := export.NewSender(c.endpoint, c.cfg.AllowInsecure, childSendTimeout)
	if err != nil {
		return nil
	}
	return &export.Uploader{
		StateDir: c.dir,
		Spool:    export.OpenSpool(c.dir, export.SpoolOptions{Now: c.h.now}),
		Sender:   sender,
		Now:      c.h.now,
		// Several runs may each have started an uploader before the first
		// failure was written down; only the first may try.
		RespectBackoff: true,
		// Before each request and before writing its outcome, under the
		// state lock: `telemetry disable` may have turned telemetry off or
		// forgotten the machine since this uploader decided.
		Hold: c.hold(c.guarded(c.dir)),
	}
}

package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/safetext"
	"github.com/waymarkhq/waymark/internal/sample"
	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/internal/uuidx"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/milestones"
)

// Version is the version of Waymark, sent as telemetry.sdk.version.
const Version = version.Version

// ErrShutdown is returned by a second call to Client.Shutdown.
var ErrShutdown = errors.New("sdk: client already shut down")

// Client is the handle Start returns. A disabled Client is fully usable and
// does nothing. All methods are safe for concurrent use.
type Client struct {
	cfg       Config
	h         host
	decision  gate.Decision
	endpoint  string
	updateURL string
	// dir is the state directory, nil when none can be had. Whether it may
	// be used is looked at only when something needs it (usable), so a run
	// that an opt-out turned off never walks its path.
	dir       *statedir.Dir
	dirOnce   sync.Once
	dirUnsafe error
	// appended is set once this run queued something in the spool, so
	// Shutdown knows an upload is worth starting without reading the spool.
	appended atomic.Bool

	// store writes only while consent holds (see consent.go); bg is the
	// same without the host's lock budget, for a server's background loops.
	store     *store.Store
	bg        *store.Store
	live      *consent
	spool     *export.Spool
	pipe      *export.Pipeline
	installID string
	sessionID string
	started   time.Time

	// ms is built by Start and only read afterwards, so Milestone needs no
	// lock to find a name; done flags are atomic.
	ms map[string]*milestoneState

	mu sync.Mutex // serialises first recordings

	closed   atomic.Bool
	shutOnce sync.Once
	srv      *server

	// policyFile is the machine policy file that decided, else the first
	// found, if any.
	policyFile string

	// skip is set by SkipRun: this run is not real use.
	skip atomic.Bool
	// readyOnce makes the state dir ready and builds the pipeline on the
	// first thing worth recording, so a run that records nothing writes
	// nothing; readyOK says whether it succeeded.
	readyOnce sync.Once
	readyOK   bool
	opts      export.Options

	// perRun are the attributes every event of this run carries: agent.name
	// under an AI coding agent, waymark.sample_rate for a sampled product.
	perRun []attribute.KeyValue
	// unsampled is set by ready when this install is out of the product's
	// sample: it records locally and sends nothing.
	unsampled atomic.Bool
	// agentHeld is set when HoldUntilNotice holds events and an agent made
	// this run: it records nothing (see Config.HoldUntilNotice).
	agentHeld bool
}

type milestoneState struct{ done atomic.Bool }

// active is the Client the package-level functions act on.
var active atomic.Pointer[Client]

// Start reads the decision (package gate) once, prepares local state when
// telemetry is on, sends the usage ping when one is due, and for a server
// starts its heartbeat. It returns an error only for a bad Config; the
// returned Client is usable either way (disabled on error). Disk, network
// and collector problems never surface here: they turn telemetry off for
// this process and show in `telemetry status` and debug mode.
//
// Start may be called anywhere (in cobra, after flags are parsed): the
// detached uploader, which is the program's own binary re-run, is
// recognised before main runs and never reaches it.
func Start(cfg Config) (*Client, error) {
	return start(cfg, osHost())
}

func start(cfg Config, h host) (*Client, error) {
	c := &Client{cfg: cfg, h: h}
	if err := cfg.validate(); err != nil {
		c.decision = gate.Decide(gate.Input{Product: cfg.Product, ConfigErr: err})
		active.Store(c)
		return c, err
	}
	c.cfg = cfg.withDefaults()
	// Start writes nothing: the state dir is made ready by the first thing
	// this run records (see ready), so probe only.
	c.resolve(c.probe)
	switch c.decision.Mode {
	case gate.On, gate.Local:
		c.initRecording()
	case gate.Debug:
		c.initDebug()
	case gate.Off:
		c.debugOff()
		c.maybeSendErasure()
	}
	active.Store(c)
	return c, nil
}

// hostLockBudget bounds the total time one run of the host waits for the
// state dir's locks; work that cannot get a lock in time moves to a later run.
const hostLockBudget = 50 * time.Millisecond

// resolve fills decision, dir and endpoint: the same steps for Start, the
// upload child and the telemetry command. prepare, if set, is gate's last
// check of an on or local decision: Start makes the state dir ready, the
// telemetry command only looks whether it could be.
func (c *Client) resolve(prepare func() error) {
	cfg, h := c.cfg, c.h
	prefix := gate.EnvPrefix(cfg.Product)
	path, dirErr := milestones.Dir(cfg.Product, cfg.StateDir, h.lookup, h.userConfigDir)
	if dirErr == nil {
		c.dir = statedir.New(path)
	}
	c.endpoint = cfg.Endpoint
	var endpointErr error
	if v, ok := h.lookup(prefix + "_TELEMETRY_ENDPOINT"); ok && v != "" {
		c.endpoint = v
		endpointErr = checkEndpoint(v, cfg.AllowInsecure)
	}
	c.updateURL = cfg.UpdateURL
	envUpdate := prefix + "_TELEMETRY_UPDATE_URL"
	var warnings []string
	if v, ok := h.lookup(envUpdate); ok && v != "" {
		if err := checkURL(v, cfg.AllowInsecure); err != nil {
			warnings = append(warnings, fmt.Sprintf("%s %v; update check skipped", envUpdate, err))
			c.updateURL = ""
		} else {
			c.updateURL = v
		}
	}
	c.watch() // before deciding: a change made meanwhile is seen later
	in := gate.Input{
		Product:        cfg.Product,
		LookupEnv:      h.lookup,
		Disabled:       cfg.Disabled,
		DisabledBy:     cfg.DisabledBy,
		OptOutEnv:      cfg.OptOutEnv,
		RequireConsent: cfg.RequireConsent,
		Policy: func() []gate.PolicyFile {
			files := readPolicy(cfg.Product)
			if len(files) > 0 {
				c.policyFile = files[0].Path
			}
			return files
		},
		SharedDirUnsafe: c.sharedDirUnsafe,
		SharedMode:      c.sharedMode,
		SavedMode: func() (string, error) {
			if !c.usable() || !c.dir.Exists() {
				// No directory, no saved choice; whether one can be made
				// is for Prepare to find out.
				return "", nil
			}
			return store.New(c.dir, h.now).Mode()
		},
		EndpointErr: endpointErr,
		StateDirErr: dirErr,
		StateDirUnsafe: func() error {
			c.usable()
			return c.dirUnsafe
		},
		OTelEnvHazard: func() string { return export.EnvHazard() },
	}
	in.Prepare = prepare
	c.decision = gate.Decide(in)
	c.decision.Warnings = append(c.decision.Warnings, warnings...)
	if c.decision.PolicyFile != "" {
		c.policyFile = c.decision.PolicyFile
	}
}

// usable reports whether the state dir may be used: it exists or may be
// made, is safe (statedir.Check), and its entries are ones Waymark made
// (statedir.CheckEntries). It looks once, on first need.
func (c *Client) usable() bool {
	if c.dir == nil {
		return false
	}
	c.dirOnce.Do(func() {
		c.dirUnsafe = c.dir.Check()
		if c.dirUnsafe == nil && c.dir.Exists() {
			c.dirUnsafe = c.dir.CheckEntries()
		}
	})
	return c.dirUnsafe == nil
}

// sharedDir is the per-user folder whose mode file holds the choice saved
// for all Waymark tools (`telemetry disable --all`), or nil when there is no
// user config directory.
func (c *Client) sharedDir() *statedir.Dir {
	p, err := statedir.Resolve("waymark", "", "WAYMARK_TELEMETRY_DIR", c.h.lookup, c.h.userConfigDir)
	if err != nil {
		return nil
	}
	return statedir.New(p)
}

// sharedDirUnsafe says why the folder of the choice saved for all Waymark
// tools cannot be trusted, or nil when it is safe or missing (no choice).
// That folder is shared by every tool of the user, so it is held to more
// than a state dir: it must not itself be a symlink.
func (c *Client) sharedDirUnsafe() error {
	d := c.sharedDir()
	if d == nil {
		return nil
	}
	fi, err := os.Lstat(d.Path())
	if err != nil {
		return nil // missing: no choice saved
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symlink", export.Printable(d.Path(), 4096))
	}
	if err := d.Check(); err != nil {
		return errors.New(export.Printable(err.Error(), 4096))
	}
	return nil
}

// sharedMode reads the choice saved for all Waymark tools, under the same
// disk rules as the state dir; gate asks sharedDirUnsafe first.
func (c *Client) sharedMode() (string, error) {
	d := c.sharedDir()
	// Most users never save a choice for all tools: one look that the
	// folder is missing spares walking the path to it.
	if d == nil || !d.Exists() {
		return "", nil
	}
	return store.New(d, c.h.now).Mode()
}

// probe is prepare without writing: whether the state dir could be made
// ready. A full disk does not count: events wait for space.
func (c *Client) probe() error {
	if err := probeWritable(c.dir.Path()); err != nil && !diskFull(err) {
		return fmt.Errorf("state dir %s is not writable: %w", c.dir.Path(), err)
	}
	return nil
}

// prepare makes the state dir ready for recording and reads the
// installation id. An install that has its id needs no write probe on every
// run, only the cheap permission check.
func (c *Client) prepare() error {
	st := c.store
	if id, ok := st.PeekDeviceID(); ok {
		if !c.useID(id) {
			return store.ErrWithdrawn // forgotten since this run started
		}
		// An install that has its id needs no write, only the cheap look
		// at permissions and free space; a full disk leaves it on.
		if err := probeWritable(c.dir.Path()); err != nil && !diskFull(err) {
			if err := st.Prepare(); err != nil {
				return err // says which directory and why
			}
		}
		c.installID = id
		c.unsampled.Store(!sample.In(id, c.cfg.SampleRate))
		return nil
	}
	// A new install: making the id, under the lock, proves the directory
	// writable; no separate probe.
	if err := c.dir.Create(); err != nil {
		return err
	}
	id, _, err := st.DeviceID()
	if err != nil {
		return err
	}
	if !c.useID(id) {
		return store.ErrWithdrawn
	}
	c.installID = id
	c.unsampled.Store(!sample.In(id, c.cfg.SampleRate))
	return nil
}

func (c *Client) initRecording() {
	cfg, h := c.cfg, c.h
	// The host's own run waits at most hostLockBudget for locks in all, and
	// never for fsync.
	c.dir = c.dir.WithBudget(statedir.NewBudget(hostLockBudget)).WithoutSync()
	c.store = c.guarded(c.dir)
	c.bg = c.guarded(c.dir.WithBudget(nil))
	if id, ok := c.store.PeekDeviceID(); ok {
		c.useID(id) // the id this run started with; forgetting it withdraws consent
	}
	recorded, err := c.store.Recorded()
	if err != nil {
		c.note("%v (recovered: milestones will be re-checked)", err)
	}
	if cfg.Server {
		c.sessionID, _ = uuidx.NewV4()
	}
	c.started = h.now()
	c.opts = export.Options{Endpoint: c.endpoint, Version: Version}
	c.perRun = perRunAttrs(cfg, c.decision)
	if cfg.HoldUntilNotice && c.decision.Agent != "" && c.decision.Mode == gate.On && !c.store.NoticeShown(c.noticeVersion()) {
		// An agent cannot show the notice to a person: rather than hold
		// events that no run of the agent can release, record nothing.
		c.agentHeld = true
		c.skip.Store(true)
	}
	if c.decision.Mode == gate.Local {
		c.opts.Destination = export.ToLocalLog
		c.opts.LocalLog = c.dir
	} else {
		c.spool = export.OpenSpool(c.dir, export.SpoolOptions{Now: h.now})
		c.opts.Destination = export.ToSpool
		c.opts.Spool = c.spool
	}
	c.setMilestones(recorded)
	if cfg.Server && !c.agentHeld {
		// A server's start is real use: it counts, and it heartbeats.
		if !c.ready() {
			return
		}
		c.countRun()
		c.startServer()
	}
}

// ready makes the state dir ready (creating it and the installation id if
// needed) and builds the pipeline, once, on the first thing this run
// records. If the state dir cannot be made ready, nothing is recorded for
// the rest of the run (gate's rule state_dir_unwritable, which status shows)
// and ready reports false.
func (c *Client) ready() bool {
	c.readyOnce.Do(func() {
		if c.pipe != nil { // debug mode builds its pipeline at Start
			c.readyOK = true
			return
		}
		if err := c.prepare(); err != nil {
			c.note("%s", c.decision.Unprepared(err).Reason)
			return
		}
		c.opts.Resource = resourceAttrs(c.cfg, c.installID, c.sessionID)
		pipe, err := export.NewPipeline(c.opts)
		if err != nil {
			c.note("pipeline: %v", err) // only a programming error gets here
			return
		}
		c.pipe = pipe
		c.readyOK = true
	})
	return c.readyOK
}

// countRun does what a run that is real use does once: show the first-run
// notice on a terminal (not to an AI coding agent), send the usage ping when one is due, and show
// update notices. The pipeline must be ready.
func (c *Client) countRun() {
	cfg, h := c.cfg, c.h
	// Not in an agent's run: the agent would read the notice, not a person,
	// and a person's later run would never show it.
	if c.decision.Mode == gate.On && c.decision.CI == "" && c.decision.Agent == "" && h.stderrTerminal() &&
		!c.store.NoticeShown(c.noticeVersion()) {
		if _, err := io.WriteString(h.stderr, gate.Notice(cfg.Product, cfg.NoticeURL)); err == nil {
			if err := c.store.MarkNoticeShown(c.noticeVersion()); err != nil {
				c.note("notice: %v", err)
			}
		}
	}
	if c.usageDue(c.store) {
		c.sendUsage(c.store)
	}
	c.showUpdateNotices()
}

// noticeVersion names what this build's notice describes: Waymark's
// schema and the vendor's Config.NoticeVersion.
func (c *Client) noticeVersion() string { return schema.NoticeVersion(c.cfg.NoticeVersion) }

// needsCount reports whether a counted CLI run has anything to do at its
// end without reading more than two small files: a notice to show or a
// usage ping that is due.
func (c *Client) needsCount() bool {
	if c.usageDue(c.store) {
		return true
	}
	return c.decision.Mode == gate.On && c.decision.CI == "" && c.decision.Agent == "" && c.h.stderrTerminal() &&
		!c.store.NoticeShown(c.noticeVersion())
}

// usageDue is a lock-free look at the usage ticket, so the common run, with
// a ping sent in the last PingInterval, takes no lock at all. Claim decides
// for certain under the lock.
func (c *Client) usageDue(store *store.Store) bool {
	return store.ClaimDue("usage", c.cfg.PingInterval)
}

func (c *Client) sendUsage(store *store.Store) {
	if _, err := store.Claim("usage", c.cfg.PingInterval, func() error {
		eid, err := uuidx.NewV4()
		if err != nil {
			return err
		}
		return c.emit(schema.EventUsage, attribute.String(schema.AttrEventID, eid))
	}); err != nil {
		c.note("usage ping: %v", err)
	}
}

func (c *Client) initDebug() {
	cfg, h := c.cfg, c.h
	id, ok := "", false
	if c.usable() {
		id, ok = store.New(c.dir, h.now).PeekDeviceID()
	}
	if !ok {
		// Debug records nothing, so a new install gets a throwaway id.
		id, _ = uuidx.NewV4()
	}
	c.installID = id
	if cfg.Server {
		c.sessionID, _ = uuidx.NewV4()
	}
	c.started = h.now()
	fmt.Fprintf(h.stderr, "waymark debug: %s telemetry is in debug mode (%s): events are printed, not recorded or sent\n", cfg.Product, oneLine(c.decision.Reason))
	for _, w := range c.decision.Warnings {
		fmt.Fprintf(h.stderr, "waymark debug: %s\n", oneLine(w))
	}
	pipe, err := export.NewPipeline(export.Options{
		Resource:    resourceAttrs(cfg, id, c.sessionID),
		Destination: export.ToDebug,
		Debug:       h.stderr,
		Endpoint:    c.endpoint,
		Version:     Version,
	})
	if err != nil {
		c.note("pipeline: %v", err) // only a programming error gets here
		return
	}
	c.pipe = pipe
	c.perRun = perRunAttrs(cfg, c.decision)
	c.setMilestones(nil)
	eid, _ := uuidx.NewV4()
	c.emit(schema.EventUsage, attribute.String(schema.AttrEventID, eid))
	if cfg.Server {
		c.startServer()
	}
}

// setMilestones builds the table of declared milestones, marking those
// already recorded.
func (c *Client) setMilestones(recorded map[string]time.Time) {
	c.ms = make(map[string]*milestoneState, len(c.cfg.Milestones))
	for _, m := range c.cfg.Milestones {
		st := new(milestoneState)
		if _, ok := recorded[m]; ok {
			st.done.Store(true)
		}
		c.ms[m] = st
	}
}

// emit queues one event, with this run's per-run attributes, and remembers
// that this run queued something. An install out of the sample queues
// nothing: what it records is never sent, then or later.
func (c *Client) emit(event string, attrs ...attribute.KeyValue) error {
	if c.unsampled.Load() {
		return nil
	}
	err := c.pipe.Emit(event, append(attrs, c.perRun...)...)
	if err == nil {
		c.appended.Store(true)
	}
	return err
}

// note reports a problem that telemetry survived. Debug mode prints it;
// otherwise it stays silent: `telemetry status` finds the lasting ones again
// (an unwritable dir, damaged files, delivery errors in upload.json, odd
// environment values) without this process having to write anything.
func (c *Client) note(format string, args ...any) {
	if c.decision.Mode == gate.Debug {
		fmt.Fprintf(c.h.stderr, "waymark debug: %s\n", oneLine(fmt.Sprintf(format, args...)))
	}
}

// Milestone records that this installation reached the named milestone. The
// first call on an installation records and queues one waymark.milestone
// event; every later call, in this process or any other, does nothing and
// costs a map lookup. Undeclared names are dropped. Safe from any goroutine.
func (c *Client) Milestone(name string) {
	if c == nil || c.ms == nil {
		return
	}
	st, ok := c.ms[name]
	if !ok {
		if c.decision.Mode == gate.Debug {
			c.note("milestone %q is not declared in Config.Milestones; dropped", name)
		}
		return
	}
	if st.done.Load() {
		return
	}
	c.reach(name, st)
}

// Milestone calls Milestone on the Client that Start returned. Before Start,
// or when telemetry is off, it does nothing.
func Milestone(name string) {
	active.Load().Milestone(name)
}

func (c *Client) reach(name string, st *milestoneState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.done.Load() || c.closed.Load() || c.agentHeld || !c.ready() {
		return
	}
	eid, err := uuidx.V5(c.installID, name)
	if err != nil {
		eid, _ = uuidx.NewV4()
	}
	emit := func() error {
		return c.emit(schema.EventMilestone,
			attribute.String(schema.AttrMilestoneName, name), attribute.String(schema.AttrEventID, eid))
	}
	if c.decision.Mode == gate.Debug {
		emit()
		st.done.Store(true)
		return
	}
	recorded, err := c.store.Record(name, emit)
	if err != nil {
		c.note("milestone %q: %v", name, err)
		return
	}
	st.done.Store(true)
	if recorded {
		c.pipe.AddMilestone(name)
	}
}

// Shutdown ends telemetry for this process. A CLI's Shutdown does what a
// counted run does once (the first-run notice on a terminal, the usage ping
// when due; nothing of this after SkipRun), spools the run's metrics and,
// when events are pending and the backoff allows, starts the detached
// uploader; it never waits on the network. A server's Shutdown
// stops the heartbeat and flushes within Config.FlushTimeout (or ctx's
// deadline, if sooner). It never returns disk or network errors; a second
// call returns ErrShutdown.
func (c *Client) Shutdown(ctx context.Context) error {
	if c == nil {
		return nil
	}
	err := ErrShutdown
	c.shutOnce.Do(func() {
		err = nil
		c.closed.Store(true)
		if c.ms == nil { // off, or a bad Config
			return
		}
		if c.srv != nil {
			// The pipeline stays open, as a CLI's does, for a crash report
			// offered after Shutdown.
			c.stopServer(ctx)
			return
		}
		if c.decision.Mode != gate.Debug && !c.consentHolds() {
			return // turned off or forgotten since this run started: write nothing
		}
		counted := c.decision.Mode != gate.Debug && !c.skip.Load()
		if counted && c.needsCount() && c.ready() {
			c.countRun()
		} else if counted {
			c.showUpdateNotices() // reads the cache only; writes when it shows
		}
		if c.pipe != nil && !c.unsampled.Load() {
			if err := c.spoolMetrics(c.store); err != nil {
				c.note("metrics: %v", err)
			}
		}
		// Even a run that recorded nothing starts an upload of what earlier
		// runs left pending once their backoff has passed.
		c.maybeDetach()
		// The pipeline stays open: a crash report offered after Shutdown
		// (ReportPanics deferred before it) is still recorded and sent.
	})
	return err
}

// spoolMetrics spools the metrics collected so far, under the state lock
// while consent holds (debug mode prints them).
func (c *Client) spoolMetrics(st *store.Store) error {
	flush := func() error { return c.pipe.FlushMetrics(context.Background()) }
	if st == nil {
		return flush()
	}
	return st.Locked(flush)
}

// resourceAttrs is the complete resource: the schema's resource keys and
// nothing else.
func resourceAttrs(cfg Config, installID, sessionID string) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String(schema.ResServiceName, cfg.Product),
		attribute.String(schema.ResServiceVersion, cfg.Version),
		attribute.String(schema.ResInstallationID, installID),
		attribute.String(schema.ResOSType, osType(runtime.GOOS)),
		attribute.String(schema.ResHostArch, hostArch(runtime.GOARCH)),
		attribute.String(schema.ResRuntimeName, "go"),
		attribute.String(schema.ResRuntimeVersion, runtime.Version()),
		attribute.String(schema.ResSDKName, "waymark"),
		attribute.String(schema.ResSDKLanguage, "go"),
		attribute.String(schema.ResSDKVersion, Version),
	}
	if sessionID != "" {
		attrs = append(attrs, attribute.String(schema.ResSessionID, sessionID))
	}
	return attrs
}

// perRunAttrs are the attributes every event of a run carries besides its
// own: the agent that made the run, and the sample rate of a sampled product.
func perRunAttrs(cfg Config, d gate.Decision) []attribute.KeyValue {
	var out []attribute.KeyValue
	if d.Agent != "" {
		out = append(out, attribute.String(schema.AttrAgent, d.Agent))
	}
	if cfg.SampleRate > 0 && cfg.SampleRate < 1 {
		out = append(out, attribute.Float64(schema.AttrSampleRate, cfg.SampleRate))
	}
	return out
}

// osType is the os.type sent for goos (schema.OSType).
func osType(goos string) string {
	t, _ := schema.OSType(goos)
	return t
}

// hostArch is the host.arch sent for goarch (schema.HostArch).
func hostArch(goarch string) string {
	a, _ := schema.HostArch(goarch)
	return a
}

// host is everything Waymark reads from the process, read through one value
// so tests can inject it.
type host struct {
	lookup         func(string) (string, bool)
	environ        func() []string
	now            func() time.Time
	stderr         io.Writer
	stderrTerminal func() bool
	userConfigDir  func() (string, error)
	executable     func() (string, error)
	hostname       func() (string, error) // for the crash report's scrubber
	exit           func(int)
}

func osHost() host {
	return host{
		lookup:         os.LookupEnv,
		environ:        os.Environ,
		now:            time.Now,
		stderr:         safetext.Writer(os.Stderr), // paths and stored text are printed in debug mode
		stderrTerminal: func() bool { return gate.IsTerminal(os.Stderr.Fd()) },
		userConfigDir:  os.UserConfigDir,
		executable:     os.Executable,
		hostname:       os.Hostname,
		exit:           os.Exit,
	}
}

package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/safetext"
	"github.com/waymarkhq/waymark/internal/sample"
	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/internal/telemetrytext"
	"github.com/waymarkhq/waymark/milestones"
)

// Command runs the `telemetry` subcommand for a CLI: pass the arguments after
// "telemetry", and exit with the code it returns. It records and sends
// nothing itself; its only writes are the ones the user asked for.
//
//	status [--json]  the mode and the rule that decided it, installation id,
//	                 state dir, endpoint, pending events, milestones, what is collected
//	show [--json]    the events last sent from this machine, and those pending
//	enable [--all]   send anonymous telemetry (saved choice "on"); --all: for every Waymark tool
//	disable [--all]  send nothing, and forget this machine: installation id,
//	                 pending events, sent-event record and milestones are deleted
//	disable --erase  the same, after asking the vendor to erase what this
//	                 installation sent (when its id ever reached the collector)
//	local [--all]    record events on this machine only, never send them
//	reset            a new installation id; milestones start again
//	help, -h, --help what each of these does, in a sentence or more each
//
// The cobra and urfave/cli integrations (integrations/…) build their
// command trees on it; any other CLI passes the arguments after "telemetry".
func Command(cfg Config, args []string, stdout, stderr io.Writer) int {
	return command(cfg, osHost(), args, stdout, stderr)
}

func command(cfg Config, h host, args []string, stdout, stderr io.Writer) int {
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg = cfg.withDefaults()
	// Paths, saved files and error texts reach the terminal in what is
	// printed: nothing of them may steer it.
	stdout, stderr = safetext.Writer(stdout), safetext.Writer(stderr)
	sub, flags, code := parseCommandArgs(args)
	switch code {
	case usageHelp:
		commandHelp(stdout, cfg.Product)
		return 0
	case usageBad:
		commandUsage(stderr, cfg.Product)
		return 2
	}
	if flags.all && sub != "enable" && sub != "disable" && sub != "local" || flags.erase && (sub != "disable" || flags.all) {
		commandUsage(stderr, cfg.Product)
		return 2
	}
	c := &Client{cfg: cfg, h: h}
	c.resolve(c.probe)
	if (sub == "enable" || sub == "local") && c.decision.Policy() {
		fmt.Fprintf(stderr, "%s telemetry %s: not allowed: %s.\n", cfg.Product, sub, oneLine(c.decision.Reason))
		return 1
	}
	if sub != "status" && sub != "show" && !flags.all && !c.usable() {
		fmt.Fprintf(stderr, "%s telemetry %s: the state directory cannot be used: %s\n", cfg.Product, sub, oneLine(c.dirProblem()))
		return 1
	}
	switch sub {
	case "status":
		c.cmdStatus(stdout, flags.json)
		return 0
	case "enable", "disable", "local":
		if flags.erase {
			return c.cmdErase(stdout, stderr)
		}
		if flags.all {
			return c.cmdSetSharedMode(sub, stdout, stderr)
		}
		return c.cmdSetMode(sub, stdout, stderr)
	case "reset":
		return c.cmdReset(stdout, stderr)
	case "show":
		return c.cmdShow(stdout, flags.json)
	}
	commandUsage(stderr, cfg.Product)
	return 2
}

// oneLine makes text the command did not write (a path from the
// environment, a saved file's error) one printable line: the writers the
// command prints through keep newlines, so a newline in such a value could
// otherwise print a line of its own.
func oneLine(s string) string { return safetext.Line(s, 4096) }

// dirProblem says why the state dir cannot be used. The decision's reason
// may name a rule that outranks the state dir (the environment, CI), which
// is not why the command cannot save anything.
func (c *Client) dirProblem() string {
	if c.dirUnsafe != nil {
		return c.dirUnsafe.Error()
	}
	if _, err := milestones.Dir(c.cfg.Product, c.cfg.StateDir, c.h.lookup, c.h.userConfigDir); err != nil {
		return err.Error()
	}
	return c.decision.Reason
}

// How parseCommandArgs found the arguments.
const (
	usageOK = iota
	usageHelp
	usageBad
)

// commandFlags are the flags of the telemetry command.
type commandFlags struct {
	json bool // --json: machine-readable output
	all  bool // --all: the choice for every Waymark tool
	// erase: --erase, with disable: ask the vendor to erase this install
	erase bool
}

// parseCommandArgs finds the subcommand (default status) and its flags.
func parseCommandArgs(args []string) (sub string, f commandFlags, code int) {
	var rest []string
	for _, a := range args {
		switch a {
		case "--json", "-json":
			f.json = true
		case "--all", "-all":
			f.all = true
		case "--erase", "-erase":
			f.erase = true
		case "-h", "--help", "help":
			return "", f, usageHelp
		default:
			rest = append(rest, a)
		}
	}
	switch len(rest) {
	case 0:
		return "status", f, usageOK
	case 1:
		return rest[0], f, usageOK
	}
	return "", f, usageBad
}

func (c *Client) cmdStatus(stdout io.Writer, jsonOut bool) {
	st := c.status()
	if jsonOut {
		writeJSON(stdout, st)
		return
	}
	writeStatus(stdout, st, c.h.now(), c.cfg.Server)
}

// modeOf is the saved mode each subcommand writes.
var modeOf = map[string]string{"enable": "on", "disable": "off", "local": "local"}

// cmdSetMode saves the user's choice; disable also forgets the machine.
func (c *Client) cmdSetMode(sub string, stdout, stderr io.Writer) int {
	product := c.cfg.Product
	if err := store.New(c.dir, c.h.now).SetMode(modeOf[sub]); err != nil {
		fmt.Fprintf(stderr, "%s telemetry %s: %s\n", product, sub, oneLine(err.Error()))
		return 1
	}
	switch sub {
	case "enable":
		fmt.Fprintf(stdout, "%s telemetry is enabled: anonymous usage data will be sent.\n", product)
	case "disable":
		if err := c.forget(); err != nil {
			fmt.Fprintf(stderr, "%s telemetry disable: could not forget everything: %s\n", product, oneLine(err.Error()))
		}
		fmt.Fprintf(stdout, "%s telemetry is disabled: nothing will be sent. This machine's installation id, "+
			"pending events, record of sent events and milestones were deleted; enabling again later starts a new installation.\n", product)
	case "local":
		fmt.Fprintf(stdout, "%s telemetry is local: events are recorded in %s and never sent.\n", product, oneLine(c.dir.PathOf(statedir.LocalLog)))
	}
	c.noteIfOverridden(stdout)
	return 0
}

// cmdSetSharedMode saves the choice for every Waymark-instrumented tool of
// this user. A product's own saved choice still outranks it.
func (c *Client) cmdSetSharedMode(sub string, stdout, stderr io.Writer) int {
	product := c.cfg.Product
	d := c.sharedDir()
	if d == nil {
		fmt.Fprintf(stderr, "%s telemetry %s --all: no user config directory\n", product, sub)
		return 1
	}
	if err := c.sharedDirUnsafe(); err != nil {
		fmt.Fprintf(stderr, "%s telemetry %s --all: the folder for all Waymark tools cannot be trusted: %s\n", product, sub, oneLine(err.Error()))
		return 1
	}
	if err := store.New(d, c.h.now).SetMode(modeOf[sub]); err != nil {
		fmt.Fprintf(stderr, "%s telemetry %s --all: %s\n", product, sub, oneLine(err.Error()))
		return 1
	}
	fmt.Fprintf(stdout, "Telemetry is %s for every Waymark-instrumented tool of this user (saved in %s), "+
		"unless a tool's own choice says otherwise.\n", modeOf[sub], oneLine(d.Path()))
	if sub == "disable" && c.usable() {
		if err := c.forget(); err != nil {
			fmt.Fprintf(stderr, "%s telemetry disable --all: could not forget everything: %s\n", product, oneLine(err.Error()))
		}
	}
	c.noteIfOverridden(stdout)
	return 0
}

// noteIfOverridden says so when a saved choice loses to a rule that ranks
// above it (the environment, a policy, CI).
func (c *Client) noteIfOverridden(stdout io.Writer) {
	after := &Client{cfg: c.cfg, h: c.h}
	after.resolve(after.probe)
	if !after.decision.Saved() {
		fmt.Fprintf(stdout, "Note: %s telemetry is %s for now because %s.\n", c.cfg.Product, after.decision.Mode, oneLine(after.decision.Reason))
	}
}

// forget deletes what identifies this machine or waits to be sent: the
// installation id, the milestone record, pending events, the record of sent
// events, the local event log, the usage and update tickets and the
// delivery state. The saved choice and the notice marker stay.
func (c *Client) forget() error {
	// Under the upload lock (waiting briefly), so an uploader in the middle
	// of a send cannot write the ledger again just afterwards.
	// Only when an uploader ever ran here (a fresh install has no lock file,
	// and disable creates none); one still in flight after the wait sees the
	// choice and writes nothing back.
	if c.dir.Has(statedir.UploadLock) {
		if l, err := c.dir.Lock(statedir.UploadLock, 2*time.Second); err == nil {
			defer l.Unlock()
		}
	}
	// Then under the state lock: every process that writes looks, under
	// it, whether the installation id it started with is still here, so
	// none writes anything back after this.
	if l, err := c.dir.Lock(statedir.StateLock, 2*time.Second); err == nil {
		defer l.Unlock()
	}
	errs := []error{export.OpenSpool(c.dir, export.SpoolOptions{}).Clear()}
	for _, n := range []statedir.Name{statedir.DeviceID, statedir.Milestones, statedir.Ledger, statedir.LocalLog, statedir.Delivery} {
		errs = append(errs, c.dir.Remove(n))
	}
	for _, t := range []string{"usage", updateTicket} {
		if n, ok := statedir.Ticket(t); ok {
			errs = append(errs, c.dir.Remove(n))
		}
	}
	return errors.Join(errs...)
}

// cmdReset gives the install a new id and forgets what was pending.
func (c *Client) cmdReset(stdout, stderr io.Writer) int {
	product := c.cfg.Product
	if c.decision.Mode == gate.Off {
		// Off keeps no installation id: a new one would be an identifier
		// written where the user said no. Forgetting the old one is the
		// reset; the first run with telemetry on makes the new id.
		var errs []error
		if l, err := c.dir.Lock(statedir.StateLock, 2*time.Second); err == nil {
			defer l.Unlock()
		}
		errs = append(errs, export.OpenSpool(c.dir, export.SpoolOptions{}).Clear())
		for _, n := range []statedir.Name{statedir.DeviceID, statedir.Milestones} {
			errs = append(errs, c.dir.Remove(n))
		}
		if err := errors.Join(errs...); err != nil {
			fmt.Fprintf(stderr, "%s telemetry reset: %s\n", product, oneLine(err.Error()))
			return 1
		}
		fmt.Fprintf(stdout, "%s telemetry is off, so it keeps no installation id; the first run with telemetry on "+
			"starts a new one and milestones start again.\n", product)
		return 0
	}
	id, err := store.New(c.dir, c.h.now).ResetDeviceID()
	if err != nil {
		fmt.Fprintf(stderr, "%s telemetry reset: %s\n", product, oneLine(err.Error()))
		return 1
	}
	if err := export.OpenSpool(c.dir, export.SpoolOptions{}).Clear(); err != nil {
		fmt.Fprintf(stderr, "%s telemetry reset: could not delete pending events: %s\n", product, oneLine(err.Error()))
	}
	fmt.Fprintf(stdout, "%s telemetry: new installation id %s; milestones start again.\n", product, id)
	return 0
}

// writeJSON prints v as indented JSON in which C1 and bidirectional
// controls, which encoding/json leaves raw, are escaped too.
func writeJSON(w io.Writer, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if enc.Encode(v) == nil {
		w.Write(safetext.JSON(b.Bytes()))
	}
}

// commandUsage is the one-line reminder printed after a wrong command line.
func commandUsage(w io.Writer, product string) {
	fmt.Fprintf(w, "usage: %s telemetry [status [--json] | show [--json] | enable [--all] | disable [--all | --erase] | local [--all] | reset | help]\n", product)
	fmt.Fprintf(w, "Run \"%s telemetry help\" for what each of these does.\n", product)
}

// commandHelp explains every subcommand and flag, for help, -h and --help.
func commandHelp(w io.Writer, product string) {
	io.WriteString(w, telemetrytext.Help(product, product+" telemetry", gate.EnvPrefix(product), ""))
}

// Status is what `telemetry status --json` prints. Every key is always
// present; a key with no value is null. Pending counts the events waiting to
// be sent (those show lists), PendingMetrics the batches of metric counts
// waiting beside them.
type Status struct {
	Product string `json:"product"`
	Mode    string `json:"mode"`
	Reason  string `json:"reason"`
	Rule    string `json:"rule"`
	// InstallationID is the anonymous id this installation sends;
	// DeviceID is the same value under its first name.
	InstallationID *string        `json:"installation_id"`
	DeviceID       *string        `json:"device_id"`
	StateDir       *string        `json:"state_dir"`
	Endpoint       *string        `json:"endpoint"`
	Pending        int            `json:"pending"`
	PendingMetrics int            `json:"pending_metrics"`
	Milestones     []string       `json:"milestones"`
	LocalEvents    *string        `json:"local_events"`
	Delivery       *DeliveryView  `json:"delivery"`
	LastError      *string        `json:"last_error"`
	Policy         *string        `json:"policy"`
	Warnings       []string       `json:"warnings"`
	Collected      CollectedView  `json:"collected"`
	OptOut         []string       `json:"opt_out"`
	ReachedAt      map[string]any `json:"milestones_reached_at"`
	// Agent names the AI coding agent that runs this command, if any.
	Agent *string `json:"agent"`
	// Sample is the product's sample, null when every install sends.
	Sample *SampleView `json:"sample"`
	// Erasure is an erasure request not yet delivered, or null.
	Erasure *ErasureView `json:"erasure"`
}

// DeliveryView summarises uploads for status.
type DeliveryView struct {
	Delivered   int64   `json:"delivered"`
	Dropped     int64   `json:"dropped"`
	Failures    int     `json:"failures"`
	LastError   *string `json:"last_error"`
	LastSuccess *string `json:"last_success"`
	NextAttempt *string `json:"next_attempt"`
}

// CollectedView lists exactly what Waymark sends: the resource attributes and
// each event with its attributes, and the metrics.
type CollectedView struct {
	Resource []string            `json:"resource"`
	Events   map[string][]string `json:"events"`
	Metrics  []string            `json:"metrics"`
}

// collected lists what is sent, from the schema; the notice page in docs is
// checked against it.
func collected(server bool) CollectedView {
	res := schema.Keys(schema.Resource)
	if server {
		res = append(res, schema.Keys(schema.ServerResource)...)
	}
	cv := CollectedView{Resource: res, Events: map[string][]string{}}
	for _, e := range schema.Events {
		cv.Events[e.Name] = schema.Keys(e.Attrs)
	}
	for _, m := range schema.Metrics {
		cv.Metrics = append(cv.Metrics, m.Name)
	}
	return cv
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timep(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return strp(t.UTC().Format(time.RFC3339))
}

// status gathers the status without creating or changing any file.
func (c *Client) status() Status {
	prefix := gate.EnvPrefix(c.cfg.Product)
	st := Status{
		Product:    c.cfg.Product,
		Mode:       c.decision.Mode.String(),
		Reason:     c.decision.Reason,
		Rule:       c.decision.Rule,
		Endpoint:   strp(export.Printable(c.endpoint, export.MaxURL)),
		Policy:     strp(c.policyFile),
		Milestones: []string{},
		Warnings:   append([]string{}, c.decision.Warnings...),
		Collected:  collected(c.cfg.Server),
		OptOut:     schema.OptOuts(c.cfg.Product, prefix),
		ReachedAt:  map[string]any{},
	}
	if c.decision.Agent != "" {
		st.Agent = strp(c.decision.Agent)
	}
	if c.dir != nil {
		st.StateDir = strp(export.Printable(c.dir.Path(), 4096))
	}
	if !c.usable() {
		return st // nothing is read from a state dir that must not be used
	}
	store := store.New(c.dir, c.h.now)
	if id, ok := store.PeekDeviceID(); ok {
		st.InstallationID, st.DeviceID = &id, &id
		if c.cfg.SampleRate < 1 {
			st.Sample = &SampleView{Rate: c.cfg.SampleRate, InSample: sample.In(id, c.cfg.SampleRate)}
		}
	}
	if r, ok := readErasure(c.dir); ok {
		st.Erasure = &ErasureView{InstallationID: r.InstallationID, RequestedAt: r.RequestedAt.UTC().Format(time.RFC3339)}
	}
	rec, err := store.Recorded()
	if err != nil {
		st.Warnings = append(st.Warnings, export.Printable(err.Error(), 300))
	}
	for name, at := range rec {
		name = export.Printable(name, 64) // the file is the disk's word, not ours
		st.Milestones = append(st.Milestones, name)
		st.ReachedAt[name] = at.UTC().Format(time.RFC3339)
	}
	sort.Strings(st.Milestones)
	if ss, err := export.OpenSpool(c.dir, export.SpoolOptions{}).Stat(); err == nil {
		// Events are what show lists; the metric deltas of each run wait
		// beside them as entries of their own and are counted apart.
		st.Pending, st.PendingMetrics = ss.Events(), ss.ByKind[export.KindMetrics]
	} else {
		st.Warnings = append(st.Warnings, export.Printable(err.Error(), 300))
	}
	if c.dir.Has(statedir.LocalLog) {
		st.LocalEvents = strp(c.dir.PathOf(statedir.LocalLog))
	}
	ds := export.ReadDeliveryState(c.dir)
	if ds != (export.DeliveryState{}) {
		st.Delivery = &DeliveryView{
			Delivered: ds.Delivered, Dropped: ds.Dropped, Failures: ds.Failures,
			LastError: strp(ds.LastError), LastSuccess: timep(ds.LastSuccess), NextAttempt: timep(ds.NextAttempt),
		}
		st.LastError = strp(ds.LastError)
	}
	if c.decision.Mode == gate.On || c.decision.Mode == gate.Local {
		// A full disk leaves telemetry on (events wait for space) but is
		// the error the user needs to see.
		if err := probeWritable(c.dir.Path()); diskFull(err) {
			st.LastError = strp(fmt.Sprintf("state dir %s: %v", c.dir.Path(), err))
		}
	}
	return st
}

// writeStatus prints the status for a person: times in now's zone and
// relative to now, the last delivery error in plain words (the raw text is
// in --json), and how to change the mode from where it is.
func writeStatus(w io.Writer, st Status, now time.Time, server bool) {
	val := func(p *string) string {
		if p == nil {
			return "(none)"
		}
		return oneLine(*p)
	}
	fmt.Fprintf(w, "%s telemetry: %s\n", st.Product, st.Mode)
	fmt.Fprintf(w, "  why:             %s\n", oneLine(st.Reason))
	fmt.Fprintf(w, "  installation id: %s\n", val(st.DeviceID))
	if st.Agent != nil {
		fmt.Fprintf(w, "  agent:           %s (an AI coding agent runs this; it is never asked anything)\n", *st.Agent)
	}
	if s := st.Sample; s != nil {
		if s.InSample {
			fmt.Fprintf(w, "  sample:          in the sample (%s of installs send)\n", ratePercent(s.Rate))
		} else {
			fmt.Fprintf(w, "  sample:          not in the sample (%s of installs send): nothing is sent from this installation\n", ratePercent(s.Rate))
		}
	}
	if e := st.Erasure; e != nil {
		fmt.Fprintf(w, "  erasure:         requested %s for installation %s; not delivered yet, a later run sends it\n", e.RequestedAt, e.InstallationID)
	}
	fmt.Fprintf(w, "  state dir:       %s\n", val(st.StateDir))
	fmt.Fprintf(w, "  endpoint:        %s\n", val(st.Endpoint))
	pending := fmt.Sprint(st.Pending)
	if st.PendingMetrics > 0 {
		pending += ", plus " + telemetrytext.Count(int64(st.PendingMetrics), "batch", "batches") + " of metric counts"
	}
	if st.Pending > 0 {
		pending += fmt.Sprintf("; \"%s telemetry show\" lists them", st.Product)
	}
	fmt.Fprintf(w, "  pending events:  %s\n", pending)
	ms := "(none)"
	if len(st.Milestones) > 0 {
		ms = strings.Join(st.Milestones, ", ")
	}
	fmt.Fprintf(w, "  milestones:      %s\n", ms)
	if st.LocalEvents != nil {
		fmt.Fprintf(w, "  local events:    %s\n", oneLine(*st.LocalEvents))
	}
	d := st.Delivery
	if d != nil {
		sent := telemetrytext.Count(d.Delivered, "event", "events") + " so far"
		if t, ok := parseTime(d.LastSuccess); ok {
			sent += ", last at " + telemetrytext.When(t, now)
		}
		if d.Dropped > 0 {
			sent += "; " + telemetrytext.Count(d.Dropped, "batch", "batches") + " dropped because the collector refused them"
		}
		fmt.Fprintf(w, "  delivered:       %s\n", sent)
	}
	if st.LastError != nil {
		text := telemetrytext.PlainError(*st.LastError)
		if d != nil && d.Failures > 0 {
			if d.Failures > 1 {
				text += fmt.Sprintf(" (%d times in a row)", d.Failures)
			}
			if st.Mode == gate.On.String() {
				next, _ := parseTime(d.NextAttempt)
				text += "; " + telemetrytext.Retry(next, now, server)
			} else {
				// Off or local, nothing tries again: saying that the next
				// run will would be untrue.
				text += "; nothing is sent while telemetry is " + st.Mode
			}
		}
		fmt.Fprintf(w, "  last error:      %s\n", oneLine(text))
	}
	for _, warn := range st.Warnings {
		fmt.Fprintf(w, "  warning:         %s\n", oneLine(warn))
	}
	fmt.Fprintf(w, "\nWhat is sent (anonymous; never names, paths, arguments, IP addresses or environment):\n")
	fmt.Fprintf(w, "  with every event: %s\n", strings.Join(st.Collected.Resource, ", "))
	names := make([]string, 0, len(st.Collected.Events))
	for n := range st.Collected.Events {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %s: %s\n", n, strings.Join(st.Collected.Events[n], ", "))
	}
	fmt.Fprintf(w, "  metrics: %s\n", strings.Join(st.Collected.Metrics, ", "))
	fmt.Fprintf(w, "\n%s\n", modeHint(st))
}

// modeHint is status's last line: how to turn telemetry off when it is on
// or local, and when it is off, what would turn it back on given the rule
// that decided.
func modeHint(st Status) string {
	p := st.Product
	prefix := gate.EnvPrefix(p)
	if st.Mode != gate.Off.String() {
		return "To opt out: " + strings.Join(st.OptOut, ", or ") + "."
	}
	switch st.Rule {
	case "saved", "saved_all", "consent_required", "default":
		return fmt.Sprintf("To turn it back on: %s telemetry enable (or %s telemetry local to record without sending).", p, p)
	case "product_env", "product_env_invalid":
		return fmt.Sprintf("To turn it back on: unset %s_TELEMETRY or set it to on.", prefix)
	case "do_not_track":
		return "To turn it back on: unset DO_NOT_TRACK, which asks every tool not to track."
	case "opt_out_env":
		return "To turn it back on: unset the environment variable named above."
	case "ci":
		return fmt.Sprintf("It stays off in CI; %s_TELEMETRY=on turns it on there.", prefix)
	case "policy":
		return "This machine's administrator turned it off; it cannot be turned on from here."
	case "run_flag", "config_disabled":
		return fmt.Sprintf("%s itself turned it off for this run.", p)
	}
	return fmt.Sprintf("It is off until the problem above is mended; %s telemetry enable saves the choice to send.", p)
}

// parseTime reads a status time (RFC 3339).
func parseTime(p *string) (time.Time, bool) {
	if p == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, *p)
	return t, err == nil
}

// ratePercent writes a sample rate as a percentage, such as "25%".
func ratePercent(r float64) string {
	return strconv.FormatFloat(r*100, 'f', -1, 64) + "%"
}

package sdk

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/exporter"
	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/milestones"
)

// Command runs the `telemetry` subcommand for a CLI: pass the arguments after
// "telemetry", and exit with the code it returns. It records and sends
// nothing itself; its only writes are the ones the user asked for.
//
//	status [--json]  the mode and the rule that decided it, installation id,
//	                 state dir, endpoint, pending events, milestones, what is collected
//	enable           send anonymous telemetry (saved choice "on")
//	disable          send nothing, and delete events not yet sent
//	local            record events on this machine only, never send them
//	reset            a new installation id; milestones start again
//
// Wiring it into a command tree such as cobra is one line in the command's
// Run: os.Exit(sdk.Command(cfg, args, cmd.OutOrStdout(), cmd.ErrOrStderr())).
func Command(cfg Config, args []string, stdout, stderr io.Writer) int {
	return command(cfg, osHost(), args, stdout, stderr)
}

func command(cfg Config, h host, args []string, stdout, stderr io.Writer) int {
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, h: h}
	c.resolve()
	sub, jsonOut := "status", false
	var rest []string
	for _, a := range args {
		switch a {
		case "--json", "-json":
			jsonOut = true
		case "-h", "--help", "help":
			commandUsage(stdout, cfg.Product)
			return 0
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) > 1 {
		commandUsage(stderr, cfg.Product)
		return 2
	}
	if len(rest) == 1 {
		sub = rest[0]
	}
	if sub != "status" && c.dir == "" {
		fmt.Fprintf(stderr, "%s telemetry: no state directory: %s\n", cfg.Product, c.decision.Reason)
		return 1
	}
	store := milestones.New(c.dir, h.now)
	switch sub {
	case "status":
		st := c.status()
		if jsonOut {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			enc.Encode(st)
		} else {
			writeStatus(stdout, st)
		}
		return 0
	case "enable", "disable", "local":
		mode := map[string]string{"enable": "on", "disable": "off", "local": "local"}[sub]
		if err := store.SetMode(mode); err != nil {
			fmt.Fprintf(stderr, "%s telemetry %s: %v\n", cfg.Product, sub, err)
			return 1
		}
		switch sub {
		case "enable":
			fmt.Fprintf(stdout, "%s telemetry is enabled: anonymous usage data will be sent.\n", cfg.Product)
		case "disable":
			if err := exporter.OpenSpool(filepath.Join(c.dir, "spool"), exporter.SpoolOptions{}).Clear(); err != nil {
				fmt.Fprintf(stderr, "%s telemetry disable: could not delete pending events: %v\n", cfg.Product, err)
			}
			fmt.Fprintf(stdout, "%s telemetry is disabled: nothing will be sent, and pending events were deleted.\n", cfg.Product)
		case "local":
			fmt.Fprintf(stdout, "%s telemetry is local: events are recorded in %s and never sent.\n", cfg.Product, filepath.Join(c.dir, "local.jsonl"))
		}
		// A saved choice ranks below the environment; say so when it loses.
		after := &Client{cfg: cfg, h: h}
		after.resolve()
		if after.decision.Rule != "saved" {
			fmt.Fprintf(stdout, "Note: %s telemetry is %s for now because %s.\n", cfg.Product, after.decision.Mode, after.decision.Reason)
		}
		return 0
	case "reset":
		id, err := store.ResetDeviceID()
		if err != nil {
			fmt.Fprintf(stderr, "%s telemetry reset: %v\n", cfg.Product, err)
			return 1
		}
		if err := exporter.OpenSpool(filepath.Join(c.dir, "spool"), exporter.SpoolOptions{}).Clear(); err != nil {
			fmt.Fprintf(stderr, "%s telemetry reset: could not delete pending events: %v\n", cfg.Product, err)
		}
		fmt.Fprintf(stdout, "%s telemetry: new installation id %s; milestones start again.\n", cfg.Product, id)
		return 0
	default:
		commandUsage(stderr, cfg.Product)
		return 2
	}
}

func commandUsage(w io.Writer, product string) {
	fmt.Fprintf(w, "usage: %s telemetry [status [--json] | enable | disable | local | reset]\n", product)
}

// Status is what `telemetry status --json` prints. Every key is always
// present; a key with no value is null.
type Status struct {
	Product     string         `json:"product"`
	Mode        string         `json:"mode"`
	Reason      string         `json:"reason"`
	Rule        string         `json:"rule"`
	DeviceID    *string        `json:"device_id"`
	StateDir    *string        `json:"state_dir"`
	Endpoint    *string        `json:"endpoint"`
	Pending     int            `json:"pending"`
	Milestones  []string       `json:"milestones"`
	LocalEvents *string        `json:"local_events"`
	Delivery    *DeliveryView  `json:"delivery"`
	Warnings    []string       `json:"warnings"`
	Collected   CollectedView  `json:"collected"`
	OptOut      []string       `json:"opt_out"`
	ReachedAt   map[string]any `json:"milestones_reached_at"`
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

// collected is the single description of what is sent; the notice page in
// docs is checked against it.
func collected(server bool) CollectedView {
	res := []string{"service.name", "service.version", "app.installation.id", "os.type", "host.arch",
		"process.runtime.name", "process.runtime.version", "telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version"}
	if server {
		res = append(res, "session.id")
	}
	return CollectedView{
		Resource: res,
		Events: map[string][]string{
			exporter.EventMilestone:   {"milestone.name", "event.id"},
			exporter.EventUsage:       {"event.id"},
			exporter.EventHeartbeat:   {"event.id", "session.start", "session.uptime_s", "heartbeat.interval_s", "api.version"},
			exporter.EventErrorReport: {"event.id", "exception.type", "exception.message", "exception.stacktrace"},
		},
		Metrics: []string{"waymark.milestones", "waymark.heartbeats", "waymark.session.uptime"},
	}
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
		StateDir:   strp(c.dir),
		Endpoint:   strp(c.endpoint),
		Milestones: []string{},
		Warnings:   append([]string{}, c.decision.Warnings...),
		Collected:  collected(c.cfg.Server),
		OptOut:     []string{prefix + "_TELEMETRY=off", c.cfg.Product + " telemetry disable", "DO_NOT_TRACK=1"},
		ReachedAt:  map[string]any{},
	}
	if c.dir == "" {
		return st
	}
	store := milestones.New(c.dir, c.h.now)
	if id, ok := store.PeekDeviceID(); ok {
		st.DeviceID = &id
	}
	rec, err := store.Recorded()
	if err != nil {
		st.Warnings = append(st.Warnings, err.Error())
	}
	for name, at := range rec {
		st.Milestones = append(st.Milestones, name)
		st.ReachedAt[name] = at.UTC().Format(time.RFC3339)
	}
	sort.Strings(st.Milestones)
	if ss, err := exporter.OpenSpool(filepath.Join(c.dir, "spool"), exporter.SpoolOptions{}).Stat(); err == nil {
		st.Pending = ss.Pending
	} else {
		st.Warnings = append(st.Warnings, err.Error())
	}
	local := filepath.Join(c.dir, "local.jsonl")
	if fileExists(local) {
		st.LocalEvents = &local
	}
	ds := exporter.ReadDeliveryState(c.dir)
	if ds != (exporter.DeliveryState{}) {
		st.Delivery = &DeliveryView{
			Delivered: ds.Delivered, Dropped: ds.Dropped, Failures: ds.Failures,
			LastError: strp(ds.LastError), LastSuccess: timep(ds.LastSuccess), NextAttempt: timep(ds.NextAttempt),
		}
	}
	if err := probeWritable(c.dir); err != nil && c.decision.Mode != gate.Off {
		st.Mode = gate.Off.String()
		st.Rule = "state_dir_unwritable"
		st.Reason = fmt.Sprintf("state dir %s is not writable (%v); telemetry is off", c.dir, err)
	}
	return st
}

func writeStatus(w io.Writer, st Status) {
	val := func(p *string) string {
		if p == nil {
			return "(none)"
		}
		return *p
	}
	fmt.Fprintf(w, "%s telemetry: %s\n", st.Product, st.Mode)
	fmt.Fprintf(w, "  why:             %s\n", st.Reason)
	fmt.Fprintf(w, "  installation id: %s\n", val(st.DeviceID))
	fmt.Fprintf(w, "  state dir:       %s\n", val(st.StateDir))
	fmt.Fprintf(w, "  endpoint:        %s\n", val(st.Endpoint))
	fmt.Fprintf(w, "  pending events:  %d\n", st.Pending)
	ms := "(none)"
	if len(st.Milestones) > 0 {
		ms = strings.Join(st.Milestones, ", ")
	}
	fmt.Fprintf(w, "  milestones:      %s\n", ms)
	if st.LocalEvents != nil {
		fmt.Fprintf(w, "  local events:    %s\n", *st.LocalEvents)
	}
	if d := st.Delivery; d != nil {
		fmt.Fprintf(w, "  delivered:       %d events, %d dropped as rejected\n", d.Delivered, d.Dropped)
		if d.LastError != nil {
			fmt.Fprintf(w, "  last error:      %s (%d failures; next try after %s)\n", *d.LastError, d.Failures, val(d.NextAttempt))
		}
	}
	for _, warn := range st.Warnings {
		fmt.Fprintf(w, "  warning:         %s\n", warn)
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
	fmt.Fprintf(w, "\nTo opt out: %s.\n", strings.Join(st.OptOut, ", or "))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

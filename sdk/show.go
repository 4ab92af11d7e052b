package sdk

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/telemetrytext"
)

// showMax bounds how many pending events `telemetry show` lists; the
// ledger holds at most 100 sent ones by itself.
const showMax = 100

// showView is what `telemetry show --json` prints: the events the collector
// last accepted from this machine, oldest first, and those still waiting to
// be sent, in the order they will go. Both lists are always present (empty
// when there is nothing, or no usable state dir); warnings say what could not
// be read.
type showView struct {
	Sent     []export.LedgerEvent `json:"sent"`
	Pending  []export.LedgerEvent `json:"pending"`
	Warnings []string             `json:"warnings"`
}

// cmdShow prints the exact events last sent from this machine and those
// pending, decoded from the bytes that were (or will be) sent. It only
// reads: it creates and changes nothing.
func (c *Client) cmdShow(stdout io.Writer, jsonOut bool) int {
	v := c.show()
	if jsonOut {
		writeJSON(stdout, v)
		return 0
	}
	ledger := ""
	if c.usable() && c.dir != nil && c.dir.Has(statedir.Ledger) {
		ledger = c.ledgerPath()
	}
	metrics := 0
	if c.usable() && c.dir != nil {
		if ss, err := export.OpenSpool(c.dir, export.SpoolOptions{Now: c.h.now}).Stat(); err == nil {
			metrics = ss.ByKind[export.KindMetrics]
		}
	}
	writeShow(stdout, c.cfg.Product, ledger, metrics, c.h.now(), v)
	return 0
}

// show gathers the view without creating or changing any file.
func (c *Client) show() showView {
	v := showView{Sent: []export.LedgerEvent{}, Pending: []export.LedgerEvent{}, Warnings: []string{}}
	if !c.usable() || c.dir == nil {
		return v // nothing is read from a state dir that must not be used
	}
	sent, err := export.ReadLedger(c.dir)
	if err != nil {
		v.Warnings = append(v.Warnings, export.Printable(err.Error(), 300))
	}
	v.Sent = sent
	pending, err := export.OpenSpool(c.dir, export.SpoolOptions{Now: c.h.now}).PendingEvents(showMax)
	if err != nil {
		v.Warnings = append(v.Warnings, export.Printable(err.Error(), 300))
	}
	v.Pending = pending
	return v
}

func (c *Client) ledgerPath() string {
	if c.dir == nil {
		return ""
	}
	return c.dir.PathOf(statedir.Ledger)
}

// writeShow prints the view for a person. ledger is the record of sent
// events when that file exists, else ""; metrics is how many batches of
// metric counts wait beside the pending events.
func writeShow(w io.Writer, product, ledger string, metrics int, now time.Time, v showView) {
	if len(v.Sent) == 0 {
		fmt.Fprintf(w, "Sent: no events from this machine are on record.\n")
	} else {
		fmt.Fprintf(w, "Sent: the last %s the collector accepted from this machine, oldest first:\n",
			telemetrytext.Count(int64(len(v.Sent)), "event", "events"))
		for _, e := range v.Sent {
			writeShowEvent(w, e, now)
		}
	}
	if len(v.Pending) == 0 {
		fmt.Fprintf(w, "\nPending: no events are waiting to be sent.\n")
	} else {
		more := ""
		if len(v.Pending) == showMax {
			more = " (the first " + fmt.Sprint(showMax) + ")"
		}
		fmt.Fprintf(w, "\nPending: %s waiting to be sent%s, oldest first:\n",
			telemetrytext.Count(int64(len(v.Pending)), "event", "events"), more)
		for _, e := range v.Pending {
			writeShowEvent(w, e, now)
		}
	}
	if metrics > 0 {
		fmt.Fprintf(w, "\nAlso waiting: %s of metric counts (how many milestones were reached, heartbeats), not listed here.\n",
			telemetrytext.Count(int64(metrics), "batch", "batches"))
	}
	for _, warn := range v.Warnings {
		fmt.Fprintf(w, "\nwarning: %s\n", oneLine(warn))
	}
	if ledger != "" {
		fmt.Fprintf(w, "\nThe record of sent events is kept on this machine only, in %s, and is never sent.\n", export.Printable(ledger, 500))
	}
	fmt.Fprintf(w, "The same list as JSON: %s telemetry show --json\n", product)
}

func writeShowEvent(w io.Writer, e export.LedgerEvent, now time.Time) {
	fmt.Fprintf(w, "\n  %s  %s\n", printable(e.Event), showTime(e.Time, now))
	if e.SentAt != "" {
		fmt.Fprintf(w, "    sent at:    %s\n", showTime(e.SentAt, now))
	}
	fmt.Fprintf(w, "    attributes: %s\n", showAttrs(e.Attributes))
	fmt.Fprintf(w, "    resource:   %s\n", showAttrs(e.Resource))
}

// showTime renders an event's RFC 3339 time in now's zone; a time that does
// not parse is shown as it is, made printable.
func showTime(raw string, now time.Time) string {
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return printable(raw)
	}
	return telemetrytext.When(t, now)
}

// showAttrs renders attributes as key=value, sorted by key, each value as
// JSON renders it, with anything that could steer a terminal removed.
func showAttrs(m map[string]any) string {
	if len(m) == 0 {
		return "(none)"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		val, ok := m[k].(string)
		if !ok {
			b, _ := json.Marshal(m[k])
			val = string(b)
		}
		parts = append(parts, printable(k)+"="+printable(val))
	}
	return strings.Join(parts, ", ")
}

func printable(s string) string { return export.Printable(s, 1000) }

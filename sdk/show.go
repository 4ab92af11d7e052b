package sdk

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/statedir"
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
	writeShow(stdout, c.cfg.Product, c.ledgerPath(), v)
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

func writeShow(w io.Writer, product, ledger string, v showView) {
	if len(v.Sent) == 0 {
		fmt.Fprintf(w, "Sent: no events from this machine are on record.\n")
	} else {
		fmt.Fprintf(w, "Sent: the last %d events the collector accepted from this machine, oldest first:\n", len(v.Sent))
		for _, e := range v.Sent {
			writeShowEvent(w, e)
		}
	}
	if len(v.Pending) == 0 {
		fmt.Fprintf(w, "\nPending: no events are waiting to be sent.\n")
	} else {
		more := ""
		if len(v.Pending) == showMax {
			more = " (the first " + fmt.Sprint(showMax) + ")"
		}
		fmt.Fprintf(w, "\nPending: %d events waiting to be sent%s, oldest first:\n", len(v.Pending), more)
		for _, e := range v.Pending {
			writeShowEvent(w, e)
		}
	}
	for _, warn := range v.Warnings {
		fmt.Fprintf(w, "\nwarning: %s\n", warn)
	}
	if ledger != "" {
		fmt.Fprintf(w, "\nThis record stays on this machine (%s) and is never sent.\n", export.Printable(ledger, 500))
	}
	fmt.Fprintf(w, "The same list as JSON: %s telemetry show --json\n", product)
}

func writeShowEvent(w io.Writer, e export.LedgerEvent) {
	fmt.Fprintf(w, "\n  %s  %s\n", printable(e.Event), printable(e.Time))
	if e.SentAt != "" {
		fmt.Fprintf(w, "    sent at:    %s\n", printable(e.SentAt))
	}
	fmt.Fprintf(w, "    attributes: %s\n", showAttrs(e.Attributes))
	fmt.Fprintf(w, "    resource:   %s\n", showAttrs(e.Resource))
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

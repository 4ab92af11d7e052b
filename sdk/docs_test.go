package sdk

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/internal/schema"
)

// telemetryPage is the page a vendor publishes for its users.
const telemetryPage = "../docs/telemetry.md"

// TestTelemetryPageMatchesCode keeps docs/telemetry.md true to collected, the
// single description of what Waymark sends: every resource attribute, event
// (with each of its attributes in its own table row) and metric is on the
// page, and the page names no other waymark.* event or metric.
func TestTelemetryPageMatchesCode(t *testing.T) {
	b, err := os.ReadFile(filepath.FromSlash(telemetryPage))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	code := func(s string) string { return "`" + s + "`" }
	c := collected(true)

	for _, attr := range c.Resource {
		if row := tableRow(page, code(attr)); row == "" {
			t.Errorf("resource attribute %s has no table row of its own in %s", attr, telemetryPage)
		}
	}
	events := make([]string, 0, len(c.Events))
	for name := range c.Events {
		events = append(events, name)
	}
	sort.Strings(events)
	for _, name := range events {
		row := tableRow(page, code(name))
		if row == "" {
			t.Errorf("event %s has no table row in %s", name, telemetryPage)
			continue
		}
		for _, attr := range c.Events[name] {
			if !strings.Contains(row, code(attr)) {
				t.Errorf("the row of event %s in %s does not list its attribute %s", name, telemetryPage, attr)
			}
		}
	}
	for _, m := range c.Metrics {
		if row := tableRow(page, code(m)); row == "" {
			t.Errorf("metric %s has no table row in %s", m, telemetryPage)
		}
	}

	known := map[string]bool{}
	for _, name := range events {
		known[name] = true
	}
	for _, m := range c.Metrics {
		known[m] = true
	}
	for _, a := range schema.PerRun {
		known[a.Key] = true
	}
	for _, name := range regexp.MustCompile(`waymark\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*`).FindAllString(page, -1) {
		if !known[name] {
			known[name] = true // report each stranger once
			t.Errorf("%s names %s, which Waymark does not send", telemetryPage, name)
		}
	}
}

// tableRow returns the first Markdown table row whose first cell is cell, or "".
func tableRow(page, cell string) string {
	for _, line := range strings.Split(page, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) > 2 && strings.TrimSpace(cells[0]) == "" && strings.TrimSpace(cells[1]) == cell {
			return line
		}
	}
	return ""
}

// The check itself must be able to fail: a page missing an attribute or
// naming a foreign event is caught.
func TestTelemetryPageCheckCatchesDrift(t *testing.T) {
	page := "| `waymark.usage` | when | `event.id` |\n| `waymark.usage` | dup | x |\n"
	if tableRow(page, "`waymark.usage`") == "" {
		t.Fatal("tableRow misses a row")
	}
	if tableRow(page, "`event.id`") != "" {
		t.Fatal("tableRow matched a cell that is not the first")
	}
	if !regexp.MustCompile(`waymark\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*`).MatchString("see `waymark.session.uptime`") {
		t.Fatal("the name pattern misses a dotted metric name")
	}
}

// Package logsql holds the LogsQL queries that answer a vendor's questions (monthly and daily
// active installs, new installs, the funnel, versions, platforms, live servers, retention and
// error reports) from the events that collector-config/victorialogs.yaml sends to VictoriaLogs,
// and runs them over VictoriaLogs' HTTP query API.
//
// The queries are data: collector-config/README.md shows exactly these texts (a test checks it),
// and `waymark report --victorialogs` may run them. Every query groups by service.name, so one
// query answers for every product at once. Relative time filters (`_time:30d`) are windows
// [now-d, now) ending at the query's evaluation time, which Run passes as the `time` argument;
// day and week buckets are UTC days and UTC weeks starting on Monday.
//
// The package never writes to VictoriaLogs and reads nothing but the responses it asked for.
package logsql

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Query is one vendor question and the LogsQL that answers it.
type Query struct {
	// Name identifies the query, e.g. "installs_30d".
	Name string
	// Question says in words what the query answers, and what one result row holds.
	Question string
	// LogsQL is the query text, as README.md shows it. It may span lines and hold # comments.
	LogsQL string
	// Group lists the fields that identify a result row (service.name first); Values the
	// fields that hold its counts.
	Group, Values []string
}

// queries is the one table; Queries returns a copy so that callers cannot change it.
var queries = []Query{
	{
		Name:     "installs_30d",
		Group:    []string{"service.name"},
		Values:   []string{"installs"},
		Question: "Monthly active installs: distinct installations with any event in the last 30 days, per product.",
		LogsQL:   `_time:30d | stats by (service.name) count_uniq(app.installation.id) as installs`,
	},
	{
		Name:     "installs_1d",
		Group:    []string{"service.name"},
		Values:   []string{"installs"},
		Question: "Daily active installs: distinct installations with any event in the last 24 hours, per product.",
		LogsQL:   `_time:1d | stats by (service.name) count_uniq(app.installation.id) as installs`,
	},
	{
		Name:     "daily",
		Group:    []string{"service.name", "_time"},
		Values:   []string{"installs"},
		Question: "Active installs per UTC day over the last 30 days (the first and last days are partial).",
		LogsQL:   `_time:30d | stats by (service.name, _time:1d) count_uniq(app.installation.id) as installs`,
	},
	{
		Name:     "new_installs",
		Group:    []string{"service.name", "_time"},
		Values:   []string{"installs"},
		Question: "New installs per UTC day: installations whose first event ever falls in the last 30 days, by the day of that event.",
		LogsQL: `* | stats by (service.name, app.installation.id) min(_time) as _time  # first seen, over the whole retention
  | filter _time:30d
  | stats by (service.name, _time:1d) count() as installs`,
	},
	{
		Name:     "funnel",
		Group:    []string{"service.name", "milestone.name"},
		Values:   []string{"installs"},
		Question: "The funnel: of the installations first seen in the last 30 days, how many reached each milestone (by now, in any order).",
		LogsQL: `* | stats by (service.name, app.installation.id) min(_time) as _time, uniq_values(milestone.name) as milestone.name
  | filter _time:30d                 # first seen in the window
  | unroll by (milestone.name)
  | filter milestone.name:*          # installs that reached none
  | stats by (service.name, milestone.name) count() as installs`,
	},
	{
		Name:     "versions",
		Group:    []string{"service.name", "service.version"},
		Values:   []string{"installs"},
		Question: "Versions in use: installations active in the last 30 days, by the version their latest event carried.",
		LogsQL: `_time:30d
  | stats by (service.name, app.installation.id) field_max(_time, service.version) as service.version
  | stats by (service.name, service.version) count() as installs`,
	},
	{
		Name:     "version_adoption",
		Group:    []string{"service.name", "_time", "service.version"},
		Values:   []string{"installs"},
		Question: "Versions over time: per UTC day of the last 30 days, the installations active that day by the version of their latest event that day.",
		LogsQL: `_time:30d
  | stats by (service.name, _time:1d, app.installation.id) field_max(_time, service.version) as service.version
  | stats by (service.name, _time, service.version) count() as installs`,
	},
	{
		Name:     "platforms",
		Group:    []string{"service.name", "os.type", "host.arch"},
		Values:   []string{"installs"},
		Question: "Platforms: installations active in the last 30 days, by OS and architecture of their latest event.",
		LogsQL: `_time:30d
  | stats by (service.name, app.installation.id) field_max(_time, os.type) as os.type, field_max(_time, host.arch) as host.arch
  | stats by (service.name, os.type, host.arch) count() as installs`,
	},
	{
		Name:     "servers_live",
		Group:    []string{"service.name"},
		Values:   []string{"sessions"},
		Question: "Live servers: sessions whose last heartbeat is within two of its heartbeat.interval_s (600 if absent, capped at one day) of now.",
		LogsQL: `_time:2d event_name:=waymark.heartbeat  # two capped intervals at most
  | stats by (service.name, session.id) max(_time) as last_beat, field_max(_time, heartbeat.interval_s) as interval_s
  | math last_beat + 2e9 * min(interval_s default 600, 86400) - 4 * 86400e9 as expiry_4d_early
  # live when the expiry is not before now; LogsQL's math has no "now" of the query time, so
  # shift the expiry 4 days back and keep it if it falls in the last 4 days
  | format "<time:expiry_4d_early>" as _time
  | filter _time:4d
  | stats by (service.name) count() as sessions`,
	},
	{
		Name:     "retention",
		Group:    []string{"service.name", "cohort", "week"},
		Values:   []string{"installs"},
		Question: "Weekly retention: installations first seen in the last 12 weeks, by the week they were first seen (cohort) and the weeks since (0 is the cohort's size), counting those active in that week.",
		LogsQL: `_time:12w
  | stats by (service.name, app.installation.id, _time:1w offset 3d) count() as events  # weeks start on Monday
  | join by (service.name, app.installation.id) (
      * | stats by (service.name, app.installation.id) min(_time) as _time
        | filter _time:12w
        | stats by (service.name, app.installation.id, _time:1w offset 3d) count() as first_events
        | rename _time as cohort
    ) inner
  | math (_time - cohort) / 604800e9 as week
  | stats by (service.name, cohort, week) count() as installs`,
	},
	{
		Name:     "errors",
		Group:    []string{"service.name", "exception.type", "exception.message"},
		Values:   []string{"reports", "installs"},
		Question: "Error reports of the last 30 days grouped by exception type and message: reports (distinct event.id) and installations.",
		LogsQL: `_time:30d event_name:=waymark.error_report
  | stats by (service.name, exception.type, exception.message) count_uniq(event.id) as reports, count_uniq(app.installation.id) as installs
  | sort by (reports desc)`,
	},
}

// Queries returns every query, in the order README.md shows them.
func Queries() []Query {
	return append([]Query(nil), queries...)
}

// Get returns the query named name, and whether there is one.
func Get(name string) (Query, bool) {
	for _, q := range queries {
		if q.Name == name {
			return q, true
		}
	}
	return Query{}, false
}

// Row is one result row: field name to value, as VictoriaLogs returns it (numbers and times
// are strings).
type Row map[string]string

// MaxResponse bounds the response Run reads, in bytes.
const MaxResponse = 64 << 20

// Run evaluates query at now on the VictoriaLogs at base (a single node, or the select front of
// a cluster), e.g. "http://127.0.0.1:9428", and returns the result rows in the order received.
// It uses /select/logsql/query with the `time` argument set to now.
func Run(ctx context.Context, c *http.Client, base, query string, now time.Time) ([]Row, error) {
	form := url.Values{"query": {query}, "time": {now.UTC().Format(time.RFC3339Nano)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/select/logsql/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("logsql: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("logsql: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("logsql: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	rows, err := ParseRows(io.LimitReader(resp.Body, MaxResponse+1))
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// ErrTooLarge says that a response exceeded MaxResponse.
var ErrTooLarge = errors.New("logsql: response larger than MaxResponse")

// ParseRows decodes VictoriaLogs' query response: one JSON object of string values per line.
// Blank lines are skipped; anything else is an error. It reads at most MaxResponse bytes.
func ParseRows(r io.Reader) ([]Row, error) {
	return parseRows(r, MaxResponse)
}

// parseRows is ParseRows with a limit of max bytes.
func parseRows(r io.Reader, max int) ([]Row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, max)), max)
	var rows []Row
	n := 0
	for sc.Scan() {
		line := sc.Bytes()
		n += len(line) + 1
		if n > max {
			return nil, ErrTooLarge
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var row Row
		if err := json.Unmarshal(line, &row); err != nil {
			return nil, fmt.Errorf("logsql: row %d: %w", len(rows)+1, err)
		}
		if row == nil {
			return nil, fmt.Errorf("logsql: row %d is not an object", len(rows)+1)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, ErrTooLarge
		}
		return nil, fmt.Errorf("logsql: read: %w", err)
	}
	return rows, nil
}

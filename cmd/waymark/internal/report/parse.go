package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Waymark's event names (SPEC §5).
const (
	EventMilestone   = "waymark.milestone"
	EventUsage       = "waymark.usage"
	EventHeartbeat   = "waymark.heartbeat"
	EventErrorReport = "waymark.error_report"
)

// Event is one Waymark event as the report needs it: a log record flattened together with the
// resource attributes of the install that sent it.
type Event struct {
	Name           string    // event name, one of the Event* constants
	Time           time.Time // the record's time, or its observed time when it has none
	EventID        string    // event.id; empty if the record has none
	Product        string    // service.name
	InstallationID string    // app.installation.id
	SessionID      string    // session.id (servers)
	Version        string    // service.version
	OS             string    // os.type
	Arch           string    // host.arch
	Milestone      string    // milestone.name (milestones)
	// HeartbeatInterval is heartbeat.interval_s (heartbeats); zero if absent or invalid.
	HeartbeatInterval time.Duration
}

// Line is what one stored line held.
type Line struct {
	Events []Event
	// Skipped counts log records that were not usable as Waymark events, by reason.
	Skipped map[string]int
	// Metrics is true when the line held metrics (which the report does not count).
	Metrics bool
}

// errNotOTLP is returned for a JSON object that is no OTLP export request.
var errNotOTLP = errors.New("report: not an OTLP JSON export request")

// The OTLP JSON shapes (lowerCamelCase field names, as the collector's file exporter writes them).
type exportRequest struct {
	ResourceLogs     []resourceLogs    `json:"resourceLogs"`
	ResourceMetrics  []json.RawMessage `json:"resourceMetrics"`
	ResourceSpans    []json.RawMessage `json:"resourceSpans"`
	ResourceProfiles []json.RawMessage `json:"resourceProfiles"`
}

type resourceLogs struct {
	Resource struct {
		Attributes []keyValue `json:"attributes"`
	} `json:"resource"`
	ScopeLogs []struct {
		LogRecords []logRecord `json:"logRecords"`
	} `json:"scopeLogs"`
}

type logRecord struct {
	TimeUnixNano         json.RawMessage `json:"timeUnixNano"`
	ObservedTimeUnixNano json.RawMessage `json:"observedTimeUnixNano"`
	EventName            string          `json:"eventName"`
	Attributes           []keyValue      `json:"attributes"`
}

type keyValue struct {
	Key   string   `json:"key"`
	Value anyValue `json:"value"`
}

// anyValue keeps the scalar kinds Waymark sends. int64 values arrive as JSON strings (the
// protobuf JSON mapping) or, from other writers, as numbers; both are accepted.
type anyValue struct {
	StringValue *string         `json:"stringValue"`
	IntValue    json.RawMessage `json:"intValue"`
	DoubleValue json.RawMessage `json:"doubleValue"`
	BoolValue   *bool           `json:"boolValue"`
}

// ParseLine decodes one line of the collector's OTLP JSON output. Blank lines yield an empty
// Line. A line that is not a JSON object, or not an OTLP export request, is an error; log
// records that are not Waymark events, or lack the installation id or any timestamp, are left
// out and counted in Line.Skipped.
func ParseLine(b []byte) (Line, error) {
	var out Line
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return out, nil
	}
	if b[0] != '{' {
		return out, errors.New("report: not a JSON object")
	}
	var req exportRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return out, fmt.Errorf("report: bad JSON: %w", shortJSONError(err))
	}
	if req.ResourceLogs == nil && req.ResourceMetrics == nil && req.ResourceSpans == nil && req.ResourceProfiles == nil {
		return out, errNotOTLP
	}
	out.Metrics = req.ResourceMetrics != nil
	for i := range req.ResourceLogs {
		rl := &req.ResourceLogs[i]
		var res Event
		for _, kv := range rl.Resource.Attributes {
			s, ok := kv.Value.str()
			if !ok {
				continue
			}
			switch kv.Key {
			case "service.name":
				res.Product = s
			case "service.version":
				res.Version = s
			case "app.installation.id":
				res.InstallationID = s
			case "session.id":
				res.SessionID = s
			case "os.type":
				res.OS = s
			case "host.arch":
				res.Arch = s
			}
		}
		for _, sl := range rl.ScopeLogs {
			for j := range sl.LogRecords {
				ev, reason := toEvent(res, &sl.LogRecords[j])
				if reason != "" {
					if out.Skipped == nil {
						out.Skipped = make(map[string]int)
					}
					out.Skipped[reason]++
					continue
				}
				out.Events = append(out.Events, ev)
			}
		}
	}
	return out, nil
}

// toEvent completes the resource's event with the record, or says why the record is unusable.
func toEvent(ev Event, r *logRecord) (Event, string) {
	switch r.EventName {
	case EventMilestone, EventUsage, EventHeartbeat, EventErrorReport:
		ev.Name = r.EventName
	default:
		return ev, "not a Waymark event"
	}
	if ev.InstallationID == "" {
		return ev, "no app.installation.id"
	}
	t, ok := unixNano(r.TimeUnixNano)
	if !ok {
		t, ok = unixNano(r.ObservedTimeUnixNano)
	}
	if !ok {
		return ev, "no timestamp"
	}
	ev.Time = t
	for _, kv := range r.Attributes {
		switch kv.Key {
		case "event.id":
			ev.EventID, _ = kv.Value.str()
		case "milestone.name":
			ev.Milestone, _ = kv.Value.str()
		case "heartbeat.interval_s":
			if f, ok := kv.Value.num(); ok && f > 0 && f < 1e9 {
				ev.HeartbeatInterval = time.Duration(f * float64(time.Second))
			}
		}
	}
	if ev.Name == EventMilestone && ev.Milestone == "" {
		return ev, "milestone without milestone.name"
	}
	return ev, ""
}

// unixNano reads a fixed64 nanosecond timestamp, a JSON string or number; zero means unset.
func unixNano(raw json.RawMessage) (time.Time, bool) {
	s := strings.Trim(string(raw), `"`)
	if s == "" || s == "null" {
		return time.Time{}, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 || n > math.MaxInt64 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(n)).UTC(), true
}

func (v anyValue) str() (string, bool) {
	if v.StringValue == nil {
		return "", false
	}
	return *v.StringValue, true
}

// num reads an int or double value, or a string holding a number.
func (v anyValue) num() (float64, bool) {
	for _, raw := range []json.RawMessage{v.IntValue, v.DoubleValue} {
		if len(raw) == 0 {
			continue
		}
		f, err := strconv.ParseFloat(strings.Trim(string(raw), `"`), 64)
		if err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	}
	if v.StringValue != nil {
		f, err := strconv.ParseFloat(*v.StringValue, 64)
		if err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	}
	return 0, false
}

// shortJSONError keeps decoder errors to one readable line.
func shortJSONError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s at byte %d", se.Error(), se.Offset)
	}
	return err
}

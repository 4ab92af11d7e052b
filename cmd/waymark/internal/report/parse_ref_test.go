package report

// This file keeps the report's former decoder, built on encoding/json, as a reference for the
// differential fuzz test of the scanner: what it reads from valid input, the scanner must read.

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

// Waymark's event names, as the reference parser names them.
const (
	refMilestone   = "waymark.milestone"
	refUsage       = "waymark.usage"
	refHeartbeat   = "waymark.heartbeat"
	refErrorReport = "waymark.error_report"
)

// Event is one Waymark event as the report needs it: a log record flattened together with the
// resource attributes of the install that sent it.
type refEvent struct {
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
type refLine struct {
	Events []refEvent
	// LeftOut counts log records that were not usable as Waymark events, by reason.
	LeftOut map[string]int
	// Metrics is true when the line held metrics (which the report does not count).
	Metrics bool
}

// errRefNotOTLP is returned for a JSON object that is no OTLP export request.

// The OTLP JSON shapes (lowerCamelCase field names, as the collector's file exporter writes them).
type refExportRequest struct {
	ResourceLogs     []refResourceLogs `json:"resourceLogs"`
	ResourceMetrics  []json.RawMessage `json:"resourceMetrics"`
	ResourceSpans    []json.RawMessage `json:"resourceSpans"`
	ResourceProfiles []json.RawMessage `json:"resourceProfiles"`
}

type refResourceLogs struct {
	Resource struct {
		Attributes []refKeyValue `json:"attributes"`
	} `json:"resource"`
	ScopeLogs []struct {
		LogRecords []refLogRecord `json:"logRecords"`
	} `json:"scopeLogs"`
}

type refLogRecord struct {
	TimeUnixNano         json.RawMessage `json:"timeUnixNano"`
	ObservedTimeUnixNano json.RawMessage `json:"observedTimeUnixNano"`
	EventName            string          `json:"eventName"`
	Attributes           []refKeyValue   `json:"attributes"`
}

type refKeyValue struct {
	Key   string      `json:"key"`
	Value refAnyValue `json:"value"`
}

// refAnyValue keeps the scalar kinds Waymark sends. int64 values arrive as JSON strings (the
// protobuf JSON mapping) or, from other writers, as numbers; both are accepted.
type refAnyValue struct {
	StringValue *string         `json:"stringValue"`
	IntValue    json.RawMessage `json:"intValue"`
	DoubleValue json.RawMessage `json:"doubleValue"`
	BoolValue   *bool           `json:"boolValue"`
}

// ParseLine decodes one line of the collector's OTLP JSON output. Blank lines yield an empty
// Line. A line that is not a JSON object, or not an OTLP export request, is an error; log
// records that are not Waymark events, or lack the installation id or any timestamp, are left
// out and counted in Line.LeftOut.
func refParseLine(b []byte) (refLine, error) {
	var out refLine
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return out, nil
	}
	if b[0] != '{' {
		return out, errors.New("report: not a JSON object")
	}
	var req refExportRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return out, fmt.Errorf("report: bad JSON: %w", refShortJSONError(err))
	}
	if req.ResourceLogs == nil && req.ResourceMetrics == nil && req.ResourceSpans == nil && req.ResourceProfiles == nil {
		return out, errors.New("not OTLP")
	}
	out.Metrics = req.ResourceMetrics != nil
	for i := range req.ResourceLogs {
		rl := &req.ResourceLogs[i]
		var res refEvent
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
				ev, reason := refToEvent(res, &sl.LogRecords[j])
				if reason != "" {
					if out.LeftOut == nil {
						out.LeftOut = make(map[string]int)
					}
					out.LeftOut[reason]++
					continue
				}
				out.Events = append(out.Events, ev)
			}
		}
	}
	return out, nil
}

// toEvent completes the resource's event with the record, or says why the record is unusable.
func refToEvent(ev refEvent, r *refLogRecord) (refEvent, string) {
	switch r.EventName {
	case refMilestone, refUsage, refHeartbeat, refErrorReport:
		ev.Name = r.EventName
	default:
		return ev, "not a Waymark event"
	}
	if ev.InstallationID == "" {
		return ev, "no app.installation.id"
	}
	t, ok := refUnixNano(r.TimeUnixNano)
	if !ok {
		t, ok = refUnixNano(r.ObservedTimeUnixNano)
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
	if ev.Name == refMilestone && ev.Milestone == "" {
		return ev, "milestone without milestone.name"
	}
	return ev, ""
}

// unixNano reads a fixed64 nanosecond timestamp, a JSON string or number; zero means unset.
func refUnixNano(raw json.RawMessage) (time.Time, bool) {
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

func (v refAnyValue) str() (string, bool) {
	if v.StringValue == nil {
		return "", false
	}
	return *v.StringValue, true
}

// num reads an int or double value, or a string holding a number.
func (v refAnyValue) num() (float64, bool) {
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
func refShortJSONError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s at byte %d", se.Error(), se.Offset)
	}
	return err
}

package exporter

import (
	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/statedir"
)

// ScopeName is the instrumentation scope of every event and metric Waymark
// sends; the collector drops any other.
const ScopeName = schema.Scope

// The event names Waymark sends. Nothing else is ever sent.
const (
	EventMilestone   = schema.EventMilestone
	EventUsage       = schema.EventUsage
	EventHeartbeat   = schema.EventHeartbeat
	EventErrorReport = schema.EventErrorReport
	EventErasure     = schema.EventErasure
)

// The attributes any event of a run may carry besides its own: the AI coding
// agent that made the run, and the sample rate of a product that samples its
// installs.
const (
	AttrAgent      = schema.AttrAgent
	AttrSampleRate = schema.AttrSampleRate
)

// CheckEndpoint reports whether raw can be an OTLP/HTTP endpoint for
// Waymark: an absolute https URL with a host, no credentials, query or
// fragment; plain http only to a loopback host (127.0.0.0/8, ::1,
// localhost) unless allowInsecure is set. The error says what is wrong.
func CheckEndpoint(raw string, allowInsecure bool) error {
	_, err := export.CheckEndpoint(raw, allowInsecure)
	return err
}

// Pending returns how many events in stateDir's spool wait for delivery, the
// number `telemetry status` and `telemetry show` give (batches of metric
// counts waiting beside them are not events and are not counted). It reads
// entry names only and never creates, changes or removes anything.
func Pending(stateDir string) (int, error) {
	st, err := export.OpenSpool(statedir.New(stateDir), export.SpoolOptions{}).Stat()
	return st.Events(), err
}

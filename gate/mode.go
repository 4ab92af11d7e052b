package gate

import (
	"strconv"
	"strings"
)

// Mode is what telemetry does in this process.
type Mode uint8

const (
	// Off records nothing, creates no files, starts no goroutines and
	// sends nothing. It is the zero value, so a zero Decision is safe.
	Off Mode = iota
	// On records events and sends them.
	On
	// Local records events to the local event log and never sends them.
	Local
	// Debug prints each event as it would be sent and records and sends
	// nothing.
	Debug
)

// String returns "off", "on", "local" or "debug", the words a user types
// in <PREFIX>_TELEMETRY; an out-of-range value prints as "Mode(N)".
func (m Mode) String() string {
	switch m {
	case Off:
		return "off"
	case On:
		return "on"
	case Local:
		return "local"
	case Debug:
		return "debug"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseSavedMode parses the contents of the mode file written by
// `<product> telemetry enable|disable|local`. It accepts "on", "off" and
// "local", ignoring surrounding white space and letter case, and reports
// false for anything else, including "debug": a dry run is chosen per
// process with the environment variable, never saved.
func ParseSavedMode(s string) (Mode, bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.EqualFold(s, "on"):
		return On, true
	case strings.EqualFold(s, "off"):
		return Off, true
	case strings.EqualFold(s, "local"):
		return Local, true
	}
	return Off, false
}

package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"time"

	"github.com/waymarkhq/waymark/internal/jsonx"
	"github.com/waymarkhq/waymark/internal/otlpwire"
	"github.com/waymarkhq/waymark/internal/statedir"
)

// The ledger (statedir.Ledger, "sent.jsonl") is the local record of the
// events the collector accepted from this machine, so that `telemetry show`
// lists exactly what was sent, decoded from the very bytes that went out.
// Only the uploader writes it, under the upload lock, right after a logs
// batch was accepted; it is never sent anywhere. Metrics are not listed.
//
// It holds one JSON object per line, oldest first, and stays small: when an
// append would pass ledgerMaxEvents events or ledgerMaxBytes bytes, the file
// is rewritten atomically with only the newest half of either bound.

const (
	ledgerMaxEvents = 100
	ledgerMaxBytes  = 64 << 10
	// defaultShowMax is how many pending events PendingEvents lists when
	// the caller asks for no particular number.
	defaultShowMax = 100
)

// LedgerEvent is one event as `telemetry show` lists it, decoded from the
// OTLP payload that was (or will be) sent: its name, its time (RFC 3339, UTC),
// its attributes (event.id included) and the resource it was sent with.
// SentAt, set for events of the ledger only, is when the collector accepted
// it. Values are strings, booleans and numbers (a NaN or infinite double is
// shown as the string "NaN", "+Inf" or "-Inf").
type LedgerEvent struct {
	SentAt     string         `json:"sent_at,omitempty"`
	Event      string         `json:"event"`
	Time       string         `json:"time"`
	Attributes map[string]any `json:"attributes"`
	Resource   map[string]any `json:"resource"`
}

// eventsOf decodes one or several concatenated LogsData payloads into
// events, each with its own resource.
func eventsOf(payload []byte) ([]LedgerEvent, error) {
	ld, err := otlpwire.DecodeLogsData(payload)
	if err != nil {
		return nil, err
	}
	var out []LedgerEvent
	for _, rl := range ld.ResourceLogs {
		for _, sl := range rl.ScopeLogs {
			for _, lr := range sl.LogRecords {
				t := lr.TimeUnixNano
				if t == 0 {
					t = lr.ObservedTimeUnixNano
				}
				out = append(out, LedgerEvent{
					Event:      lr.EventName,
					Time:       formatNano(t),
					Attributes: jsonMap(lr.Attributes),
					Resource:   jsonMap(rl.Resource),
				})
			}
		}
	}
	return out, nil
}

// formatNano renders nanoseconds since the epoch; 0 (unset) is "".
func formatNano(n uint64) string {
	if n == 0 || n > math.MaxInt64 {
		return ""
	}
	return time.Unix(0, int64(n)).UTC().Format(time.RFC3339Nano)
}

// jsonMap turns decoded attributes into a JSON object; of two attributes
// with the same key the later wins, as OTLP receivers treat them.
func jsonMap(kvs []otlpwire.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = jsonValue(kv.Value)
	}
	return m
}

func jsonValue(v any) any {
	switch x := v.(type) {
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "+Inf"
		case math.IsInf(x, -1):
			return "-Inf"
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case []otlpwire.KeyValue:
		return jsonMap(x)
	}
	return v // string, bool, int64, []byte (base64 in JSON), nil
}

// recordSent appends the events of an accepted logs batch to the ledger.
// The caller holds the upload lock and ignores the error: the ledger is a
// courtesy to the user and never fails a delivery.
func recordSent(d *statedir.Dir, batch []spoolEntry, at time.Time) error {
	sentAt := at.UTC().Format(time.RFC3339)
	var evs []LedgerEvent
	for _, e := range batch {
		got, err := eventsOf(e.payload)
		if err != nil {
			continue // cannot happen for what Waymark spooled; skip rather than lie
		}
		for i := range got {
			got[i].SentAt = sentAt
		}
		evs = append(evs, got...)
	}
	return appendLedger(d, evs)
}

// appendLedger adds evs at the end of the ledger, keeping it within its
// bounds. An event whose line alone takes more than half the byte bound is
// left out.
func appendLedger(d *statedir.Dir, evs []LedgerEvent) error {
	var add []byte
	n := 0
	for _, e := range evs {
		line, err := json.Marshal(e)
		if err != nil || len(line)+1 > ledgerMaxBytes/2 {
			continue
		}
		add = append(append(add, line...), '\n')
		n++
	}
	if n == 0 {
		return nil
	}
	old, err := d.ReadFile(statedir.Ledger, ledgerMaxBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case errors.Is(err, statedir.ErrTooLarge):
		// Not a ledger Waymark wrote: start a new one.
		return d.WriteFile(statedir.Ledger, trimLedger(add))
	case err != nil:
		return fmt.Errorf("export: ledger: %w", err) // a link or foreign file: left alone
	}
	complete := len(old) == 0 || old[len(old)-1] == '\n'
	if complete && bytes.Count(old, []byte{'\n'})+n <= ledgerMaxEvents && len(old)+len(add) <= ledgerMaxBytes {
		if err := d.Append(statedir.Ledger, add, ledgerMaxBytes); err != nil {
			return fmt.Errorf("export: ledger: %w", err)
		}
		return nil
	}
	all := append([]byte{}, old...)
	if !complete {
		all = append(all, '\n') // a torn last line stays apart from the new ones
	}
	if err := d.WriteFile(statedir.Ledger, trimLedger(append(all, add...))); err != nil {
		return fmt.Errorf("export: ledger: %w", err)
	}
	return nil
}

// trimLedger keeps the newest lines of b that are JSON objects, at most
// half of each bound, oldest first.
func trimLedger(b []byte) []byte {
	lines := bytes.Split(b, []byte{'\n'})
	var kept [][]byte
	size := 0
	for i := len(lines) - 1; i >= 0 && len(kept) < ledgerMaxEvents/2; i-- {
		l := lines[i]
		if len(l) == 0 || l[0] != '{' || !jsonx.Valid(l) {
			continue
		}
		if size+len(l)+1 > ledgerMaxBytes/2 {
			break
		}
		kept = append(kept, l)
		size += len(l) + 1
	}
	out := make([]byte, 0, size)
	for i := len(kept) - 1; i >= 0; i-- {
		out = append(append(out, kept[i]...), '\n')
	}
	return out
}

// ReadLedger returns the events of the ledger, oldest first: at most the
// last 100 the collector accepted from this state dir. A missing ledger is
// empty; a line that is not an event is skipped. It never creates or
// changes anything.
func ReadLedger(d *statedir.Dir) ([]LedgerEvent, error) {
	b, err := d.ReadFile(statedir.Ledger, ledgerMaxBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return []LedgerEvent{}, nil
	}
	if err != nil {
		return []LedgerEvent{}, fmt.Errorf("export: ledger: %w", err)
	}
	out := []LedgerEvent{}
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var e LedgerEvent
		// Numbers come back as json.Number: integers keep every digit.
		if jsonx.Unmarshal(line, &e) != nil || e.Event == "" {
			continue
		}
		if e.Attributes == nil {
			e.Attributes = map[string]any{}
		}
		if e.Resource == nil {
			e.Resource = map[string]any{}
		}
		out = append(out, e)
	}
	if len(out) > ledgerMaxEvents {
		out = out[len(out)-ledgerMaxEvents:]
	}
	return out, nil
}

// PendingEvents returns up to max events (100 when max <= 0) waiting in the
// spool, oldest first, decoded from the payloads that will be sent. Metric
// deltas are not listed. It only reads: nothing is created or removed, and
// an entry that cannot be read or decoded, which will never be sent, is
// passed over, with an error that says how many were; at most 2*max+16
// entries are read.
func (s *Spool) PendingEvents(max int) ([]LedgerEvent, error) {
	if max <= 0 {
		max = defaultShowMax
	}
	out := []LedgerEvent{}
	refs, _, err := s.scan(s.now())
	if err != nil {
		return out, fmt.Errorf("export: spool: %w", err)
	}
	reads, damaged := 0, 0
	for _, r := range refs {
		if len(out) >= max || reads >= 2*max+16 {
			break
		}
		if r.sig != Logs {
			continue
		}
		reads++
		kind, sig, payload, err := s.read(r)
		if err != nil || kind != r.kind || sig != r.sig {
			damaged++
			continue
		}
		evs, err := eventsOf(payload)
		if err != nil {
			damaged++
			continue
		}
		out = append(out, evs...)
	}
	if len(out) > max {
		out = out[:max]
	}
	if damaged > 0 {
		// Counted as pending by Stat (from the names), so a reader
		// comparing the two learns why they differ.
		what := "1 pending entry cannot be read; it is"
		if damaged > 1 {
			what = fmt.Sprintf("%d pending entries cannot be read; they are", damaged)
		}
		return out, fmt.Errorf("export: spool: %s not listed and will never be sent (the next upload deletes them)", what)
	}
	return out, nil
}

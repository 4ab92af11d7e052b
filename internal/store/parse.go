package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/jsonx"
	"github.com/waymarkhq/waymark/internal/uuidx"
)

// Size limits for the files this package reads. Anything larger is garbage:
// a real file is far smaller, and a bound keeps a corrupt file from costing
// the host program memory or time.
const (
	maxSmallFile      = 256      // device_id, mode, ticket-*, notice_shown
	maxMilestonesFile = 64 << 10 // milestones.json
)

// parseDeviceID returns the installation id held in a device_id file: one
// canonical UUID, surrounding white space ignored, returned in lower case.
func parseDeviceID(data []byte) (string, error) {
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "", errors.New("empty")
	}
	if !uuidx.Valid(s) {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return "", fmt.Errorf("%q is not a UUID", s)
	}
	return strings.ToLower(s), nil
}

// formatDeviceID is the content of a device_id file.
func formatDeviceID(id string) []byte {
	return []byte(id + "\n")
}

// parseTicket returns the time held in a ticket-* file: one RFC 3339 time,
// surrounding white space ignored.
func parseTicket(data []byte) (time.Time, error) {
	s := strings.TrimSpace(string(data))
	t, err := parseTime(s)
	if err != nil {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
	}
	return t, nil
}

// parseTime parses an RFC 3339 time that formatTime can write back: one
// whose UTC year has four digits. A time that fails this could not survive a
// rewrite, so it is as unreadable as garbage.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, err
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("year %d out of range", y)
	}
	return t, nil
}

// formatTime is how every time in the state dir is written: RFC 3339 in UTC,
// to the second.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// record is the content of milestones.json.
type record struct {
	// installationID is the device id the milestones belong to, lower case.
	installationID string
	// at maps a reached milestone to when it was recorded. A milestone whose
	// time could not be read is present with the zero time: it was reached,
	// and must not be counted again.
	at map[string]time.Time
	// unreadable lists, sorted, the milestones whose time could not be read.
	unreadable []string
}

// fileRecord is the JSON shape of milestones.json.
type fileRecord struct {
	InstallationID string                     `json:"installation_id"`
	Milestones     map[string]json.RawMessage `json:"milestones"`
}

// parseMilestones decodes milestones.json. It fails when the file as a whole
// cannot be trusted (not JSON, not an object, no valid installation id, a
// milestones member that is not an object). A milestone whose time is
// unreadable is kept, listed in unreadable, and does not fail the parse.
func parseMilestones(data []byte) (record, error) {
	var f fileRecord
	if err := jsonx.Unmarshal(data, &f); err != nil {
		return record{}, fmt.Errorf("not a milestones object: %w", err)
	}
	if !uuidx.Valid(f.InstallationID) {
		return record{}, fmt.Errorf("installation_id %q is not a UUID", f.InstallationID)
	}
	r := record{installationID: strings.ToLower(f.InstallationID), at: make(map[string]time.Time, len(f.Milestones))}
	for name, raw := range f.Milestones {
		var s string
		var t time.Time
		err := jsonx.Unmarshal(raw, &s)
		if err == nil {
			t, err = parseTime(s)
		}
		if err != nil {
			r.unreadable = append(r.unreadable, name)
			t = time.Time{}
		}
		r.at[name] = t
	}
	sort.Strings(r.unreadable)
	return r, nil
}

// formatMilestones encodes r as milestones.json. Keys come out sorted, so
// the same record always gives the same bytes. It is written by hand
// (jsonx): encoding/json's first use would cost a first run more than the
// rest of the write.
func formatMilestones(r record) ([]byte, error) {
	names := make([]string, 0, len(r.at))
	for name := range r.at {
		names = append(names, name)
	}
	sort.Strings(names)
	b := make([]byte, 0, 64+48*len(names))
	b = append(b, `{"installation_id":`...)
	b = jsonx.AppendString(b, r.installationID)
	b = append(b, `,"milestones":{`...)
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonx.AppendString(b, name)
		b = append(b, ':')
		b = jsonx.AppendString(b, formatTime(r.at[name]))
	}
	return append(b, "}}\n"...), nil
}

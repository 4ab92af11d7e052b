package store

import (
	"bytes"
	"sort"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/internal/uuidx"
)

func FuzzParseMilestones(f *testing.F) {
	const id = "0b4e3c1a-8f2d-4c6e-9a1b-2d3e4f5a6b7c"
	f.Add([]byte(`{"installation_id":"` + id + `","milestones":{"first_run":"2026-11-23T10:00:00Z"}}`))
	f.Add([]byte(`{"installation_id":"` + strings.ToUpper(id) + `","milestones":{"a":"2026-11-23T10:00:00.5+02:00","b":7,"c":"yesterday"}}`))
	f.Add([]byte(`{"installation_id":"` + id + `","milestones":{"x":"9999-12-31T23:00:00-02:00"}}`))
	f.Add([]byte(`{"installation_id":"` + id + `"}`))
	f.Add([]byte(`{"installation_id":"` + id + `","milestones":null}`))
	f.Add([]byte(`{"installation_id":"` + id))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseMilestones(data)
		if err != nil {
			return
		}
		if !uuidx.Valid(r.installationID) || r.installationID != strings.ToLower(r.installationID) {
			t.Fatalf("installation id %q not canonical lower case", r.installationID)
		}
		if !sort.StringsAreSorted(r.unreadable) {
			t.Fatalf("unreadable not sorted: %q", r.unreadable)
		}
		for _, name := range r.unreadable {
			if _, ok := r.at[name]; !ok {
				t.Fatalf("unreadable %q dropped", name)
			}
		}
		// What we write back must read back as the same record, with every
		// time now readable, and writing it again must give the same bytes.
		out, err := formatMilestones(r)
		if err != nil {
			t.Fatalf("format: %v", err)
		}
		r2, err := parseMilestones(out)
		if err != nil {
			t.Fatalf("reparse %s: %v", out, err)
		}
		if r2.installationID != r.installationID || len(r2.at) != len(r.at) || len(r2.unreadable) != 0 {
			t.Fatalf("round trip changed %+v into %+v", r, r2)
		}
		for name, at := range r.at {
			at2, ok := r2.at[name]
			if !ok || formatTime(at2) != formatTime(at) {
				t.Fatalf("milestone %q: %v became %v (present %v)", name, at, at2, ok)
			}
		}
		out2, err := formatMilestones(r2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("not idempotent:\n%s\n%s (%v)", out, out2, err)
		}
	})
}

func FuzzParseDeviceID(f *testing.F) {
	f.Add([]byte("0b4e3c1a-8f2d-4c6e-9a1b-2d3e4f5a6b7c\n"))
	f.Add([]byte("0B4E3C1A-8F2D-4C6E-9A1B-2D3E4F5A6B7C"))
	f.Add([]byte("0b4e3c1a-8f2d-4c6e-9a1b"))
	f.Add([]byte(" \t\n"))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := parseDeviceID(data)
		if err != nil {
			if id != "" {
				t.Fatalf("error %v with id %q", err, id)
			}
			return
		}
		if !uuidx.Valid(id) || id != strings.ToLower(id) {
			t.Fatalf("parsed %q: not canonical lower case", id)
		}
		if !strings.EqualFold(id, strings.TrimSpace(string(data))) {
			t.Fatalf("parsed %q from %q", id, data)
		}
		if id2, err := parseDeviceID(formatDeviceID(id)); err != nil || id2 != id {
			t.Fatalf("round trip %q → %q, %v", id, id2, err)
		}
	})
}

func FuzzParseTicket(f *testing.F) {
	f.Add([]byte("2026-11-23T10:00:00Z\n"))
	f.Add([]byte("2026-11-23T10:00:00.123456789+05:30"))
	f.Add([]byte("0000-01-01T00:00:00+01:00"))
	f.Add([]byte("9999-12-31T23:59:59-01:00"))
	f.Add([]byte("2026-11-23T0"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		at, err := parseTicket(data)
		if err != nil {
			return
		}
		// Whatever parses must survive being written back by a claim.
		at2, err := parseTicket([]byte(formatTime(at) + "\n"))
		if err != nil || formatTime(at2) != formatTime(at) {
			t.Fatalf("round trip of %q: %v, %v", data, at2, err)
		}
	})
}

package report

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/waymarkhq/waymark/internal/otlpfile"
)

// evKey identifies a decoded event in these tests.
type evKey struct {
	install, eventID UUID
	kind             Kind
	time             int64
}

// scanEvents reads one line with scanRequests and returns the events it yields, the end
// offsets of their records, and what it found.
func scanEvents(line []byte) ([]evKey, []int, requests) {
	var s scanner
	var res rawResource
	var recs []rawRecord
	dec := newDecoder()
	var evs []evKey
	var ends []int
	out := scanRequests(line, &s, &res, &recs, func(res *rawResource, r *rawRecord) {
		if ev, ok := dec.event(res, r); ok {
			evs = append(evs, evKey{ev.Install, ev.EventID, ev.Kind, ev.Time})
			ends = append(ends, r.end)
		}
	})
	return evs, ends, out
}

// realLines returns whole log lines of a simulated store with at least min records each.
func realLines(t *testing.T, min, n int) [][]byte {
	t.Helper()
	dir := simStore(t, "-installs", "300", "-days", "10", "-seed", "3", "-products", "acme,acme-server", "-servers", "3", "-error-rate", "0.05")
	b, err := os.ReadFile(filepath.Join(dir, "logs.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if evs, _, r := scanEvents(l); r.err == nil && len(evs) >= min && len(l) < 16<<10 {
			out = append(out, l)
			if len(out) == n {
				break
			}
		}
	}
	if len(out) < n {
		t.Fatalf("the simulated store has %d lines of at least %d records, want %d", len(out), min, n)
	}
	return out
}

// A collector killed mid-write leaves a request cut short, and after its restart the next one
// is appended to the same line. Cut at every offset of a real request, then followed by a
// whole one: every record of the whole one is read, and of the torn one exactly those read to
// their end before the cut; nothing else.
func TestTornRequestAtEveryOffsetLosesNoWholeRecord(t *testing.T) {
	ls := realLines(t, 3, 2)
	torn, whole := ls[0], ls[1]
	tornEvs, tornEnds, _ := scanEvents(torn)
	wholeEvs, _, _ := scanEvents(whole)
	for cut := 1; cut < len(torn); cut++ {
		line := append(append([]byte{}, torn[:cut]...), whole...)
		got, _, r := scanEvents(line)
		var want []evKey
		for i, e := range tornEvs {
			if tornEnds[i] <= cut {
				want = append(want, e)
			}
		}
		want = append(want, wholeEvs...)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("cut at %d of %d: got %d events, want %d (%d of the torn request's)", cut, len(torn), len(got), len(want), len(want)-len(wholeEvs))
		}
		if r.err != nil || r.torn != 1 {
			t.Fatalf("cut at %d: error %v, %d torn requests; want none and 1", cut, r.err, r.torn)
		}
	}
}

// The same through the whole report, as it happens: the client was never told 200 for the torn
// request, so it sends it again later. At any cut the report equals that of the store without
// the torn piece, and the whole request after the tear counts.
func TestTornLineInStoreCountsEveryRequestOnce(t *testing.T) {
	ls := realLines(t, 2, 4)
	clean := bytes.Join([][]byte{ls[0], ls[1], ls[2], ls[3], ls[1]}, []byte("\n"))
	want, _ := aggregateText(t, string(clean)+"\n", Query{Now: simNow.AddDate(0, 0, -50), RangeDays: 7})
	step := max(1, len(ls[1])/60)
	for cut := 1; cut < len(ls[1]); cut += step {
		torn := append(append([]byte{}, ls[1][:cut]...), ls[2]...)
		content := bytes.Join([][]byte{ls[0], torn, ls[3], ls[1]}, []byte("\n"))
		got, warnings := aggregateText(t, string(content)+"\n", Query{Now: simNow.AddDate(0, 0, -50), RangeDays: 7})
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("cut at %d: the report differs from that of the store without the torn piece", cut)
		}
		if len(warnings) == 0 {
			t.Fatalf("cut at %d: no warning about the torn request", cut)
		}
	}
}

// FuzzTornRequest: a line made of any prefix of one request followed by a request that reads
// whole yields every event of the whole one, and nothing that neither request holds.
func FuzzTornRequest(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "store", "logs.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	ls := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	for i := range ls {
		f.Add(ls[i], ls[(i+1)%len(ls)], uint16(len(ls[i])/3))
	}
	f.Add([]byte(line(ids(3, 0), "")), []byte(line(ids(2, 5), "")), uint16(100))
	f.Fuzz(func(t *testing.T, a, b []byte, cut uint16) {
		prefix := a[:int(cut)%(len(a)+1)]
		if !bytes.HasPrefix(b, []byte(`{"resourceLogs":`)) || otlpfile.NextStart(prefix, 1) >= 0 {
			return
		}
		wholeEvs, _, r := scanEvents(b)
		if r.err != nil || r.torn > 0 {
			return
		}
		aEvs, _, _ := scanEvents(a)
		got, _, _ := scanEvents(append(append([]byte{}, prefix...), b...))
		seen := map[evKey]bool{}
		for _, e := range got {
			seen[e] = true
		}
		for _, e := range wholeEvs {
			if !seen[e] {
				t.Fatalf("event %+v of the whole request was lost after a torn one", e)
			}
		}
		known := map[evKey]bool{}
		for _, e := range append(aEvs, wholeEvs...) {
			known[e] = true
		}
		for _, e := range got {
			if !known[e] {
				t.Fatalf("event %+v is in neither request", e)
			}
		}
	})
}

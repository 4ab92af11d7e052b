package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readWith aggregates paths with the given workers and chunk size and returns what it found,
// warned and counted.
func readWith(t *testing.T, q Query, workers int, piece int64, paths ...string) (map[string]*Aggregates, []string, ReadStats) {
	t.Helper()
	var warnings []string
	var st ReadStats
	aggs, err := Files{Paths: paths, Warn: func(m string) { warnings = append(warnings, m) }, Stats: &st}.aggregate(q, workers, piece)
	if err != nil {
		t.Fatal(err)
	}
	return aggs, warnings, st
}

// Read on several cores, in chunks down to a few KiB (so lines straddle every boundary), the
// store gives exactly what one core reading it whole gives: aggregates, warnings with their
// file:line and order, and counts. The store has rotated files, two products, servers, error
// reports, clients' retries, damaged lines and torn lines.
func TestReadingOnEveryCoreEqualsOneCore(t *testing.T) {
	dir := simStore(t, "-installs", "1500", "-days", "60", "-seed", "5", "-rotate-mb", "2", "-products", "acme,acme-server", "-servers", "10", "-error-rate", "0.01")
	damaged, err := os.ReadFile(filepath.Join("..", "..", "testdata", "store", "damaged.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(dir, "logs.jsonl")
	content, err := os.ReadFile(cur)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(content, []byte("\n"))
	// A torn copy of a line before another, and damage in the middle of the file.
	torn := append(append([]byte{}, lines[10][:len(lines[10])/2]...), lines[11]...)
	mixed := bytes.Join([][]byte{bytes.Join(lines[:20], nil), torn, damaged, bytes.Join(lines[20:], nil)}, nil)
	if err := os.WriteFile(cur, mixed, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, q := range []Query{{Now: simNow, RangeDays: 30}, {Now: simNow.Add(-36 * 3600e9), RangeDays: 7}, {Now: simNow, RangeDays: 90, Product: "acme-server"}} {
		want, wantWarn, wantSt := readWith(t, q, 1, 1<<40, dir)
		if len(want) == 0 || wantSt.TornRequests == 0 || len(wantWarn) == 0 {
			t.Fatalf("the store gives %d products, %d torn requests, %d warnings: not the mix this test needs", len(want), wantSt.TornRequests, len(wantWarn))
		}
		for _, c := range []struct {
			workers int
			piece   int64
		}{{2, chunkBytes}, {4, 256 << 10}, {3, 4093}} {
			got, gotWarn, gotSt := readWith(t, q, c.workers, c.piece, dir)
			name := fmt.Sprintf("%d workers, %d-byte chunks, range %d", c.workers, c.piece, q.RangeDays)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: aggregates differ from one core's", name)
			}
			if !reflect.DeepEqual(gotWarn, wantWarn) {
				t.Errorf("%s: warnings\n%s\nwant\n%s", name, strings.Join(gotWarn, "\n"), strings.Join(wantWarn, "\n"))
			}
			if gotSt != wantSt {
				t.Errorf("%s: stats %+v, want %+v", name, gotSt, wantSt)
			}
		}
	}
}

// A client that never got its 200 sends the same events again; the collector stores them
// twice, in the same file, in a later rotated file or in the current one, with the other
// product's requests in between. Every count is by distinct install or distinct event.id, so
// the report of the store with duplicates equals that of the store without.
func TestDuplicatesFromRetriesCountOnce(t *testing.T) {
	dir := simStore(t, "-installs", "800", "-days", "40", "-seed", "8", "-rotate-mb", "1", "-products", "acme,acme-server", "-servers", "6", "-error-rate", "0.02")
	files, _ := filepath.Glob(filepath.Join(dir, "logs*.jsonl"))
	if len(files) < 3 {
		t.Fatalf("the store has %d log files, want rotated ones", len(files))
	}
	q := Query{Now: simNow, RangeDays: 30}
	want, _, wantSt := readWith(t, q, 2, chunkBytes, dir)
	if g := want["acme"]; g == nil || len(g.Errors) == 0 || want["acme-server"] == nil || want["acme-server"].ServersLive == 0 {
		t.Fatal("the store lacks error reports or live servers: not the mix this test needs")
	}

	dup := t.TempDir()
	var again [][]byte
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.SplitAfter(b, []byte("\n"))
		var out []byte
		for j, l := range lines {
			out = append(out, l...)
			switch {
			case j%7 == 0:
				out = append(out, l...) // sent again at once
			case j%5 == 0:
				again = append(again, l) // sent again into a later file
			}
		}
		if i > 0 {
			for _, l := range again {
				out = append(out, l...)
			}
			again = nil
		}
		if err := os.WriteFile(filepath.Join(dup, filepath.Base(f)), out, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, _, gotSt := readWith(t, q, 2, chunkBytes, dup)
	if gotSt.Events <= wantSt.Events {
		t.Fatalf("the store with duplicates has %d events, the original %d: nothing duplicated", gotSt.Events, wantSt.Events)
	}
	if !reflect.DeepEqual(got, want) {
		for p := range want {
			if !reflect.DeepEqual(got[p], want[p]) {
				t.Errorf("%s: the report with duplicates differs:\n got %+v\nwant %+v", p, *got[p], *want[p])
			}
		}
	}
}

// FuzzChunkedRead: whatever a file holds (damage, torn lines, blank lines, no final newline),
// reading it in pieces of a few bytes on several workers finds what one worker reading it whole
// finds: aggregates, warnings and counts.
func FuzzChunkedRead(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "store", "logs.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	damaged, err := os.ReadFile(filepath.Join("..", "..", "testdata", "store", "damaged.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, uint16(7))
	f.Add(append(b[:len(b)/2:len(b)/2], b...), uint16(100))
	f.Add(damaged, uint16(1))
	f.Add([]byte("\n\n"+line(ids(3, 0), "")+"\n"+line(ids(2, 9), "")[:40]), uint16(3))
	q := Query{Now: simNow, RangeDays: 30}
	f.Fuzz(func(t *testing.T, content []byte, piece uint16) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "logs.jsonl"), content, 0o600); err != nil {
			t.Fatal(err)
		}
		want, wantWarn, wantSt := readWith(t, q, 1, 1<<40, dir)
		got, gotWarn, gotSt := readWith(t, q, 3, int64(piece%512)+1, dir)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotWarn, wantWarn) || gotSt != wantSt {
			t.Fatalf("pieces of %d bytes: %d products, warnings %q, stats %+v; whole: %d, %q, %+v",
				piece%512+1, len(got), gotWarn, gotSt, len(want), wantWarn, wantSt)
		}
	})
}

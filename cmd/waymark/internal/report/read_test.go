package report

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	simOnce sync.Once
	simBin  string
	simErr  error
)

// simStore writes a simulated store with the project's simulator (collector-config/simulate)
// and returns its directory.
func simStore(t testing.TB, args ...string) string {
	t.Helper()
	simOnce.Do(func() {
		dir, err := os.MkdirTemp("", "waymark-sim-bin-")
		if err != nil {
			simErr = err
			return
		}
		simBin = filepath.Join(dir, "simulate")
		out, err := exec.Command("go", "build", "-o", simBin, "github.com/waymarkhq/waymark/collector-config/simulate").CombinedOutput()
		if err != nil {
			simErr = fmt.Errorf("build simulate: %v\n%s", err, out)
		}
	})
	if simErr != nil {
		t.Fatal(simErr)
	}
	dir := t.TempDir()
	out, err := exec.Command(simBin, append([]string{"-out", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("simulate %v: %v\n%s", args, err, out)
	}
	return dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if simBin != "" {
		os.RemoveAll(filepath.Dir(simBin))
	}
	os.Exit(code)
}

// refReadDir reads every data file of dir with the former encoding/json decoder.
func refReadDir(t testing.TB, dir string) []refEvent {
	t.Helper()
	var evs []refEvent
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	sort.Strings(files)
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			l, err := refParseLine(sc.Bytes())
			if err == nil {
				evs = append(evs, l.Events...)
			}
		}
		fh.Close()
	}
	return evs
}

var simNow = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// On a simulated store the streaming report gives the counts of the former report, which
// held every event in memory: installs_30d, installs_1d, versions, os, arch, servers_live.
func TestSameCountsAsFormerReport(t *testing.T) {
	dir := simStore(t, "-installs", "3000", "-days", "60", "-seed", "4", "-rotate-mb", "1")
	ref := refSummarize(refReadDir(t, dir), refOptions{Now: simNow})
	aggs, err := Files{Paths: []string{dir}}.Aggregate(Query{Now: simNow, RangeDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	g := aggs["acme"]
	if g == nil || len(aggs) != 1 {
		t.Fatalf("products %v, want acme only", aggs)
	}
	if ref.Installs30d < 1000 {
		t.Fatalf("simulated store too small: %d installs", ref.Installs30d)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"installs_30d", g.Installs30d, ref.Installs30d}, {"installs_1d", g.Installs1d, ref.Installs1d},
		{"versions", g.Versions, ref.Versions}, {"os", g.OS, ref.OS}, {"arch", g.Arch, ref.Arch},
		{"servers_live", g.ServersLive, ref.ServersLive},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, former report %v", c.name, c.got, c.want)
		}
	}
}

func line(installs []string, extraRecord string) string {
	var rl []string
	for i, id := range installs {
		rec := fmt.Sprintf(`{"timeUnixNano":"%d","eventName":"waymark.usage","attributes":[{"key":"event.id","value":{"stringValue":"00000000-0000-4000-8000-%012d"}}]}`,
			simNow.Add(-time.Hour).UnixNano(), i)
		if i == 0 && extraRecord != "" {
			rec = extraRecord + "," + rec
		}
		rl = append(rl, fmt.Sprintf(`{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"acme"}},{"key":"app.installation.id","value":{"stringValue":"%s"}},{"key":"os.type","value":{"stringValue":"linux"}},{"key":"host.arch","value":{"stringValue":"amd64"}}]},"scopeLogs":[{"scope":{"name":"waymark"},"logRecords":[%s]}]}`, id, rec))
	}
	return `{"resourceLogs":[` + strings.Join(rl, ",") + "]}\n"
}

func ids(n, base int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("11111111-2222-4333-8444-%012d", base+i))
	}
	return out
}

func aggregateText(t *testing.T, content string, q Query) (map[string]*Aggregates, []string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "logs.jsonl"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	aggs, err := Files{Paths: []string{dir}, Warn: func(m string) { warnings = append(warnings, m) }}.Aggregate(q)
	if err != nil {
		t.Fatal(err)
	}
	return aggs, warnings
}

// One record nested 3000 levels deep, in the same batch line as twenty honest installs' events,
// is left out with a warning; the twenty are counted.
func TestDeepRecordDoesNotHideItsLine(t *testing.T) {
	deep := strings.Repeat(`{"kvlistValue":{"values":[{"key":"k","value":`, 3000) + `{"stringValue":"x"}` + strings.Repeat(`}]}}`, 3000)
	evil := fmt.Sprintf(`{"timeUnixNano":"%d","eventName":"waymark.usage","attributes":[{"key":"event.id","value":{"stringValue":"00000000-0000-4000-8000-999999999999"}},{"key":"payload","value":%s}]}`,
		simNow.Add(-time.Hour).UnixNano(), deep)
	aggs, warnings := aggregateText(t, line(ids(20, 0), evil), Query{Now: simNow})
	if got := aggs["acme"].Installs30d; got != 20 {
		t.Errorf("installs_30d = %d, want the 20 honest installs", got)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "1 nested deeper than 32") {
		t.Errorf("warnings = %q, want one about the deep record", warnings)
	}
}

// Values the collector would drop are ignored, each with a warning.
func TestValuesTheCollectorDropsAreIgnored(t *testing.T) {
	good := line(ids(2, 0), "")
	bad := []string{
		strings.Replace(line(ids(1, 10), ""), "11111111-2222-4333-8444-000000000010", "fake-00001", 1),
		strings.Replace(line(ids(1, 11), ""), `"linux"`, `"templeos"`, 1),
		strings.Replace(line(ids(1, 12), ""), `"amd64"`, `"z80"`, 1),
		strings.Replace(line(ids(1, 13), ""), `"00000000-0000-4000-8000-000000000000"`, `"../../etc/passwd"`, 1),
		strings.Replace(line(ids(1, 14), ""), `{"key":"os.type"`, `{"key":"service.version","value":{"stringValue":"`+strings.Repeat("9", 100_000)+`"}},{"key":"os.type"`, 1),
		strings.Replace(line(ids(1, 15), ""), `"acme"`, `"<b>Acme</b>"`, 1),
	}
	aggs, warnings := aggregateText(t, good+strings.Join(bad, ""), Query{Now: simNow})
	if len(aggs) != 1 || aggs["acme"].Installs30d != 2 {
		t.Errorf("got %d products, installs_30d %d; want acme with the 2 good installs", len(aggs), aggs["acme"].Installs30d)
	}
	for _, want := range []string{"app.installation.id is not a UUID", "os.type not one of Go's", "host.arch not one of Go's", "event.id missing or not a UUID", "version too long", "service.name"} {
		found := false
		for _, w := range warnings {
			found = found || strings.Contains(w, want)
		}
		if !found {
			t.Errorf("no warning says %q: %q", want, warnings)
		}
	}
}

// A heartbeat claiming a huge interval keeps its session live for at most two days.
func TestHeartbeatIntervalCapped(t *testing.T) {
	hb := func(ago time.Duration, session string) string {
		return fmt.Sprintf(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"acme"}},{"key":"app.installation.id","value":{"stringValue":"11111111-2222-4333-8444-000000000001"}},{"key":"session.id","value":{"stringValue":"%s"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"%d","eventName":"waymark.heartbeat","attributes":[{"key":"event.id","value":{"stringValue":"%s"}},{"key":"heartbeat.interval_s","value":{"intValue":"999999999"}}]}]}]}]}`+"\n",
			session, simNow.Add(-ago).UnixNano(), session)
	}
	content := hb(3*24*time.Hour, "aaaaaaaa-2222-4333-8444-000000000001") + hb(47*time.Hour, "bbbbbbbb-2222-4333-8444-000000000001") + hb(time.Hour, "not-a-uuid")
	aggs, _ := aggregateText(t, content, Query{Now: simNow})
	if got := aggs["acme"].ServersLive; got != 1 {
		t.Errorf("servers_live = %d, want 1 (the 3-day-old session is over, the invalid id ignored)", got)
	}
}

// Rotated files named before anything the report needs are not read at all: a damaged one
// there causes no warning, while the same damage in a recent rotated file does.
func TestOldRotatedFilesAreNotRead(t *testing.T) {
	dir := t.TempDir()
	q := Query{Now: simNow, RangeDays: 7}
	oldest := q.Windows().Oldest().Add(-RotationSlack)
	old := fmt.Sprintf("logs-%s.jsonl", oldest.Add(-time.Hour).Format("2006-01-02T15-04-05.000"))
	recent := fmt.Sprintf("logs-%s.jsonl", oldest.Add(time.Hour).Format("2006-01-02T15-04-05.000"))
	for _, name := range []string{old, recent} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("garbage\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "logs.jsonl"), []byte(line(ids(3, 0), "")), 0o600); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	st := &ReadStats{}
	aggs, err := Files{Paths: []string{dir}, Warn: func(m string) { warnings = append(warnings, m) }, Stats: st}.Aggregate(q)
	if err != nil {
		t.Fatal(err)
	}
	if aggs["acme"].Installs30d != 3 || st.OldFilesNotOpened != 1 || st.Files != 2 {
		t.Errorf("installs %d, files read %d, skipped %d; want 3, 2, 1", aggs["acme"].Installs30d, st.Files, st.OldFilesNotOpened)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], recent) {
		t.Errorf("warnings = %q, want one, about %s", warnings, recent)
	}
	if _, ok := RotatedAt("logs.jsonl"); ok {
		t.Error("the current file has no rotation time")
	}
}

// Metrics lines are recognised by their first bytes and not scanned.
func TestMetricsLinesPassedOverCheaply(t *testing.T) {
	var s scanner
	var res rawResource
	var recs []rawRecord
	kind, err := scanLine([]byte(`{"resourceMetrics":[ this is not even JSON`), &s, &res, &recs, func(*rawResource, *rawRecord) {})
	if kind != lineMetrics || err != nil {
		t.Errorf("kind %v, err %v; want a metrics line, not read", kind, err)
	}
}

// A peak memory guard: the accumulator's state grows with installs, not events. Reading the
// same installs over twice the days must not double the heap in use after the read.
func TestMemoryFollowsInstallsNotEvents(t *testing.T) {
	heap := func(days string) uint64 {
		dir := simStore(t, "-installs", "4000", "-days", days, "-seed", "2")
		runtime.GC()
		aggs, err := Files{Paths: []string{dir}}.Aggregate(Query{Now: simNow, RangeDays: 30})
		if err != nil || aggs["acme"] == nil {
			t.Fatal(err)
		}
		return liveHeapDuring(func() {
			acc := newAccumulator(Query{Now: simNow, RangeDays: 30})
			r := &fileReader{acc: acc, dec: newDecoder()}
			files, _ := filepath.Glob(filepath.Join(dir, "logs*.jsonl"))
			for _, f := range files {
				c := &chunk{path: f, last: true}
				if r.readChunk(c); c.openErr != nil {
					t.Fatal(c.openErr)
				}
			}
			runtime.KeepAlive(acc)
		})
	}
	a, b := heap("60"), heap("120")
	if float64(b) > 1.3*float64(a) {
		t.Errorf("heap after reading 60 days %d KiB, 120 days %d KiB: state grows with events", a>>10, b>>10)
	}
}

func liveHeapDuring(f func()) uint64 {
	f()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// FuzzScanLine: the scanner never panics, and on any line that the former encoding/json
// decoder reads, it yields the same events for every record within its limits.
func FuzzScanLine(f *testing.F) {
	for _, name := range []string{"logs.jsonl", "damaged.jsonl", "rotated/logs-2026-11-19T00-00-00.000.jsonl"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "store", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range bytes.Split(b, []byte("\n")) {
			f.Add(l)
		}
	}
	f.Add([]byte(line(ids(2, 0), "")))
	f.Add([]byte(`{"resourceLogs":[{"resource":{"attributes":[{"key":"app.installation.id","value":{"stringValue":"11111111-2222-4333-8444-00000000000\u0031"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":1,"eventName":"waymark.usage","attributes":[{"key":"event.id","value":{"stringValue":"00000000-0000-4000-8000-000000000000"}}]}]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s scanner
		var res rawResource
		var recs []rawRecord
		dec := newDecoder()
		type got struct {
			install, eventID UUID
			kind             Kind
			time             int64
		}
		var evs []got
		_, err := scanLine(b, &s, &res, &recs, func(res *rawResource, r *rawRecord) {
			if ev, ok := dec.event(res, r); ok {
				evs = append(evs, got{ev.Install, ev.EventID, ev.Kind, ev.Time})
			}
		})
		ref, rerr := refParseLine(b)
		if rerr != nil || caseFolded(b) {
			// encoding/json also matches keys in another case; OTLP JSON does not.
			return
		}
		if err != nil && len(ref.Events) > 0 {
			t.Fatalf("encoding/json reads the line, the scanner fails: %v", err)
		}
		var want []got
		for _, e := range ref.Events {
			install, ok1 := parseUUID([]byte(e.InstallationID))
			id, ok2 := parseUUID([]byte(e.EventID))
			if !ok1 || !ok2 {
				continue
			}
			want = append(want, got{install, id, map[string]Kind{refMilestone: KindMilestone, refUsage: KindUsage, refHeartbeat: KindHeartbeat, refErrorReport: KindErrorReport}[e.Name], e.Time.UnixNano()})
		}
		// The scanner applies the collector's rules on top (names, platforms, versions): it
		// may leave out more, never keep what the former decoder did not.
		j := 0
		for _, e := range evs {
			for j < len(want) && want[j] != e {
				j++
			}
			if j == len(want) {
				t.Fatalf("scanner event %+v not among the former decoder's %+v", e, want)
			}
			j++
		}
		if len(evs) == 0 && len(want) > 0 && len(dec.skipped) == 0 {
			t.Fatalf("scanner found nothing and gave no reason; former decoder found %+v", want)
		}
	})
}

// caseFolded reports whether b may spell one of the keys the decoders look for in another
// case (or hide it behind \u escapes), which encoding/json accepts and OTLP JSON does not.
func caseFolded(b []byte) bool {
	if bytes.Contains(b, []byte(`\u`)) {
		return true
	}
	lower := bytes.ToLower(b)
	for _, k := range []string{"resourcelogs", "resourcemetrics", "resourcespans", "resourceprofiles", "resource", "attributes", "scopelogs", "logrecords",
		"timeunixnano", "observedtimeunixnano", "eventname", "key", "value", "stringvalue", "intvalue", "doublevalue", "boolvalue"} {
		q := []byte(`"` + k + `"`)
		if bytes.Count(lower, q) != bytes.Count(b, q) {
			return true
		}
	}
	return false
}

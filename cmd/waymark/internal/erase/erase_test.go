package erase

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	gone = "aaaaaaaa-1111-4111-8111-111111111111"
	kept = "bbbbbbbb-2222-4222-8222-222222222222"
)

// logLine is one collector line: one resource of install with the given events.
func logLine(install string, events ...string) string {
	var recs []string
	for i, e := range events {
		recs = append(recs, fmt.Sprintf(`{"timeUnixNano":"%d","eventName":"%s","attributes":[{"key":"event.id","value":{"stringValue":"%s-0000-4000-8000-%012d"}}]}`,
			time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).UnixNano(), e, install[:8], i))
	}
	return fmt.Sprintf(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"acme"}},{"key":"app.installation.id","value":{"stringValue":"%s"}}]},"scopeLogs":[{"scope":{"name":"waymark"},"logRecords":[%s]}]}]}`, install, strings.Join(recs, ","))
}

// twoLine is a line holding both installs' resources.
func twoLine() string {
	a, b := logLine(gone, "waymark.usage"), logLine(kept, "waymark.usage")
	return strings.TrimSuffix(a, "]}") + "," + strings.TrimPrefix(b, `{"resourceLogs":[`)
}

func metricsLine(install string) string {
	return fmt.Sprintf(`{"resourceMetrics":[{"resource":{"attributes":[{"key":"app.installation.id","value":{"stringValue":"%s"}}]},"scopeMetrics":[]}]}`, install)
}

func write(t *testing.T, path string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// An install that asked for erasure leaves every file, rotated ones and metrics included;
// the other install's lines stay byte for byte; only a salted hash remains; a second run finds
// nothing; a late record of the erased install is erased by the next run.
func TestRunErasesOnlyTheInstallsThatAsked(t *testing.T) {
	dir := t.TempDir()
	rotated := filepath.Join(dir, "logs-2026-11-19T00-00-00.000.jsonl")
	current := filepath.Join(dir, "logs.jsonl")
	metrics := filepath.Join(dir, "sub", "metrics.jsonl")
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	keptLine := logLine(kept, "waymark.usage", "waymark.milestone")
	write(t, rotated, logLine(gone, "waymark.usage"), keptLine, twoLine())
	write(t, current, keptLine, logLine(gone, "waymark.erasure"), "garbage that holds no id")
	write(t, metrics, metricsLine(gone), metricsLine(kept))

	res, err := Run(Options{Dir: dir, CollectorStopped: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Erased != 1 || res.FilesRewritten != 3 || len(res.Pending) != 0 {
		t.Errorf("result %+v; want 1 install erased from 3 files", res)
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if c := read(t, p); strings.Contains(strings.ToLower(c), gone) {
			t.Errorf("%s still holds the erased id:\n%s", p, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{rotated, current, metrics} {
		if !strings.Contains(read(t, f), kept) {
			t.Errorf("%s lost the other install's records:\n%s", f, read(t, f))
		}
	}
	if c := read(t, current); !strings.HasPrefix(c, keptLine+"\n") || !strings.Contains(c, "garbage that holds no id") {
		t.Errorf("lines without the erased id are not kept byte for byte:\n%s", c)
	}
	if c := read(t, rotated); strings.Count(c, kept) != 2 || !strings.Contains(c, keptLine) {
		t.Errorf("the rotated file lost records of the other install:\n%s", c)
	}
	if fi, _ := os.Stat(rotated); fi.Mode().Perm() != 0o640 {
		t.Errorf("rewritten file mode %v, want the original 0640", fi.Mode().Perm())
	}

	res, err = Run(Options{Dir: dir, CollectorStopped: true})
	if err != nil || res.Erased != 0 || res.FilesRewritten != 0 {
		t.Errorf("second run: %+v, %v; want nothing to do", res, err)
	}
	// A late duplicate, sent before the request but stored after the erase.
	f, _ := os.OpenFile(current, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(logLine(gone, "waymark.usage") + "\n")
	f.Close()
	res, err = Run(Options{Dir: dir, CollectorStopped: true})
	if err != nil || res.Erased != 1 || strings.Contains(read(t, current), gone) {
		t.Errorf("late record: %+v, %v; the id must be erased again from its salted hash", res, err)
	}
}

// Without --collector-stopped the current files, which the collector appends to, are left
// alone and reported pending; rotated files are rewritten.
func TestCurrentFilesWaitForTheCollectorToStop(t *testing.T) {
	dir := t.TempDir()
	rotated := filepath.Join(dir, "logs-2026-11-19T00-00-00.000.jsonl")
	current := filepath.Join(dir, "logs.jsonl")
	write(t, rotated, logLine(gone, "waymark.usage", "waymark.erasure"))
	write(t, current, logLine(gone, "waymark.usage"))
	before := read(t, current)
	res, err := Run(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pending) != 1 || res.Pending[0] != current || read(t, current) != before {
		t.Errorf("pending %v; the current file must be left as it was", res.Pending)
	}
	if strings.Contains(read(t, rotated), gone) {
		t.Error("the rotated file still holds the erased id")
	}
	// The request is gone from the files, but its hash still finds the current file's records.
	res, err = Run(Options{Dir: dir, CollectorStopped: true})
	if err != nil || strings.Contains(read(t, current), gone) {
		t.Errorf("run with the collector stopped: %+v, %v; the current file still holds the id", res, err)
	}
}

// The registry holds no raw id.
func TestRegistryHoldsNoRawID(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "logs.jsonl"), logLine(gone, "waymark.erasure"))
	if _, err := Run(Options{Dir: dir, CollectorStopped: true}); err != nil {
		t.Fatal(err)
	}
	c := read(t, filepath.Join(dir, RegistryName))
	if strings.Contains(c, gone) || strings.Contains(c, strings.ReplaceAll(gone, "-", "")) {
		t.Errorf("registry holds the raw id:\n%s", c)
	}
}

func FuzzFilterLine(f *testing.F) {
	f.Add([]byte(logLine(gone, "waymark.usage")))
	f.Add([]byte(twoLine()))
	f.Add([]byte(metricsLine(gone)))
	f.Add([]byte(`{"resourceLogs":[{"resource":{"attributes":[{"key":"app.installation.id","value":{"stringValue":"AAAAAAAA-1111-4111-8111-111111111111"}}]}}]}`))
	f.Add([]byte(`{"resourceLogs":"` + gone + `"}`))
	f.Add([]byte("not json " + gone))
	f.Add([]byte(logLine(gone, "waymark.usage")[:120] + twoLine())) // torn, then a whole request
	f.Add([]byte(`{"resourceLogs":[],"x":"\u0130\u0130` + strings.ToUpper(gone) + `"}`))
	f.Add([]byte("{\"resourceLogs\":[],\"x\":\"\xff\xfe" + gone + "\"}"))
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.ContainsAny(line, "\n") {
			return
		}
		targets := map[string]bool{gone: true}
		out, changed := filterLine(bytes.Clone(line), targets)
		if bytes.Contains(asciiLower(out), []byte(gone)) {
			t.Fatalf("the erased id survived: %q → %q", line, out)
		}
		if !changed && !bytes.Equal(out, line) {
			t.Fatalf("an unchanged line differs: %q → %q", line, out)
		}
		if !bytes.Contains(asciiLower(line), []byte(gone)) && (changed || !bytes.Equal(out, line)) {
			t.Fatalf("a line without the id was changed: %q → %q", line, out)
		}
		lineRequests(line)
		lineIDs(line)
	})
}

// Two runs never work on one directory at once.
func TestOneRunAtATime(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "logs.jsonl"), logLine(gone, "waymark.erasure"))
	unlock, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(Options{Dir: dir, CollectorStopped: true}); err == nil || !strings.Contains(err.Error(), "another waymark erase") {
		t.Errorf("a second run while one holds the lock: %v", err)
	}
	unlock()
	if res, err := Run(Options{Dir: dir, CollectorStopped: true}); err != nil || res.Erased != 1 {
		t.Errorf("after the first run ended: %+v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, LockName)); !os.IsNotExist(err) {
		t.Errorf("the lock was left behind: %v", err)
	}
}

// memoryBackend is a store of events in memory: the installation ids of its records, and
// which of them are erasure requests.
type memoryBackend struct {
	records []memoryRecord
	deletes [][]string
}

type memoryRecord struct {
	install string
	request bool
}

func (m *memoryBackend) Requests() ([]string, error) {
	var out []string
	for _, r := range m.records {
		if r.request {
			out = append(out, r.install)
		}
	}
	return out, nil
}

func (m *memoryBackend) Delete(ids []string) error {
	m.deletes = append(m.deletes, ids)
	kept := m.records[:0]
	for _, r := range m.records {
		if !slices.Contains(ids, r.install) {
			kept = append(kept, r)
		}
	}
	m.records = kept
	return nil
}

func (m *memoryBackend) Installs() ([]string, error) {
	var out []string
	for _, r := range m.records {
		if !slices.Contains(out, r.install) {
			out = append(out, r.install)
		}
	}
	return out, nil
}

// A record of an erased install that reaches the backend after the erase (it waited in a
// collector's queue while its copy in the files was erased) is deleted by the next run: the
// run matches the backend's installs against the salted hashes, since the request that named
// the install is gone from both stores.
func TestLateRecordInTheBackendIsErasedByTheNextRun(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "logs.jsonl"), logLine(kept, "waymark.usage"), logLine(gone, "waymark.usage", "waymark.erasure"))
	vl := &memoryBackend{records: []memoryRecord{{kept, false}, {gone, false}, {gone, true}}}
	if _, err := Run(Options{Dir: dir, CollectorStopped: true, Backend: vl}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := vl.Installs(); len(ids) != 1 || ids[0] != kept {
		t.Fatalf("backend after the erase holds %v; want only %s", ids, kept)
	}
	// The queued record arrives.
	vl.records = append(vl.records, memoryRecord{gone, false})
	res, err := Run(Options{Dir: dir, CollectorStopped: true, Backend: vl})
	if err != nil {
		t.Fatal(err)
	}
	if ids, _ := vl.Installs(); len(ids) != 1 || ids[0] != kept || res.Erased != 1 {
		t.Errorf("second run: %+v; backend holds %v; want the late record of %s deleted and %s kept", res, ids, gone, kept)
	}
}

// A collector killed mid-write leaves a request cut short, and after its restart appends the
// next request to the same line; the report still reads that whole request. Erasing an install
// whose records are in the torn piece, or in the whole request, keeps the other install's
// records of the whole request, at every cut.
func TestTornLineKeepsTheOtherInstallsWholeRequest(t *testing.T) {
	torn := logLine(gone, "waymark.usage")
	whole := twoLine() // gone's and kept's resources in one request
	for cut := 1; cut < len(torn); cut += 7 {
		dir := t.TempDir()
		rotated := filepath.Join(dir, "logs-2026-11-19T00-00-00.000.jsonl")
		write(t, rotated, torn[:cut]+whole, logLine(gone, "waymark.erasure"))
		if _, err := Run(Options{Dir: dir}); err != nil {
			t.Fatal(err)
		}
		c := read(t, rotated)
		if !strings.Contains(c, kept) || strings.Contains(c, gone) {
			t.Fatalf("cut at %d: the rewrite lost the other install's whole request or kept the erased id:\n%s", cut, c)
		}
	}
}

package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/uuidx"
)

// clock is an injectable time source that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newStore(t *testing.T) (*Store, *clock) {
	t.Helper()
	c := newClock()
	return New(statedir.New(filepath.Join(t.TempDir(), "acme", "telemetry")), c.now), c
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func counter(n *int) func() error { return func() error { *n++; return nil } }

func TestReadOnlyCreatesNothing(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "acme", "telemetry")
	s := New(statedir.New(dir), nil)
	if s.Dir().Path() != dir {
		t.Fatalf("Dir() = %q", s.Dir().Path())
	}
	check := func() {
		t.Helper()
		if id, ok := s.PeekDeviceID(); ok || id != "" {
			t.Errorf("PeekDeviceID = %q, %v", id, ok)
		}
		if m, err := s.Recorded(); err != nil || len(m) != 0 {
			t.Errorf("Recorded = %v, %v", m, err)
		}
		if m, err := s.Mode(); err != nil || m != "" {
			t.Errorf("Mode = %q, %v", m, err)
		}
		if s.NoticeShown("v1") || s.NoticeShown(LegacyNotice) {
			t.Error("NoticeShown = true")
		}
		if _, ok := s.LastClaim("usage"); ok {
			t.Error("LastClaim = true")
		}
	}
	check()
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Fatalf("read-only calls created %v", ents)
	}
	// An existing empty directory stays empty too.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	check()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("read-only calls created %v", ents)
	}
}

func TestZeroDir(t *testing.T) {
	s := New(nil, nil)
	if _, ok := s.PeekDeviceID(); ok || s.NoticeShown(LegacyNotice) {
		t.Fatal("zero dir reports state")
	}
	if err := s.Prepare(); err == nil {
		t.Fatal("Prepare with no dir: want error")
	}
	if _, _, err := s.DeviceID(); err == nil {
		t.Fatal("DeviceID with no dir: want error")
	}
	if _, err := s.Record("first_run", nil); err == nil {
		t.Fatal("Record with no dir: want error")
	}
}

func TestPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits on Windows")
	}
	s, _ := newStore(t)
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.DeviceID(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record("first_run", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMode("local"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkNoticeShown("v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim("usage", time.Hour, nil); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{s.dirPath(), filepath.Dir(s.dirPath())} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want 0700", d, fi.Mode().Perm())
		}
	}
	want := map[string]bool{"device_id": true, "milestones.json": true, "mode": true, "notice_shown": true, "ticket-usage": true, "lock": true}
	ents, err := os.ReadDir(s.dirPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if !want[e.Name()] {
			t.Errorf("unexpected file %s", e.Name())
		}
		delete(want, e.Name())
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	if len(want) != 0 {
		t.Errorf("files not written: %v", want)
	}
}

func TestPrepareUnwritable(t *testing.T) {
	// A path under a regular file cannot be created, even by root.
	file := filepath.Join(t.TempDir(), "file")
	writeFile(t, file, []byte("x"))
	dir := filepath.Join(file, "telemetry")
	s := New(statedir.New(dir), nil)
	err := s.Prepare()
	if err == nil || !strings.Contains(err.Error(), "state dir "+dir+" is not writable: ") {
		t.Fatalf("Prepare: %v; want a not-writable error naming %s", err, dir)
	}
	if _, _, err := s.DeviceID(); err == nil {
		t.Fatal("DeviceID: want error")
	}
	if _, err := s.Record("first_run", func() error { t.Fatal("emit called"); return nil }); err == nil {
		t.Fatal("Record: want error")
	}
	if err := s.SetMode("off"); err == nil {
		t.Fatal("SetMode: want error")
	}
	if err := s.MarkNoticeShown("v1"); err == nil {
		t.Fatal("MarkNoticeShown: want error")
	}
}

func TestDeviceIDCreatedOnceAndStable(t *testing.T) {
	s, _ := newStore(t)
	id, created, err := s.DeviceID()
	if err != nil || !created || !uuidx.Valid(id) {
		t.Fatalf("DeviceID = %q, %v, %v", id, created, err)
	}
	if got := readFile(t, filepath.Join(s.dirPath(), "device_id")); got != id+"\n" {
		t.Fatalf("device_id holds %q", got)
	}
	id2, created, err := New(s.Dir(), nil).DeviceID()
	if err != nil || created || id2 != id {
		t.Fatalf("second DeviceID = %q, %v, %v; want %q, false", id2, created, err, id)
	}
	if p, ok := s.PeekDeviceID(); !ok || p != id {
		t.Fatalf("PeekDeviceID = %q, %v", p, ok)
	}
}

func TestDeviceIDRecovery(t *testing.T) {
	const valid = "0b4e3c1a-8f2d-4c6e-9a1b-2d3e4f5a6b7c"
	for _, tc := range []struct {
		name    string
		content string
		keep    string // the id that must survive, "" if a new one is due
	}{
		{"valid", valid + "\n", valid},
		{"no newline", valid, valid},
		{"upper case", strings.ToUpper(valid) + "\r\n", valid},
		{"empty", "", ""},
		{"truncated", valid[:20], ""},
		{"garbage", "\x00\xff garbage", ""},
		{"foreign json", `{"device_id":"` + valid + `"}`, ""},
		{"two ids", valid + "\n" + valid + "\n", ""},
		{"huge", strings.Repeat("a", 1<<16), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newStore(t)
			writeFile(t, filepath.Join(s.dirPath(), "device_id"), []byte(tc.content))
			peek, ok := s.PeekDeviceID()
			if ok != (tc.keep != "") || peek != tc.keep {
				t.Fatalf("PeekDeviceID = %q, %v", peek, ok)
			}
			id, created, err := s.DeviceID()
			if err != nil {
				t.Fatal(err)
			}
			if tc.keep != "" {
				if created || id != tc.keep {
					t.Fatalf("DeviceID = %q, created %v; want %q kept", id, created, tc.keep)
				}
				return
			}
			if !created || !uuidx.Valid(id) {
				t.Fatalf("DeviceID = %q, created %v; want a new id", id, created)
			}
			if got := readFile(t, filepath.Join(s.dirPath(), "device_id")); got != id+"\n" {
				t.Fatalf("device_id holds %q after recovery", got)
			}
		})
	}
}

func TestRecordOnce(t *testing.T) {
	s, c := newStore(t)
	var n int
	rec, err := s.Record("first_run", counter(&n))
	if err != nil || !rec || n != 1 {
		t.Fatalf("first Record = %v, %v, emits %d", rec, err, n)
	}
	at := c.now()
	c.add(time.Hour)
	rec, err = s.Record("first_run", counter(&n))
	if err != nil || rec || n != 1 {
		t.Fatalf("second Record = %v, %v, emits %d", rec, err, n)
	}
	// A fresh Store on the same dir (a later run) sees it too.
	rec, err = New(s.Dir(), c.now).Record("first_run", counter(&n))
	if err != nil || rec || n != 1 {
		t.Fatalf("Record in a later run = %v, %v, emits %d", rec, err, n)
	}
	if rec, err = s.Record("first_deploy", counter(&n)); err != nil || !rec || n != 2 {
		t.Fatalf("other milestone = %v, %v, emits %d", rec, err, n)
	}
	got, err := s.Recorded()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["first_run"].Equal(at) || !got["first_deploy"].Equal(at.Add(time.Hour)) {
		t.Fatalf("Recorded = %v", got)
	}
	id, _ := s.PeekDeviceID()
	want := `{"installation_id":"` + id + `","milestones":{"first_deploy":"2026-11-23T11:00:00Z","first_run":"2026-11-23T10:00:00Z"}}` + "\n"
	if got := readFile(t, filepath.Join(s.dirPath(), "milestones.json")); got != want {
		t.Fatalf("milestones.json = %s\nwant %s", got, want)
	}
	if _, err := s.Record("", nil); err == nil {
		t.Fatal("empty name: want error")
	}
}

func TestRecordEmitError(t *testing.T) {
	s, _ := newStore(t)
	boom := errors.New("spool full")
	rec, err := s.Record("first_run", func() error { return boom })
	if rec || !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "store: ") {
		t.Fatalf("Record = %v, %v; want false and the wrapped emit error", rec, err)
	}
	if got, err := s.Recorded(); err != nil || len(got) != 0 {
		t.Fatalf("Recorded after failed emit = %v, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(s.dirPath(), "milestones.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("milestones.json written after failed emit: %v", err)
	}
	var n int
	if rec, err := s.Record("first_run", counter(&n)); !rec || err != nil || n != 1 {
		t.Fatalf("retry = %v, %v, emits %d", rec, err, n)
	}
}

func TestRecordAfterReset(t *testing.T) {
	s, _ := newStore(t)
	old, _, err := s.DeviceID()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if _, err := s.Record("first_run", counter(&n)); err != nil {
		t.Fatal(err)
	}
	id, err := s.ResetDeviceID()
	if err != nil || !uuidx.Valid(id) || id == old {
		t.Fatalf("ResetDeviceID = %q, %v (old %q)", id, err, old)
	}
	if p, _ := s.PeekDeviceID(); p != id {
		t.Fatalf("PeekDeviceID = %q, want %q", p, id)
	}
	if got, err := s.Recorded(); err != nil || len(got) != 0 {
		t.Fatalf("Recorded after reset = %v, %v", got, err)
	}
	if rec, err := s.Record("first_run", counter(&n)); !rec || err != nil || n != 2 {
		t.Fatalf("Record after reset = %v, %v, emits %d", rec, err, n)
	}
	// The old id is nowhere on disk.
	ents, _ := os.ReadDir(s.dirPath())
	for _, e := range ents {
		if b, _ := os.ReadFile(filepath.Join(s.dirPath(), e.Name())); strings.Contains(string(b), old) {
			t.Errorf("%s still holds the old id", e.Name())
		}
	}
	if got := readFile(t, filepath.Join(s.dirPath(), "milestones.json")); !strings.Contains(got, id) {
		t.Fatalf("milestones.json = %s, want the new id", got)
	}
}

func TestMilestonesRecovery(t *testing.T) {
	const id = "0b4e3c1a-8f2d-4c6e-9a1b-2d3e4f5a6b7c"
	const other = "11111111-2222-4333-8444-555555555555"
	intact := `{"installation_id":"` + id + `","milestones":{"first_deploy":"2026-01-02T03:04:05Z"}}`
	for _, tc := range []struct {
		name, content string
		garbage       bool // Recorded must report an error
	}{
		{"missing", "", false},
		{"empty", "", true},
		{"nul", "\x00", true},
		{"truncated", intact[:len(intact)/2], true},
		{"garbage", "garbage", true},
		{"array", `[]`, true},
		{"null", `null`, true},
		{"foreign object", `{"foo":1}`, true},
		{"bad installation id", `{"installation_id":"nope","milestones":{"first_run":"2026-01-02T03:04:05Z"}}`, true},
		{"milestones not an object", `{"installation_id":"` + id + `","milestones":["first_run"]}`, true},
		{"trailing data", intact + `}`, true},
		{"other installation", `{"installation_id":"` + other + `","milestones":{"first_run":"2026-01-02T03:04:05Z"}}`, false},
		{"huge", `{"installation_id":"` + id + `","milestones":{"x":"` + strings.Repeat("a", 2<<20) + `"}}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newStore(t)
			writeFile(t, filepath.Join(s.dirPath(), "device_id"), []byte(id+"\n"))
			if tc.name != "missing" {
				writeFile(t, filepath.Join(s.dirPath(), "milestones.json"), []byte(tc.content))
			}
			got, err := s.Recorded()
			if len(got) != 0 || (err != nil) != tc.garbage {
				t.Fatalf("Recorded = %v, %v; want empty, error %v", got, err, tc.garbage)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "store: ") {
				t.Fatalf("error %q lacks the prefix", err)
			}
			var n int
			if rec, err := s.Record("first_run", counter(&n)); !rec || err != nil || n != 1 {
				t.Fatalf("Record = %v, %v, emits %d; want recorded once", rec, err, n)
			}
			if rec, err := s.Record("first_run", counter(&n)); rec || err != nil || n != 1 {
				t.Fatalf("second Record = %v, %v, emits %d", rec, err, n)
			}
			got, err = s.Recorded()
			if err != nil || len(got) != 1 {
				t.Fatalf("Recorded after recovery = %v, %v", got, err)
			}
		})
	}
}

func TestMilestonesIntactNotCountedTwice(t *testing.T) {
	const id = "0b4e3c1a-8f2d-4c6e-9a1b-2d3e4f5a6b7c"
	s, _ := newStore(t)
	writeFile(t, filepath.Join(s.dirPath(), "device_id"), []byte(id+"\n"))
	// Upper-case ids, an unreadable time and unknown members must not make
	// a reached milestone count again.
	writeFile(t, filepath.Join(s.dirPath(), "milestones.json"), []byte(`{"installation_id":"`+strings.ToUpper(id)+
		`","extra":true,"milestones":{"first_run":"yesterday","first_deploy":"2026-01-02T05:04:05+02:00"}}`))
	got, err := s.Recorded()
	if err == nil || !strings.Contains(err.Error(), "first_run") {
		t.Fatalf("Recorded error = %v, want it to name first_run", err)
	}
	if len(got) != 2 || !got["first_run"].IsZero() || !got["first_deploy"].Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("Recorded = %v", got)
	}
	var n int
	for _, name := range []string{"first_run", "first_deploy"} {
		if rec, err := s.Record(name, counter(&n)); rec || err != nil || n != 0 {
			t.Fatalf("Record(%s) = %v, %v, emits %d; want already recorded", name, rec, err, n)
		}
	}
}

func TestRecordConcurrentGoroutines(t *testing.T) {
	s, _ := newStore(t)
	var emits, recs atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A Store per goroutine, as separate runs would have.
			// A generous wait: this test is about exclusion, not the timeout.
			gs := New(s.Dir(), nil)
			gs.lockWait = 30 * time.Second
			rec, err := gs.Record("first_run", func() error { emits.Add(1); return nil })
			if err != nil {
				t.Error(err)
			}
			if rec {
				recs.Add(1)
			}
		}()
	}
	wg.Wait()
	if emits.Load() != 1 || recs.Load() != 1 {
		t.Fatalf("emits %d, recorded %d; want 1, 1", emits.Load(), recs.Load())
	}
}

func TestLockBusy(t *testing.T) {
	s, _ := newStore(t)
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	l, err := statedir.New(s.dirPath()).TryLock(statedir.StateLock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	s.lockWait = 50 * time.Millisecond
	start := time.Now()
	if _, err := s.Record("first_run", func() error { t.Fatal("emit called without the lock"); return nil }); !errors.Is(err, statedir.ErrLocked) || !strings.Contains(err.Error(), "busy") {
		t.Fatalf("Record with the lock held: %v", err)
	}
	if _, _, err := s.DeviceID(); !errors.Is(err, statedir.ErrLocked) {
		t.Fatalf("DeviceID with the lock held: %v", err)
	}
	if _, err := s.Claim("usage", time.Hour, func() error { t.Fatal("fn called without the lock"); return nil }); !errors.Is(err, statedir.ErrLocked) {
		t.Fatalf("Claim with the lock held: %v", err)
	}
	if _, err := s.ResetDeviceID(); !errors.Is(err, statedir.ErrLocked) {
		t.Fatalf("ResetDeviceID with the lock held: %v", err)
	}
	if d := time.Since(start); d > 3500*time.Millisecond { // 4 × 50 ms, not 4 × 1 s
		t.Fatalf("waited %v for a busy lock", d)
	}
	// A busy lock does not make the directory unwritable.
	if err := s.Prepare(); err != nil {
		t.Fatalf("Prepare with the lock held by a peer: %v", err)
	}
	l.Unlock()
	if rec, err := s.Record("first_run", nil); !rec || err != nil {
		t.Fatalf("Record after unlock = %v, %v", rec, err)
	}
}

func TestMode(t *testing.T) {
	s, _ := newStore(t)
	for _, bad := range []string{"", "ON", "debug", "true"} {
		if err := s.SetMode(bad); err == nil {
			t.Errorf("SetMode(%q): want error", bad)
		}
	}
	if _, err := os.Stat(s.dirPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a rejected SetMode created the dir")
	}
	for _, m := range []string{"off", "local", "on"} {
		if err := s.SetMode(m); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Mode(); got != m || err != nil {
			t.Fatalf("Mode = %q, %v; want %q", got, err, m)
		}
	}
	writeFile(t, filepath.Join(s.dirPath(), "mode"), []byte("  weird value \r\n"))
	if got, err := s.Mode(); got != "weird value" || err != nil {
		t.Fatalf("Mode = %q, %v", got, err)
	}
	writeFile(t, filepath.Join(s.dirPath(), "mode"), []byte(strings.Repeat("x", 4096)))
	if got, err := s.Mode(); got != "" || err == nil {
		t.Fatalf("huge mode file: Mode = %q, %v; want an error", got, err)
	}
}

func TestNotice(t *testing.T) {
	s, c := newStore(t)
	if s.NoticeShown("v1") || s.NoticeShown(LegacyNotice) {
		t.Fatal("NoticeShown before marking")
	}
	if err := s.MarkNoticeShown("v1"); err != nil {
		t.Fatal(err)
	}
	if !s.NoticeShown("v1") || !New(s.Dir(), nil).NoticeShown("v1") {
		t.Fatal("NoticeShown false after marking")
	}
	if got := readFile(t, filepath.Join(s.dirPath(), "notice_shown")); got != formatTime(c.now())+"\nv1\n" {
		t.Fatalf("notice_shown = %q", got)
	}
	// A notice that now describes something else is shown again.
	if s.NoticeShown("v2") || s.NoticeShown(LegacyNotice) {
		t.Fatal("NoticeShown true for another version of the notice")
	}
	// A marker written by 0.1.0 holds a time alone: it stands for the notice
	// of then, not for today's.
	writeFile(t, filepath.Join(s.dirPath(), "notice_shown"), []byte(formatTime(c.now())+"\n"))
	if !s.NoticeShown(LegacyNotice) || s.NoticeShown("v1") {
		t.Fatal("a 0.1.0 marker is not read as the legacy notice")
	}
}

func TestClaim(t *testing.T) {
	const interval = 12 * time.Hour
	ticket := func(s *Store) string { return filepath.Join(s.dirPath(), "ticket-usage") }
	for _, tc := range []struct {
		name    string
		content string // "" means no ticket file
		offset  time.Duration
		due     bool
	}{
		{"absent", "", 0, true},
		{"just claimed", "T", 0, false},
		{"not yet due", "T", -(interval - time.Second), false},
		{"due exactly", "T", -interval, true},
		{"overdue", "T", -3 * interval, true},
		{"slightly in the future", "T", time.Hour, false},
		{"interval in the future", "T", interval, false},
		{"clock moved back", "T", interval + time.Second, true},
		{"garbage", "not a time", 0, true},
		{"truncated", "2026-11-23T0", 0, true},
		{"empty", "\n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newStore(t)
			if tc.content != "" {
				content := tc.content
				if content == "T" {
					content = formatTime(c.now().Add(tc.offset)) + "\n"
				}
				writeFile(t, ticket(s), []byte(content))
			}
			before, _ := os.ReadFile(ticket(s))
			var n int
			claimed, err := s.Claim("usage", interval, counter(&n))
			if err != nil {
				t.Fatal(err)
			}
			if claimed != tc.due || n != map[bool]int{true: 1, false: 0}[tc.due] {
				t.Fatalf("Claim = %v with %d calls; want %v", claimed, n, tc.due)
			}
			after, _ := os.ReadFile(ticket(s))
			if tc.due {
				if string(after) != formatTime(c.now())+"\n" {
					t.Fatalf("ticket = %q after a claim", after)
				}
				if last, ok := s.LastClaim("usage"); !ok || !last.Equal(c.now()) {
					t.Fatalf("LastClaim = %v, %v", last, ok)
				}
			} else if string(after) != string(before) {
				t.Fatalf("ticket changed from %q to %q without a claim", before, after)
			}
		})
	}
}

func TestClaimSequence(t *testing.T) {
	s, c := newStore(t)
	var n int
	claim := func() bool {
		t.Helper()
		ok, err := s.Claim("update", time.Hour, counter(&n))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim() || claim() {
		t.Fatal("want claimed once")
	}
	c.add(59 * time.Minute)
	if claim() {
		t.Fatal("claimed before the interval")
	}
	c.add(time.Minute)
	if !claim() || n != 2 {
		t.Fatalf("want a second claim after the interval, calls %d", n)
	}
	// Another ticket is independent.
	if ok, err := s.Claim("usage", time.Hour, nil); !ok || err != nil {
		t.Fatalf("other ticket: %v, %v", ok, err)
	}
	boom := errors.New("queue full")
	c.add(2 * time.Hour)
	last, _ := s.LastClaim("update")
	if ok, err := s.Claim("update", time.Hour, func() error { return boom }); ok || !errors.Is(err, boom) {
		t.Fatalf("failing fn: %v, %v", ok, err)
	}
	if got, _ := s.LastClaim("update"); !got.Equal(last) {
		t.Fatalf("ticket moved to %v after a failed fn", got)
	}
	for _, bad := range []string{"", "../device_id", "a/b", "Usage", strings.Repeat("a", 65)} {
		if _, err := s.Claim(bad, time.Hour, nil); err == nil {
			t.Errorf("Claim(%q): want error", bad)
		}
		if _, ok := s.LastClaim(bad); ok {
			t.Errorf("LastClaim(%q) = true", bad)
		}
	}
}

// dirPath is the state dir's path, for tests that look at the disk directly.
func (s *Store) dirPath() string { return s.dir.Path() }

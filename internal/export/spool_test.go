package export

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
)

func TestSpoolRoundTrip(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "spool")
	clk := newFakeClock()
	s := OpenSpool(statedir.New(state), SpoolOptions{Now: clk.Now})
	appends := []struct {
		kind    Kind
		sig     Signal
		payload string
	}{
		{KindMilestone, Logs, "m1"},
		{KindMetrics, Metrics, "x1"},
		{KindUsage, Logs, "u1"},
		{KindHeartbeat, Logs, "h1"},
		{KindMetrics, Metrics, "x2"},
		{KindErrorReport, Logs, "e1"},
	}
	for _, a := range appends {
		clk.Add(time.Second)
		if err := s.Append(a.kind, a.sig, []byte(a.payload)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := payloadsOf(t, s, Logs), []string{"m1", "u1", "h1", "e1"}; !slices.Equal(got, want) {
		t.Fatalf("logs = %q, want %q", got, want)
	}
	if got, want := payloadsOf(t, s, Metrics), []string{"x1", "x2"}; !slices.Equal(got, want) {
		t.Fatalf("metrics = %q, want %q", got, want)
	}
	st, err := s.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 6 || st.Bytes != int64(6*(headerLen+2)) {
		t.Fatalf("stat = %+v, want 6 entries of %d bytes", st, headerLen+2)
	}
	wantKinds := map[Kind]int{KindMilestone: 1, KindMetrics: 2, KindUsage: 1, KindHeartbeat: 1, KindErrorReport: 1}
	if mustJSON(st.ByKind) != mustJSON(wantKinds) {
		t.Fatalf("ByKind = %v, want %v", st.ByKind, wantKinds)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("spool dir mode %v, %v; want 0700", fi.Mode().Perm(), err)
		}
		for _, n := range dirNames(t, dir) {
			fi, _ := os.Stat(filepath.Join(dir, n))
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("%s mode %v, want 0600", n, fi.Mode().Perm())
			}
		}
	}
	b, _ := s.batch(Logs, 1<<20)
	if err := s.remove(b); err != nil {
		t.Fatal(err)
	}
	if err := s.remove(b); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
	if got := payloadsOf(t, s, Logs); len(got) != 0 {
		t.Fatalf("after remove: %q", got)
	}
	if !s.HasPending() {
		t.Fatal("HasPending = false with metrics entries left")
	}
	if err := s.Clear(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("Clear left %q", names)
	}
	if s.HasPending() {
		t.Fatal("HasPending = true after Clear")
	}
}

func TestSpoolRejectsBadInput(t *testing.T) {
	s := OpenSpool(statedir.New(t.TempDir()), SpoolOptions{})
	for _, tc := range []struct {
		kind Kind
		sig  Signal
		p    []byte
	}{
		{0, Logs, []byte("x")},
		{KindMetrics + 1, Logs, []byte("x")},
		{KindUsage, 0, []byte("x")},
		{KindUsage, Metrics + 1, []byte("x")},
		{KindUsage, Logs, nil},
	} {
		err := s.Append(tc.kind, tc.sig, tc.p)
		if err == nil || !strings.HasPrefix(err.Error(), "export: ") {
			t.Errorf("Append(%v, %v, %q) = %v, want an exporter error", tc.kind, tc.sig, tc.p, err)
		}
	}
	if st, _ := s.Stat(); st.Pending != 0 {
		t.Fatalf("bad input was stored: %+v", st)
	}
}

func TestSpoolOpenAndStatCreateNothing(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	s := OpenSpool(statedir.New(state), SpoolOptions{})
	if s.HasPending() {
		t.Fatal("HasPending on a missing dir")
	}
	if err := s.Maintain(); err != nil {
		t.Fatalf("Maintain on a missing dir: %v", err)
	}
	st, err := s.Stat()
	if err != nil || st.Pending != 0 || st.Bytes != 0 {
		t.Fatalf("Stat = %+v, %v; want empty", st, err)
	}
	if err := s.Clear(); err != nil {
		t.Fatalf("Clear on a missing dir: %v", err)
	}
	if b, err := s.batch(Logs, 1<<20); err != nil || len(b) != 0 {
		t.Fatalf("batch on a missing dir = %v, %v", b, err)
	}
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("state dir exists after read-only calls: %v", err)
	}
}

// Append never evicts (its cost must not depend on the spool's size);
// Maintain, run by the uploader, brings the spool back under its cap by
// dropping usage, heartbeat and metrics entries oldest-first before
// milestones and error reports.
func TestSpoolMaintainEvictsLowPriorityFirst(t *testing.T) {
	const plen = 100
	entry := int64(headerLen + plen)
	clk := newFakeClock()
	s := OpenSpool(statedir.New(t.TempDir()), SpoolOptions{Cap: 5 * entry, Now: clk.Now})
	add := func(kind Kind, name string) error {
		clk.Add(time.Minute)
		p := bytes.Repeat([]byte{'.'}, plen)
		copy(p, name)
		return s.Append(kind, Logs, p)
	}
	held := func() []string {
		var out []string
		for _, p := range payloadsOf(t, s, Logs) {
			out = append(out, strings.TrimRight(p, "."))
		}
		return out
	}
	steps := []struct {
		kind Kind
		name string
		want []string
	}{
		{KindMilestone, "m1", []string{"m1"}},
		{KindHeartbeat, "h1", []string{"m1", "h1"}},
		{KindUsage, "u1", []string{"m1", "h1", "u1"}},
		{KindMilestone, "m2", []string{"m1", "h1", "u1", "m2"}},
		{KindMetrics, "x1", []string{"m1", "h1", "u1", "m2", "x1"}},
		// Full: each Maintain now evicts the oldest low-priority entry...
		{KindHeartbeat, "h2", []string{"m1", "u1", "m2", "x1", "h2"}},
		{KindErrorReport, "e1", []string{"m1", "m2", "x1", "h2", "e1"}},
		{KindMilestone, "m3", []string{"m1", "m2", "h2", "e1", "m3"}},
		{KindMilestone, "m4", []string{"m1", "m2", "e1", "m3", "m4"}},
		// ...a low-priority entry never displaces a milestone...
		{KindUsage, "u2", []string{"m1", "m2", "e1", "m3", "m4"}},
		// ...and milestones displace the oldest of their own tier.
		{KindMilestone, "m5", []string{"m2", "e1", "m3", "m4", "m5"}},
	}
	for i, st := range steps {
		if err := add(st.kind, st.name); err != nil {
			t.Fatalf("append %s: %v; Append must not refuse an entry that fits the cap", st.name, err)
		}
		if got := held(); len(got) != min(i, 5)+1 || got[len(got)-1] != st.name {
			t.Fatalf("after appending %s: spool holds %v; Append must only add", st.name, got)
		}
		if err := s.Maintain(); err != nil {
			t.Fatalf("Maintain after %s: %v", st.name, err)
		}
		if got := held(); !slices.Equal(got, st.want) {
			t.Fatalf("after %s: spool holds %v, want %v", st.name, got, st.want)
		}
	}
	if st, _ := s.Stat(); st.Bytes > 5*entry {
		t.Fatalf("spool over its cap: %+v", st)
	}
}

func TestSpoolEntryLargerThanCap(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "spool")
	s := OpenSpool(statedir.New(state), SpoolOptions{Cap: 64})
	err := s.Append(KindMilestone, Logs, make([]byte, 64))
	if !errors.Is(err, ErrSpoolFull) {
		t.Fatalf("err = %v, want ErrSpoolFull", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an oversized entry touched the disk: %v", err)
	}
	if err := s.Append(KindMilestone, Logs, make([]byte, 64-headerLen)); err != nil {
		t.Fatalf("an entry of exactly the cap: %v", err)
	}
}

func TestSpoolMaxAge(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "spool")
	clk := newFakeClock()
	s := OpenSpool(statedir.New(state), SpoolOptions{MaxAge: 30 * 24 * time.Hour, Now: clk.Now})
	if err := s.Append(KindMilestone, Logs, []byte("old")); err != nil {
		t.Fatal(err)
	}
	clk.Add(29 * 24 * time.Hour)
	if err := s.Append(KindMilestone, Logs, []byte("mid")); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stat(); st.Pending != 2 {
		t.Fatalf("at 29 days: pending %d, want 2", st.Pending)
	}
	clk.Add(2 * 24 * time.Hour)
	if st, _ := s.Stat(); st.Pending != 1 {
		t.Fatalf("at 31 days: pending %d, want 1", st.Pending)
	}
	if n := len(dirNames(t, dir)); n != 2 {
		t.Fatalf("Stat removed files: %d left, want 2", n)
	}
	if err := s.Append(KindUsage, Logs, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if n := len(dirNames(t, dir)); n != 3 {
		t.Fatalf("Append looked at the other entries: %d files, want 3 (the expired one is Maintain's to drop)", n)
	}
	if err := s.Maintain(); err != nil {
		t.Fatal(err)
	}
	if n := len(dirNames(t, dir)); n != 2 {
		t.Fatalf("Maintain kept the expired entry: %d files, want 2", n)
	}
	if got, want := payloadsOf(t, s, Logs), []string{"mid", "new"}; !slices.Equal(got, want) {
		t.Fatalf("pending %q, want %q", got, want)
	}
	clk.Add(60 * 24 * time.Hour)
	if got := payloadsOf(t, s, Logs); len(got) != 0 {
		t.Fatalf("expired entries were read: %q", got)
	}
	if n := len(dirNames(t, dir)); n != 0 {
		t.Fatalf("reading left %d expired files", n)
	}
}

// Reading the spool removes the damaged entries Waymark wrote and the temp
// files its crashed writers left, and never touches anything else in the
// folder, whatever it is named.
func TestSpoolSkipsDamagedAndLeavesForeignFiles(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "spool")
	clk := newFakeClock()
	s := OpenSpool(statedir.New(state), SpoolOptions{Now: clk.Now})
	for _, p := range []string{"good-1", "good-2"} {
		clk.Add(time.Second)
		if err := s.Append(KindMilestone, Logs, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	at := clk.Now().Add(-time.Hour).UnixNano()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	good := encodeEntry(KindMilestone, Logs, []byte("a payload"))
	named := func(i uint64) string {
		return entryName(at, KindMilestone, Logs, int64(len(good)), i)
	}
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-1] ^= 1
	badMagic := bytes.Clone(good)
	copy(badMagic, "JUNK")
	wrongKind := encodeEntry(KindUsage, Logs, []byte("a payload"))
	wrongSig := encodeEntry(KindMilestone, Metrics, []byte("a payload"))
	damaged := map[string][]byte{
		named(1):                       good[:len(good)-3], // truncated
		named(2):                       nil,                // zero length
		named(3):                       badCRC,
		named(4):                       badMagic,
		named(5):                       wrongKind, // header disagrees with the name
		named(6):                       wrongSig,
		named(7):                       append(bytes.Clone(good), 'x'), // longer than named
		"." + named(9) + ".tmp-123456": good[:5],                       // a crashed writer's temp file
	}
	foreign := map[string][]byte{
		"notes.txt": []byte("a foreign file"),
		"0000000000000000-11-00000019-0000000000000000.spool.bak": good,
		strings.ToUpper(named(8)):                                 good, // not canonical
		".garbage.tmp-1":                                          []byte("x"),
		".notes.txt.tmp-1":                                        []byte("y"),
		"spool":                                                   []byte("z"),
	}
	for name, data := range damaged {
		write(name, data)
	}
	for name, data := range foreign {
		write(name, data)
	}
	// An Append in progress elsewhere: its temp file must be left alone.
	fresh := "." + entryName(clk.Now().UnixNano(), KindUsage, Logs, 40, 99) + ".tmp-777"
	write(fresh, []byte("half"))
	if err := os.Mkdir(filepath.Join(dir, "subdir"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A directory named like an entry is not an entry either.
	entryDir := named(10)
	if err := os.Mkdir(filepath.Join(dir, entryDir), 0o700); err != nil {
		t.Fatal(err)
	}

	before := len(dirNames(t, dir))
	if st, err := s.Stat(); err != nil || st.Pending != 9 {
		// Stat trusts names: the 2 good and the 7 well-named damaged entries.
		t.Fatalf("Stat = %+v, %v", st, err)
	}
	if after := len(dirNames(t, dir)); after != before {
		t.Fatalf("Stat removed files: %d -> %d", before, after)
	}
	if got, want := payloadsOf(t, s, Logs), []string{"good-1", "good-2"}; !slices.Equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
	checkForeign := func() {
		t.Helper()
		for name, data := range foreign {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("foreign file %s: %q, %v; want it untouched", name, got, err)
			}
		}
		for _, d := range []string{"subdir", entryDir} {
			if fi, err := os.Lstat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
				t.Errorf("directory %s: %v; want it untouched", d, err)
			}
		}
	}
	checkForeign()
	left := dirNames(t, dir)
	var entries []string
	for _, n := range left {
		if _, ok := parseEntryName(n); ok && n != entryDir {
			entries = append(entries, n)
		} else if _, isForeign := foreign[n]; !isForeign && n != fresh && n != "subdir" && n != entryDir {
			t.Errorf("left behind: %s", n)
		}
	}
	if len(entries) != 2 || !slices.Contains(left, fresh) {
		t.Fatalf("after reading, the dir holds %q", left)
	}
	if st, _ := s.Stat(); st.Pending != 2 {
		t.Fatalf("pending %d after cleanup, want 2", st.Pending)
	}
	// Once the temp file is old, it is a crash leftover and goes too.
	clk.Add(2 * staleTemp)
	if err := s.Maintain(); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(dirNames(t, dir), fresh) {
		t.Fatal("a stale temp file was kept")
	}
	// Clearing the spool (telemetry disable, reset) takes Waymark's entries
	// and nothing else.
	if err := s.Clear(); err != nil {
		t.Fatal(err)
	}
	checkForeign()
	for _, n := range dirNames(t, dir) {
		if _, isForeign := foreign[n]; !isForeign && n != "subdir" && n != entryDir {
			t.Errorf("Clear left %s", n)
		}
	}
}

func TestEntryNameRoundTrip(t *testing.T) {
	n := entryName(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano(), KindHeartbeat, Metrics, 1234, 0xdeadbeef)
	r, ok := parseEntryName(n)
	if !ok || r.kind != KindHeartbeat || r.sig != Metrics || r.size != 1234 || r.name != n {
		t.Fatalf("parse(%q) = %+v, %v", n, r, ok)
	}
	for _, bad := range []string{"", "x.spool", n[:len(n)-1], n + "x", strings.Replace(n, "-42-", "-02-", 1),
		strings.Replace(n, "-42-", "-43-", 1), strings.Replace(n, "-42-", "-62-", 1)} {
		if _, ok := parseEntryName(bad); ok {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(KindMilestone, Logs, []byte("hello")))
	f.Add([]byte("WMSP"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, sig, p, err := decodeEntry(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeEntry(kind, sig, p), b) {
			t.Fatalf("accepted an entry that does not re-encode to itself")
		}
	})
}

func TestSpoolConcurrentGoroutines(t *testing.T) {
	s := OpenSpool(statedir.New(t.TempDir()), SpoolOptions{Cap: 1 << 30})
	const workers, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	done := make(chan struct{})
	// A reader runs alongside: it must never take an Append's temp file.
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
				if _, err := s.batch(Logs, 1<<20); err != nil {
					errs <- err
				}
			}
		}
	})
	var writers sync.WaitGroup
	for w := range workers {
		writers.Go(func() {
			for i := range each {
				if err := s.Append(KindUsage, Logs, fmt.Appendf(nil, "g%d-%d", w, i)); err != nil {
					errs <- err
				}
			}
		})
	}
	writers.Wait()
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var want []string
	for w := range workers {
		for i := range each {
			want = append(want, fmt.Sprintf("g%d-%d", w, i))
		}
	}
	got := payloadsOf(t, s, Logs)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
}

func TestSpoolConcurrentProcesses(t *testing.T) {
	dir := t.TempDir()
	const procs, each = 4, 50
	var cmds []*exec.Cmd
	var stderrs []*bytes.Buffer
	for p := range procs {
		cmd := helperCmd(t, "append", "WAYMARK_HELPER_DIR="+dir,
			fmt.Sprintf("WAYMARK_HELPER_ID=%d", p), fmt.Sprintf("WAYMARK_HELPER_N=%d", each))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		stderrs = append(stderrs, &stderr)
	}
	// This process appends and reads alongside the children.
	s := OpenSpool(statedir.New(dir), SpoolOptions{Cap: 1 << 30})
	for i := range each {
		if err := s.Append(KindUsage, Logs, fmt.Appendf(nil, "proc-parent-%d", i)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.batch(Logs, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("child: %v: %s", err, stderrs[i])
		}
	}
	want := map[string]bool{}
	for i := range each {
		want[fmt.Sprintf("proc-parent-%d", i)] = true
		for p := range procs {
			want[fmt.Sprintf("proc-%d-%d", p, i)] = true
		}
	}
	got := payloadsOf(t, s, Logs)
	for _, p := range got {
		if !want[p] {
			t.Fatalf("unexpected or duplicate payload %q", p)
		}
		delete(want, p)
	}
	if len(want) != 0 {
		t.Fatalf("%d entries lost, e.g. %v", len(want), slices.Sorted(maps.Keys(want))[0])
	}
}

// crcIEEE is the checksum decodeEntry checks with hash/crc32.
func FuzzCRCIEEE(f *testing.F) {
	f.Add(uint32(0), []byte(""))
	f.Add(uint32(0xdeadbeef), []byte("WMSP entry payload"))
	f.Fuzz(func(t *testing.T, crc uint32, p []byte) {
		if got, want := crcIEEE(crc, p), crc32.Update(crc, crc32.IEEETable, p); got != want {
			t.Fatalf("crcIEEE(%#x, %q) = %#x, crc32 %#x", crc, p, got, want)
		}
	})
}

// entryName is written by hand; it must stay the name fmt made of it, which
// spools on disk already carry.
func FuzzEntryNameFormat(f *testing.F) {
	f.Add(int64(1764000000000000000), uint8(1), uint8(1), int64(495), uint64(0x4a780192c66c77b0))
	f.Add(int64(-5), uint8(5), uint8(2), int64(1<<40), uint64(0))
	f.Fuzz(func(t *testing.T, at int64, kind, sig uint8, size int64, rnd uint64) {
		want := fmt.Sprintf("%016x-%d%d-%08x-%016x%s", uint64(max(at, 0)), kind, sig, uint32(size), rnd, entryExt)
		if got := entryName(at, Kind(kind), Signal(sig), size, rnd); got != want {
			t.Fatalf("entryName = %q, want %q", got, want)
		}
	})
}

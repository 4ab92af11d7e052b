package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"

	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/statedir"
)

// Concurrent Emits each get the result of their own write: with a spool
// whose cap refuses a large error report but takes a small milestone,
// emitted from many goroutines at once, every milestone's Emit succeeds and
// every error report's Emit fails, and the spool holds exactly the
// milestones. (0.1.0 kept the last error in one shared field, so a failed
// write could be reported to another Emit, and a lost milestone marked as
// recorded.)
func TestConcurrentEmitsGetTheirOwnResult(t *testing.T) {
	failOnHandle(t)
	sp := OpenSpool(statedir.New(t.TempDir()), SpoolOptions{Cap: 4 << 10})
	p, err := NewPipeline(Options{Resource: testResource, Destination: ToSpool, Spool: sp})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	big := strings.Repeat("frame\n", 2<<10) // 12 KiB: over the cap
	const workers, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	var milestoneErrs, reportOKs int
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if (w+i)%2 == 0 {
					err := p.Emit(schema.EventMilestone, attribute.String("milestone.name", fmt.Sprintf("m%d_%d", w, i)))
					if err != nil {
						mu.Lock()
						milestoneErrs++
						mu.Unlock()
						t.Errorf("milestone Emit got %v; its own write succeeded", err)
					}
				} else {
					err := p.Emit(schema.EventErrorReport, attribute.String("exception.stacktrace", big))
					if !errors.Is(err, ErrSpoolFull) {
						mu.Lock()
						reportOKs++
						mu.Unlock()
						t.Errorf("error report Emit got %v; its own write was refused (ErrSpoolFull)", err)
					}
				}
			}
		})
	}
	wg.Wait()
	st, err := sp.Stat()
	if err != nil {
		t.Fatal(err)
	}
	want := workers * each / 2
	if st.ByKind[KindMilestone] != want || st.ByKind[KindErrorReport] != 0 || st.Pending != want {
		t.Fatalf("spool holds %+v, want %d milestones and nothing else", st, want)
	}
	if milestoneErrs != 0 || reportOKs != 0 {
		t.Fatalf("%d milestones reported failed, %d error reports reported written", milestoneErrs, reportOKs)
	}
}

// The same holds in local mode, where the destination is the local log:
// one Emit's failed append does not leak into another's result.
func TestEmitLocalLogResultIsItsOwn(t *testing.T) {
	failOnHandle(t)
	state := t.TempDir()
	d := statedir.New(state)
	p, err := NewPipeline(Options{Resource: testResource, Destination: ToLocalLog, LocalLog: d})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	if err := p.Emit(schema.EventMilestone, attribute.String("milestone.name", "first_run")); err != nil {
		t.Fatal(err)
	}
	// Replace the log by a link: the next append must fail, and only it.
	local := filepath.Join(state, string(statedir.LocalLog))
	outside := filepath.Join(t.TempDir(), "user-file")
	if err := os.WriteFile(outside, []byte("the user's\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(local)
	symlink(t, outside, local)
	if err := p.Emit(schema.EventUsage); !errors.Is(err, statedir.ErrUnsafe) {
		t.Fatalf("Emit into a linked local log: %v, want ErrUnsafe", err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "the user's\n" {
		t.Fatalf("the link's target was written: %q", b)
	}
	os.Remove(local)
	if err := p.Emit(schema.EventUsage); err != nil {
		t.Fatalf("the Emit after a failed one: %v", err)
	}
}

// An event the schema does not know is refused, not spooled under some tier.
func TestEmitUnknownEvent(t *testing.T) {
	failOnHandle(t)
	sp := OpenSpool(statedir.New(t.TempDir()), SpoolOptions{})
	p, _ := NewPipeline(Options{Resource: testResource, Destination: ToSpool, Spool: sp})
	defer p.Shutdown(context.Background())
	if err := p.Emit("waymark.something_else"); err == nil {
		t.Fatal("Emit of an event outside the schema succeeded")
	}
	if sp.HasPending() {
		t.Fatal("an unknown event was spooled")
	}
}

// writeEntries plants n valid entries of kind, written at, into the spool
// folder of state, as earlier runs would have left them.
func writeEntries(tb testing.TB, state string, n int, kind Kind, at time.Time, plen int) {
	tb.Helper()
	dir := filepath.Join(state, "spool")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	data := encodeEntry(kind, Logs, bytes.Repeat([]byte("x"), plen))
	for i := range n {
		name := entryName(at.UnixNano()+int64(i), kind, Logs, int64(len(data)), uint64(i))
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
}

// Append costs one file write whatever the spool holds: with 10 000 entries
// that are all expired and together far over the cap, it neither drops nor
// evicts anything (0.1.0 scanned the whole spool on every Append: a spool of
// 100 000 entries cost the host 3 s at exit). The uploader's Maintain does
// that work.
func TestAppendDoesNotScanTheSpool(t *testing.T) {
	state := t.TempDir()
	clk := newFakeClock()
	n := 10000
	if runtime.GOOS == "windows" {
		n = 1000 // Wine makes 10000 files in about 100 s
	}
	writeEntries(t, state, n, KindUsage, clk.Now().Add(-48*time.Hour), 200)
	s := OpenSpool(statedir.New(state), SpoolOptions{Cap: 1 << 20, MaxAge: 24 * time.Hour, Now: clk.Now})
	if err := s.Append(KindMilestone, Logs, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got := len(dirNames(t, filepath.Join(state, "spool"))); got != n+1 {
		t.Fatalf("the spool holds %d files after Append, want %d: Append removed entries", got, n+1)
	}
	if !s.HasPending() {
		t.Fatal("HasPending = false")
	}
	if err := s.Maintain(); err != nil {
		t.Fatal(err)
	}
	if got, want := payloadsOf(t, s, Logs), []string{"new"}; len(got) != 1 || got[0] != want[0] {
		t.Fatalf("after Maintain the spool holds %d entries, want only the new one", len(got))
	}
}

// BenchmarkSpoolAppend measures Append with an empty spool and with large
// ones; the three should cost about the same.
//
//	go test -run '^$' -bench SpoolAppend ./internal/export/
func BenchmarkSpoolAppend(b *testing.B) {
	for _, n := range []int{0, 10000, 100000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			state := b.TempDir()
			writeEntries(b, state, n, KindUsage, time.Now().Add(-time.Hour), 100)
			s := OpenSpool(statedir.New(state), SpoolOptions{Cap: 1 << 20})
			payload := bytes.Repeat([]byte("p"), 200)
			b.ResetTimer()
			for b.Loop() {
				if err := s.Append(KindMilestone, Logs, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSpoolHasPending measures the host's look at the spool at exit.
func BenchmarkSpoolHasPending(b *testing.B) {
	for _, n := range []int{0, 10000, 100000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			state := b.TempDir()
			writeEntries(b, state, n, KindUsage, time.Now().Add(-time.Hour), 100)
			s := OpenSpool(statedir.New(state), SpoolOptions{})
			b.ResetTimer()
			for b.Loop() {
				if s.HasPending() != (n > 0) {
					b.Fatal("HasPending is wrong")
				}
			}
		})
	}
}

// A spool linked to a folder of the user's files is neither listed, read,
// cleaned nor cleared, and nothing is appended there.
func TestSpoolLinkedToUsersFolder(t *testing.T) {
	state, users := t.TempDir(), t.TempDir()
	clk := newFakeClock()
	data := encodeEntry(KindUsage, Logs, []byte("x"))
	files := map[string][]byte{
		entryName(clk.Now().Add(-90*24*time.Hour).UnixNano(), KindUsage, Logs, int64(len(data)), 1): data, // expired
		entryName(clk.Now().UnixNano(), KindUsage, Logs, int64(len(data)), 2):                       data,
		entryName(clk.Now().UnixNano(), KindUsage, Logs, 99, 3):                                     []byte("corrupt"),
		"photo.jpg": []byte("the user's photo"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(users, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	symlink(t, users, filepath.Join(state, "spool"))
	s := OpenSpool(statedir.New(state), SpoolOptions{Cap: 32, Now: clk.Now})
	if err := s.Append(KindMilestone, Logs, []byte("m")); !errors.Is(err, statedir.ErrUnsafe) {
		t.Errorf("Append = %v, want ErrUnsafe", err)
	}
	if err := s.Maintain(); !errors.Is(err, statedir.ErrUnsafe) {
		t.Errorf("Maintain = %v, want ErrUnsafe", err)
	}
	if err := s.Clear(); !errors.Is(err, statedir.ErrUnsafe) {
		t.Errorf("Clear = %v, want ErrUnsafe", err)
	}
	if _, err := s.batch(Logs, 1<<20); !errors.Is(err, statedir.ErrUnsafe) {
		t.Errorf("batch = %v, want ErrUnsafe", err)
	}
	if s.HasPending() {
		t.Error("HasPending = true through a link")
	}
	for name, want := range files {
		if got, err := os.ReadFile(filepath.Join(users, name)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %q, %v; want it untouched", name, got, err)
		}
	}
	if n := len(dirNames(t, users)); n != len(files) {
		t.Errorf("the user's folder holds %d files, want %d", n, len(files))
	}
}

// isUnsafeRune reports the characters Printable must never let through:
// C0 and C1 controls, DEL, and the zero-width and bidirectional controls
// that reorder or hide what a terminal shows.
func isUnsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0xfeff, r == 0x061c:
		return true
	}
	return false
}

func checkPrintable(t *testing.T, in, out string, max int) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Printable(%q) = %q: not valid UTF-8", in, out)
	}
	for _, r := range out {
		if isUnsafeRune(r) {
			t.Fatalf("Printable(%q) = %q keeps %U", in, out, r)
		}
	}
	if len(out) > max+utf8.UTFMax+len("…") {
		t.Fatalf("Printable(%d bytes, %d) = %d bytes", len(in), max, len(out))
	}
}

func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"HTTP 503: Service Unavailable", "HTTP 503: Service Unavailable"},
		{"a\x1b[31mred\x1b[0m", "a [31mred [0m"},
		{"title\x1b]0;pwned\x07", "title ]0;pwned "},
		{"bell\a", "bell "},
		{"c1 csi \u009b31m", "c1 csi  31m"},
		{"next line\u0085", "next line "},
		{"\u202eevil\u202c", "evil"},
		{"\u2066isolate\u2069 \u2067r\u2068", "isolate r"},
		{"zero\u200bwidth\ufeff", "zerowidth"},
		{"arabic mark\u061c", "arabic mark"},
		{"line\nbreak\ttab\rcr", "line break tab cr"},
		{"bad \xff utf-8", "bad ? utf-8"},
		{"del\x7f", "del "},
		{"café 日本", "café 日本"},
	} {
		got := Printable(tc.in, 300)
		if got != tc.want {
			t.Errorf("Printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
		checkPrintable(t, tc.in, got, 300)
	}
	for _, in := range []string{strings.Repeat("a", 10000), strings.Repeat("é", 5000), strings.Repeat("日", 5000), strings.Repeat("\x1b", 5000)} {
		checkPrintable(t, in, Printable(in, 300), 300)
	}
}

// Text from the network stored in upload.json (a reason phrase, a proxy's
// error) is made printable on the way in, and again on the way out, for a
// file written by an older version or by hand.
func TestDeliveryStateStoresOnlyPrintableText(t *testing.T) {
	d := statedir.New(t.TempDir())
	hostile := "HTTP 502 \x1b[2J\x1b]0;owned\x07 \u202etxt.exe\u009b" + strings.Repeat("x", 2000)
	if err := writeDeliveryState(d, DeliveryState{Failures: 1, LastError: hostile}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(d.PathOf(statedir.Delivery))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`\u001b`, `\u0007`, "\u202e", `\u202e`, "\u009b", `\u009b`} {
		if bytes.Contains(raw, []byte(bad)) {
			t.Fatalf("upload.json holds %q: %s", bad, raw)
		}
	}
	if len(raw) > 1000 {
		t.Fatalf("upload.json is %d bytes: the error text is not bounded", len(raw))
	}
	// Written by someone else, read back clean.
	planted := `{"failures":1,"last_error":"\u001b[31mfake security alert\u0007\u202e\u009b"}`
	if err := os.WriteFile(d.PathOf(statedir.Delivery), []byte(planted), 0o600); err != nil {
		t.Fatal(err)
	}
	st := ReadDeliveryState(d)
	checkPrintable(t, planted, st.LastError, maxErrorText)
	if !strings.Contains(st.LastError, "fake security alert") {
		t.Fatalf("LastError = %q, want the text kept", st.LastError)
	}
}

func FuzzPrintable(f *testing.F) {
	f.Add("plain", 300)
	f.Add("\x1b[31m\u202e\u009b\xff", 5)
	f.Add(strings.Repeat("日", 200), 10)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		checkPrintable(t, s, Printable(s, max), max)
	})
}

func FuzzParseEntryName(f *testing.F) {
	f.Add(entryName(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano(), KindHeartbeat, Metrics, 1234, 0xdeadbeef))
	f.Add("0000000000000001-11-00000020-0000000000000001.spool")
	f.Add("ffffffffffffffff-55-ffffffff-ffffffffffffffff.spool")
	f.Add("x.spool")
	f.Fuzz(func(t *testing.T, name string) {
		r, ok := parseEntryName(name)
		if !ok {
			return
		}
		if !statedir.IsSpoolEntry(name) {
			t.Fatalf("%q parses but statedir would not list it", name)
		}
		if !r.kind.valid() || !r.sig.valid() || r.size <= headerLen || r.at < 0 {
			t.Fatalf("%q parsed into %+v", name, r)
		}
		if entryName(r.at, r.kind, r.sig, r.size, 0)[:28] != name[:28] {
			t.Fatalf("%q does not round-trip: %+v", name, r)
		}
	})
}

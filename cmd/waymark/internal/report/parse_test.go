package report

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	line := `{"resourceLogs":[{"resource":{"attributes":[
		{"key":"service.name","value":{"stringValue":"acme"}},
		{"key":"service.version","value":{"stringValue":"1.4.2"}},
		{"key":"app.installation.id","value":{"stringValue":"id-1"}},
		{"key":"session.id","value":{"stringValue":"s-1"}},
		{"key":"os.type","value":{"stringValue":"linux"}},
		{"key":"host.arch","value":{"stringValue":"arm64"}}]},
	  "scopeLogs":[{"scope":{"name":"waymark"},"logRecords":[
		{"timeUnixNano":"1700000000000000000","eventName":"waymark.heartbeat","attributes":[
			{"key":"event.id","value":{"stringValue":"e-1"}},
			{"key":"heartbeat.interval_s","value":{"intValue":"60"}}]},
		{"observedTimeUnixNano":1700000001000000000,"eventName":"waymark.milestone","attributes":[
			{"key":"event.id","value":{"stringValue":"e-2"}},
			{"key":"milestone.name","value":{"stringValue":"first_run"}}]},
		{"timeUnixNano":"1700000000000000000","eventName":"other.event"},
		{"eventName":"waymark.usage"},
		{"timeUnixNano":"1700000000000000000","eventName":"waymark.milestone"}]}]}]}`
	l, err := ParseLine([]byte(strings.ReplaceAll(line, "\n", "")))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Events) != 2 {
		t.Fatalf("got %d events, want 2: %+v", len(l.Events), l.Events)
	}
	hb := l.Events[0]
	want := Event{
		Name: EventHeartbeat, Time: time.Unix(1700000000, 0).UTC(), EventID: "e-1", Product: "acme",
		InstallationID: "id-1", SessionID: "s-1", Version: "1.4.2", OS: "linux", Arch: "arm64",
		HeartbeatInterval: time.Minute,
	}
	if hb != want {
		t.Errorf("heartbeat = %+v\nwant %+v", hb, want)
	}
	if ms := l.Events[1]; ms.Milestone != "first_run" || !ms.Time.Equal(time.Unix(1700000001, 0)) {
		t.Errorf("milestone = %+v; want first_run at its observed time", ms)
	}
	wantSkipped := map[string]int{"not a Waymark event": 1, "no timestamp": 1, "milestone without milestone.name": 1}
	if len(l.Skipped) != len(wantSkipped) {
		t.Errorf("skipped = %v, want %v", l.Skipped, wantSkipped)
	}
	for k, n := range wantSkipped {
		if l.Skipped[k] != n {
			t.Errorf("skipped[%q] = %d, want %d", k, l.Skipped[k], n)
		}
	}
}

func TestParseLineRejects(t *testing.T) {
	for _, in := range []string{
		`garbage`,
		`[1,2]`,
		`{}`,
		`{"foo":1}`,
		`{"resourceLogs":[{"resource":`,
		`{"resourceLogs":"nope"}`,
	} {
		if _, err := ParseLine([]byte(in)); err == nil {
			t.Errorf("ParseLine(%q) succeeded, want an error", in)
		}
	}
	for _, in := range []string{``, "  \t", `{"resourceMetrics":[]}`, `{"resourceSpans":[{}]}`} {
		l, err := ParseLine([]byte(in))
		if err != nil || len(l.Events) != 0 {
			t.Errorf("ParseLine(%q) = %+v, %v; want nothing and no error", in, l, err)
		}
	}
}

func TestReadLine(t *testing.T) {
	in := "short\n" + strings.Repeat("x", 100) + "\nlast"
	r := bufio.NewReaderSize(strings.NewReader(in), 16)
	var got []string
	for {
		line, tooLong, err := readLine(r, 50)
		if tooLong {
			got = append(got, "<too long>")
		} else {
			got = append(got, string(line))
		}
		if err != nil {
			break
		}
	}
	if strings.Join(got, "|") != "short|<too long>|last" {
		t.Errorf("lines = %q", got)
	}
}

func TestReadWarnsWithFileAndLine(t *testing.T) {
	dir := t.TempDir()
	good := `{"resourceLogs":[{"resource":{"attributes":[{"key":"app.installation.id","value":{"stringValue":"i"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","eventName":"waymark.usage","attributes":[{"key":"event.id","value":{"stringValue":"u"}}]}]}]}]}`
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		filepath.Join(dir, "logs.jsonl"):                         good + "\n\x00\x01binary\n",
		filepath.Join(sub, "logs-2026-01-01T00-00-00.000.jsonl"): good + "\n" + good[:40],
		filepath.Join(dir, "notes.txt"):                          "ignored",
		filepath.Join(dir, ".hidden.jsonl"):                      "ignored",
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var warnings []string
	in, err := Read([]string{dir}, func(m string) { warnings = append(warnings, m) })
	if err != nil {
		t.Fatal(err)
	}
	if in.Files != 2 || len(in.Events) != 2 {
		t.Errorf("files, events = %d, %d; want 2, 2", in.Files, len(in.Events))
	}
	want := []string{
		filepath.Join(sub, "logs-2026-01-01T00-00-00.000.jsonl") + ":2: truncated last line",
		filepath.Join(dir, "logs.jsonl") + ":2: not a JSON object",
	}
	if len(warnings) != len(want) {
		t.Fatalf("warnings = %q, want %d", warnings, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(warnings[i], w) {
			t.Errorf("warning %d = %q, want prefix %q", i, warnings[i], w)
		}
	}
	if _, err := Read([]string{filepath.Join(dir, "missing")}, nil); err == nil {
		t.Error("Read of a missing path succeeded")
	}
}

// FuzzParseLine feeds the line parser arbitrary bytes: it must never panic, and whatever it
// accepts must be usable (an installation id, a Waymark event name, a time).
func FuzzParseLine(f *testing.F) {
	for _, name := range []string{"logs.jsonl", "damaged.jsonl", filepath.Join("rotated", "logs-2026-11-19T00-00-00.000.jsonl")} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "store", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"18446744073709551615"}]}]}]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		l, err := ParseLine(line)
		if err != nil {
			return
		}
		for _, ev := range l.Events {
			if ev.InstallationID == "" || ev.Time.IsZero() || !strings.HasPrefix(ev.Name, "waymark.") {
				t.Fatalf("accepted an unusable event %+v from %q", ev, line)
			}
			if ev.HeartbeatInterval < 0 {
				t.Fatalf("negative heartbeat interval from %q", line)
			}
		}
	})
}

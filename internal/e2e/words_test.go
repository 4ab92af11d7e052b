package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/exporter"
)

// TestTelemetryHelpExplainsEachSubcommand: `acme telemetry help`, -h and
// --help describe every subcommand and both flags in words, and exit 0.
func TestTelemetryHelpExplainsEachSubcommand(t *testing.T) {
	t.Parallel()
	in := newInstall(t, "http://127.0.0.1:9")
	for _, arg := range []string{"help", "-h", "--help"} {
		r := in.MustRun(nil, "telemetry", arg)
		for _, want := range []string{
			"  status   Shows whether telemetry is on",
			"  show     Lists, exactly as they go out",
			"  enable   Turns telemetry on",
			"  disable  Turns telemetry off",
			"  local    Records events in a file on this machine",
			"  reset    Gives this machine a new installation id",
			"  --json   With status or show",
			"  --all    With enable, disable or local: save the choice for every",
		} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("acme telemetry %s lacks %q:\n%s", arg, want, r.Stdout)
			}
		}
	}
	if r := in.Run(nil, "telemetry", "bogus"); r.Code != 2 || !strings.Contains(r.Stderr, `Run "acme telemetry help"`) {
		t.Errorf("a wrong subcommand: exit %d, stderr %q; want 2 and a pointer to help", r.Code, r.Stderr)
	}
}

// TestOfflineRunStatusAgreesWithShowInPlainWords: after runs whose upload
// is refused (nobody listens), status --json counts exactly the events show
// --json lists as pending, and so does exporter.Pending; status text gives the error in plain words and
// when the next try is, while --json keeps the raw error.
func TestOfflineRunStatusAgreesWithShowInPlainWords(t *testing.T) {
	t.Parallel()
	addr := reservePort(t)
	in := newInstall(t, "http://"+addr)
	in.MustRun(nil, "hello")
	in.MustRun(nil, "deploy")
	st, ok := waitStatus(t, in, 20*time.Second, func(st map[string]any) bool { return num(st, "delivery.failures") >= 1 })
	if !ok {
		t.Fatalf("no refused upload recorded: %v", st)
	}
	var show struct {
		Pending []json.RawMessage `json:"pending"`
	}
	r := in.MustRun(nil, "telemetry", "show", "--json")
	if err := json.Unmarshal([]byte(r.Stdout), &show); err != nil {
		t.Fatalf("show --json: %v\n%s", err, r.Stdout)
	}
	st = statusJSON(t, in, nil)
	if num(st, "pending") != float64(len(show.Pending)) || len(show.Pending) < 3 {
		t.Errorf("status --json pending %v, show --json lists %d pending (want the same, at least 3)", st["pending"], len(show.Pending))
	}
	if n, err := exporter.Pending(in.StateDir()); err != nil || n != len(show.Pending) {
		t.Errorf("exporter.Pending = %d, %v; show --json lists %d pending", n, err, len(show.Pending))
	}
	if num(st, "pending_metrics") < 1 {
		t.Errorf("status --json pending_metrics %v: the runs' metric counts are not counted apart", st["pending_metrics"])
	}
	if raw, _ := st["last_error"].(string); !strings.Contains(raw, "connection refused") {
		t.Errorf("status --json last_error %q lost the raw detail", raw)
	}
	text := in.MustRun(nil, "telemetry", "status").Stdout
	for _, bad := range []string{"exporter:", `Post "`, "1 failures", "To turn it back on"} {
		if strings.Contains(text, bad) {
			t.Errorf("status text holds %q:\n%s", bad, text)
		}
	}
	for _, want := range []string{"could not reach " + addr + ": connection refused", "the next run will try again",
		fmt.Sprintf("pending events:  %d,", int(num(st, "pending")))} {
		if !strings.Contains(text, want) {
			t.Errorf("status text lacks %q:\n%s", want, text)
		}
	}
	showText := in.MustRun(nil, "telemetry", "show").Stdout
	if strings.Contains(showText, "sent.jsonl") {
		t.Errorf("show names a record of sent events that does not exist yet:\n%s", showText)
	}
}

// TestStatusWhenOffSaysHowToTurnItBackOn: with telemetry off, status does
// not tell the user how to opt out, but what turns it back on, matched to
// the rule that turned it off.
func TestStatusWhenOffSaysHowToTurnItBackOn(t *testing.T) {
	t.Parallel()
	in := newInstall(t, "http://127.0.0.1:9")
	in.MustRun(nil, "telemetry", "disable")
	for _, c := range []struct {
		env  []string
		want string
	}{
		{nil, "To turn it back on: acme telemetry enable"},
		{[]string{"DO_NOT_TRACK=1"}, "unset DO_NOT_TRACK"},
		{[]string{"ACME_TELEMETRY=off"}, "unset ACME_TELEMETRY or set it to on"},
	} {
		text := in.MustRun(c.env, "telemetry", "status").Stdout
		if strings.Contains(text, "To opt out") || !strings.Contains(text, c.want) {
			t.Errorf("status off with %v: want %q and no \"To opt out\":\n%s", c.env, c.want, text)
		}
	}
}

// TestStatusAndShowExplainADamagedPendingEntry: status counts the spool's
// entries by name; when some cannot be read (here a truncated copy and
// random bytes under entry names), show lists fewer events and says how
// many were passed over, so the two counts are explained, not silently
// different.
func TestStatusAndShowExplainADamagedPendingEntry(t *testing.T) {
	t.Parallel()
	addr := reservePort(t)
	in := newInstall(t, "http://"+addr)
	in.MustRun(nil, "hello")
	if _, ok := waitStatus(t, in, 20*time.Second, func(st map[string]any) bool { return num(st, "delivery.failures") >= 1 }); !ok {
		t.Fatal("no refused upload recorded")
	}
	spool := filepath.Join(in.StateDir(), "spool")
	des, err := os.ReadDir(spool)
	if err != nil || len(des) == 0 {
		t.Fatalf("spool: %v, %d entries", err, len(des))
	}
	var logs string
	for _, de := range des {
		// An entry name is <time>-<kind><signal>-<size>-<random>.spool;
		// signal 1 is the logs.
		if parts := strings.Split(de.Name(), "-"); len(parts) == 4 && strings.HasSuffix(parts[1], "1") {
			logs = de.Name()
		}
	}
	if logs == "" {
		t.Fatalf("no event entry among %v", des)
	}
	data, err := os.ReadFile(filepath.Join(spool, logs))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(logs, "-")
	for i, body := range [][]byte{data[:len(data)/2], []byte("\x00\xffnot an entry at all")} {
		name := strings.Join([]string{parts[0], parts[1], parts[2], fmt.Sprintf("00000000deadbee%d.spool", i)}, "-")
		if err := os.WriteFile(filepath.Join(spool, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st := statusJSON(t, in, nil)
	var show struct {
		Pending  []json.RawMessage `json:"pending"`
		Warnings []string          `json:"warnings"`
	}
	r := in.MustRun(nil, "telemetry", "show", "--json")
	if err := json.Unmarshal([]byte(r.Stdout), &show); err != nil {
		t.Fatalf("show --json: %v\n%s", err, r.Stdout)
	}
	if int(num(st, "pending")) != len(show.Pending)+2 {
		t.Fatalf("status --json pending %v, show --json lists %d: want the 2 damaged entries to be the difference", st["pending"], len(show.Pending))
	}
	if !strings.Contains(strings.Join(show.Warnings, "\n"), "2 pending entries cannot be read") {
		t.Errorf("show --json does not say that 2 pending entries were passed over: %q", show.Warnings)
	}
	if text := in.MustRun(nil, "telemetry", "show").Stdout; !strings.Contains(text, "2 pending entries cannot be read") {
		t.Errorf("show does not say that 2 pending entries were passed over:\n%s", text)
	}
}

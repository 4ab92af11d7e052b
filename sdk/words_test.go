package sdk

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestStatusTextSpeaksPlainly: after a refused upload the text gives the
// error in plain words, with the next try in the reader's zone and relative
// to now, and no exporter prefix, request line or "1 failures"; --json keeps
// the raw error (the Status value is not changed by printing it).
func TestStatusTextSpeaksPlainly(t *testing.T) {
	raw := `export: delivery failed, retry later: POST /v1/logs: Post "http://127.0.0.1:4318/v1/logs": dial tcp 127.0.0.1:4318: connect: connection refused`
	zone := time.FixedZone("CET", 3600)
	now := time.Date(2026, 12, 7, 23, 39, 0, 0, zone)
	next := "2026-12-07T22:48:00Z"
	st := Status{
		Product: "acme", Mode: "on", Reason: "no opt-out found", Rule: "default", Pending: 1, PendingMetrics: 1,
		Delivery:  &DeliveryView{Failures: 1, LastError: &raw, NextAttempt: &next},
		LastError: &raw, OptOut: []string{"ACME_TELEMETRY=off"},
	}
	var b strings.Builder
	writeStatus(&b, st, now, false)
	text := b.String()
	for _, bad := range []string{"exporter:", `Post "`, "1 failures", "2026-12-07T"} {
		if strings.Contains(text, bad) {
			t.Errorf("status text holds %q:\n%s", bad, text)
		}
	}
	for _, want := range []string{
		"last error:      could not reach 127.0.0.1:4318: connection refused; the next run will try again after 23:48 CET (in 9 minutes)",
		"pending events:  1, plus 1 batch of metric counts; \"acme telemetry show\" lists them",
		"delivered:       0 events so far",
		"To opt out: ACME_TELEMETRY=off.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status text lacks %q:\n%s", want, text)
		}
	}
	if *st.LastError != raw {
		t.Errorf("printing changed the raw error to %q", *st.LastError)
	}
	st.Delivery.Failures = 3
	b.Reset()
	writeStatus(&b, st, now, false)
	if !strings.Contains(b.String(), "connection refused (3 times in a row); the next run") {
		t.Errorf("three failures:\n%s", b.String())
	}
}

// TestStatusWhenNotOnPromisesNoRetry: a delivery error recorded while
// telemetry was on is still shown when it is off or local, but no next try
// is promised: no run sends anything then.
func TestStatusWhenNotOnPromisesNoRetry(t *testing.T) {
	raw := `exporter: delivery failed, retry later: POST /v1/logs: Post "http://127.0.0.1:4318/v1/logs": dial tcp 127.0.0.1:4318: connect: connection refused`
	now := time.Date(2026, 12, 7, 23, 39, 0, 0, time.UTC)
	next := "2026-12-07T23:48:00Z"
	for _, mode := range []string{"off", "local"} {
		st := Status{
			Product: "acme", Mode: mode, Reason: "DO_NOT_TRACK=1 is set", Rule: "do_not_track", Pending: 1,
			Delivery:  &DeliveryView{Failures: 2, LastError: &raw, NextAttempt: &next},
			LastError: &raw, OptOut: []string{"ACME_TELEMETRY=off"},
		}
		var b strings.Builder
		writeStatus(&b, st, now, false)
		text := b.String()
		if strings.Contains(text, "try again") {
			t.Errorf("mode %s: status promises a retry that no run will make:\n%s", mode, text)
		}
		if want := "could not reach 127.0.0.1:4318: connection refused (2 times in a row); nothing is sent while telemetry is " + mode; !strings.Contains(text, want) {
			t.Errorf("mode %s: status lacks %q:\n%s", mode, want, text)
		}
	}
}

// TestStatusOffSaysHowToTurnItBackOn: when off, the last line says what
// turns telemetry on again for the rule that decided, never how to opt out.
func TestStatusOffSaysHowToTurnItBackOn(t *testing.T) {
	for rule, want := range map[string]string{
		"saved":        "To turn it back on: acme telemetry enable",
		"saved_all":    "To turn it back on: acme telemetry enable",
		"do_not_track": "unset DO_NOT_TRACK",
		"product_env":  "unset ACME_TELEMETRY or set it to on",
		"ci":           "ACME_TELEMETRY=on turns it on there",
		"policy":       "administrator",
		"run_flag":     "acme itself turned it off",
	} {
		var b strings.Builder
		writeStatus(&b, Status{Product: "acme", Mode: "off", Rule: rule, OptOut: []string{"x"}}, time.Now(), false)
		if text := b.String(); strings.Contains(text, "To opt out") || !strings.Contains(text, want) {
			t.Errorf("rule %s: want %q and no \"To opt out\":\n%s", rule, want, text)
		}
	}
}

// A command that cannot save because the state dir is unsafe says so, even
// when a rule that outranks the state dir (here the environment) decided
// the mode: the environment is not why nothing could be saved.
func TestCommandRefusedForAnUnsafeStateDirNamesTheStateDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a state dir made unsafe by its mode bits is a Unix notion")
	}
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	h, _ := testHost(t, map[string]string{"ACME_TELEMETRY": "off"})
	var out, errOut bytes.Buffer
	if code := command(goodConfig(dir), h, []string{"disable"}, &out, &errOut); code != 1 {
		t.Fatalf("disable in an unsafe state dir: exit %d, want 1\n%s%s", code, out.String(), errOut.String())
	}
	if msg := errOut.String(); !strings.Contains(msg, "writable by group or others") || strings.Contains(msg, "ACME_TELEMETRY") {
		t.Fatalf("disable's error does not say why the state dir cannot be used: %q", msg)
	}
}

// TestCommandPrintsAPathWithANewlineOnOneLine: the command's writers keep
// newlines, so a state dir or shared folder named with one (from the
// environment) must not print a line of its own that looks like the
// command's: every line the command prints starts as one of its own.
func TestCommandPrintsAPathWithANewlineOnOneLine(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows file names cannot hold a newline")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "x\nacme telemetry: FORGED")
	shared := filepath.Join(root, "s\nTelemetry is FORGED")
	unsafe := filepath.Join(root, "u\nacme telemetry: FORGED")
	if err := os.Mkdir(unsafe, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(unsafe, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  string
		env  map[string]string
		args []string
	}{
		{dir, nil, []string{"local"}},
		{dir, map[string]string{"WAYMARK_TELEMETRY_DIR": shared}, []string{"disable", "--all"}},
		{dir, map[string]string{"WAYMARK_TELEMETRY_DIR": shared, "ACME_TELEMETRY": "off"}, []string{"enable", "--all"}},
		{unsafe, nil, []string{"enable"}},
		{unsafe, nil, []string{"status"}},
	} {
		h, _ := testHost(t, c.env)
		var out, errOut bytes.Buffer
		command(goodConfig(c.dir), h, c.args, &out, &errOut)
		for _, line := range strings.Split(out.String()+errOut.String(), "\n") {
			if strings.Contains(line, "FORGED") && !strings.Contains(line, "/") {
				t.Errorf("%v: a path's newline printed a line of its own: %q\n%s%s", c.args, line, out.String(), errOut.String())
			}
		}
	}
}

// TestResetWhileOffWritesNoInstallationID: after disable there is no
// installation id; reset while telemetry is off (by the saved choice or by
// the environment) must not write one, and forgets one left over.
func TestResetWhileOffWritesNoInstallationID(t *testing.T) {
	for _, env := range []map[string]string{nil, {"DO_NOT_TRACK": "1"}} {
		dir := t.TempDir()
		h, _ := testHost(t, map[string]string{})
		c, _ := start(goodConfig(dir), h)
		c.Milestone("first_run")
		c.Shutdown(context.Background())
		if env == nil {
			if code := command(goodConfig(dir), h, []string{"disable"}, new(syncBuffer), new(syncBuffer)); code != 0 {
				t.Fatalf("disable: exit %d", code)
			}
		}
		h, _ = testHost(t, env)
		var out, errOut bytes.Buffer
		if code := command(goodConfig(dir), h, []string{"reset"}, &out, &errOut); code != 0 {
			t.Fatalf("reset while off (%v): exit %d\n%s%s", env, code, out.String(), errOut.String())
		}
		for _, f := range []string{"device_id", "milestones.json"} {
			if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
				t.Errorf("reset while off (%v) left %s: %s", env, f, out.String())
			}
		}
		if strings.Contains(out.String(), "new installation id") {
			t.Errorf("reset while off (%v) claims a new installation id: %q", env, out.String())
		}
	}
}

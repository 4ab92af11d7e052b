//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// The black-box proof that text a terminal sees cannot steer it: hostile
// crash texts and state-dir paths reach every output of the telemetry
// command only escaped or replaced. (Linux: a pseudo-terminal answers the
// crash prompt.)

// hostileCrash holds ESC, BEL, a C1 CSI and bidirectional controls.
const hostileCrash = "boom \x1b]0;pwned\x07 \x1b[2J csi\u009b31m \u202eexe.txt \u2066iso\u2069 \u200fmark"

// terminalControl reports what must never reach a terminal raw: C0 controls
// but newline, DEL, C1 and the invisible format characters.
func terminalControl(r rune) bool {
	return r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r)
}

func requireNoControl(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range out {
		if terminalControl(r) {
			t.Errorf("%s holds %U raw:\n%q", what, r, out)
			return
		}
	}
}

// Acceptance 6: a crash report holding escape sequences, C1 and bidi
// controls, once sent, shows in `telemetry show` and `show --json` with none
// of them raw; a state dir whose path holds them shows in `telemetry
// local`, `status` (its local events and why lines) and `status --json`
// with none of them raw.
func TestHostileTextNeverReachesTheTerminalRaw(t *testing.T) {
	col := newCollector(t)
	in := newInstall(t, col.URL)
	if out, code := runTTY(t, in.Cmd(acmeBin, nil, "crash", hostileCrash), "[y/N]", "y\r"); code == 0 {
		t.Fatalf("acme crash exited 0:\n%s", out)
	}
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.error_report")) > 0 }) {
		t.Fatal("the crash report never arrived")
	}
	if msg := col.Named("waymark.error_report")[0].Attrs["exception.message"]; !strings.Contains(msg, "\u202e") || !strings.Contains(msg, "\u009b") {
		t.Fatalf("the report as sent lacks the hostile characters, so the test proves nothing: %q", msg)
	}
	var shown string
	if !col.WaitFor(deliveryWait, func() bool {
		shown = in.MustRun(nil, "telemetry", "show", "--json").Stdout
		return strings.Contains(shown, "exe.txt")
	}) {
		t.Fatalf("show --json does not list the report:\n%s", shown)
	}
	requireNoControl(t, "telemetry show --json", shown)
	if !strings.Contains(shown, `\u202e`) || !strings.Contains(shown, `\u009b`) {
		t.Errorf("show --json lost the characters instead of escaping them:\n%s", shown)
	}
	requireNoControl(t, "telemetry show", in.MustRun(nil, "telemetry", "show").Stdout)

	// A state dir whose path holds the same controls.
	base := tempDir(t)
	dir := filepath.Join(base, "st\x1b[31mate\x07\u009b\u202edir")
	env := []string{"ACME_TELEMETRY_DIR=" + dir}
	r := in.MustRun(env, "telemetry", "local")
	if !strings.Contains(r.Stdout, "is local") {
		t.Fatalf("telemetry local: %q", r.Stdout)
	}
	requireNoControl(t, "telemetry local", r.Stdout+r.Stderr)
	in.MustRun(env, "hello")
	r = in.MustRun(env, "telemetry", "status")
	if !strings.Contains(r.Stdout, "local events:") {
		t.Fatalf("status shows no local events line:\n%s", r.Stdout)
	}
	requireNoControl(t, "telemetry status (local)", r.Stdout+r.Stderr)
	requireNoControl(t, "telemetry status --json (local)", in.MustRun(env, "telemetry", "status", "--json").Stdout)
	requireNoControl(t, "telemetry show (local)", in.MustRun(env, "telemetry", "show").Stdout)
	// Unsafe: the why line names the path.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	r = in.MustRun(env, "telemetry", "status")
	if !strings.Contains(r.Stdout, "writable by group or others") {
		t.Fatalf("status does not say why the state dir is not used:\n%s", r.Stdout)
	}
	requireNoControl(t, "telemetry status (unsafe)", r.Stdout+r.Stderr)
	r = in.Run(env, "telemetry", "disable")
	requireNoControl(t, "telemetry disable (unsafe)", r.Stdout+r.Stderr)
}

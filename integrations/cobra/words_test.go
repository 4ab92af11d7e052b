package waymarkcobra

import (
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/internal/telemetrytext"
)

// TestTelemetryHelpExplainsEachSubcommand: `telemetry help`, -h and --help
// list every subcommand with the summary sdk.Command's help uses, and say
// what --all does; `telemetry disable --help` gives the long description.
func TestTelemetryHelpExplainsEachSubcommand(t *testing.T) {
	for _, args := range [][]string{{"telemetry", "help"}, {"telemetry", "-h"}, {"telemetry", "--help"}} {
		cfg := env(t)
		tr := newTree()
		if err := tr.run(cfg, args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, tr.errOut.String())
		}
		out := tr.out.String()
		for _, s := range telemetrytext.Subcommands {
			if !strings.Contains(out, s.Name) || !strings.Contains(out, s.Short) {
				t.Errorf("%v does not explain %s (%q):\n%s", args, s.Name, s.Short, out)
			}
		}
		if !strings.Contains(out, "The --all flag of enable, disable and local saves the choice for every") {
			t.Errorf("%v does not say what --all does:\n%s", args, out)
		}
	}
	cfg := env(t)
	tr := newTree()
	if err := tr.run(cfg, "telemetry", "disable", "--help"); err != nil {
		t.Fatal(err)
	}
	if out := tr.out.String(); !strings.Contains(out, "the installation id") || !strings.Contains(out, telemetrytext.AllFlag) {
		t.Errorf("telemetry disable --help:\n%s", out)
	}
}

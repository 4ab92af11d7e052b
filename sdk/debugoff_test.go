package sdk

import (
	"strings"
	"testing"
)

func TestDebugModeNamesTheRunFlagThatTurnedItOff(t *testing.T) {
	h, errOut := testHost(t, map[string]string{"ACME_TELEMETRY": "debug", "CI": "false"})
	cfg := goodConfig(t.TempDir())
	cfg.Disabled, cfg.DisabledBy = true, "--no-telemetry"
	c, err := start(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	c.Milestone("first_run")
	c.Shutdown(t.Context())
	got := errOut.String()
	if !strings.Contains(got, "waymark debug: acme telemetry is off") || !strings.Contains(got, `--no-telemetry`) {
		t.Fatalf("debug output %q does not name the flag", got)
	}
	if files := listFiles(t, cfg.StateDir); len(files) != 0 {
		t.Fatalf("a run turned off by its flag wrote %v", files)
	}

	// Without debug asked for, an off run prints nothing.
	h, errOut = testHost(t, map[string]string{"CI": "false"})
	if _, err := start(cfg, h); err != nil {
		t.Fatal(err)
	}
	if errOut.String() != "" {
		t.Fatalf("an off run printed %q", errOut.String())
	}
}

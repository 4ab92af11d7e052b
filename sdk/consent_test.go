package sdk

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// A run that decided "on" and then saw the saved choice turn to off (and
// the machine forgotten) records nothing more, however the choice changes
// back: its milestone, usage ping and metrics are dropped.
func TestRunWritesNothingOnceConsentIsWithdrawn(t *testing.T) {
	dir := t.TempDir()
	h, _ := testHost(t, map[string]string{})
	c, _ := start(goodConfig(dir), h)
	defer c.Shutdown(context.Background())
	c.Milestone("first_run")
	if !slices.Contains(listFiles(t, dir), "/device_id") {
		t.Fatalf("first_run recorded nothing: %v", listFiles(t, dir))
	}
	if code := command(goodConfig(dir), h, []string{"disable"}, new(syncBuffer), new(syncBuffer)); code != 0 {
		t.Fatalf("disable: exit %d", code)
	}
	if code := command(goodConfig(dir), h, []string{"enable"}, new(syncBuffer), new(syncBuffer)); code != 0 {
		t.Fatalf("enable: exit %d", code)
	}
	before := listFiles(t, dir)
	c.Milestone("first_deploy")
	c.Shutdown(context.Background())
	if after := listFiles(t, dir); !slices.Equal(before, after) {
		t.Fatalf("a run that outlived disable wrote %v, after %v", after, before)
	}
	if !c.withdrawn() {
		t.Fatal("consent still holds for a run whose installation was forgotten")
	}
}

// Where nothing changed, consent holds without deciding again, and a
// rewrite of the same choice (a new inode, the same mode) keeps it.
func TestConsentHoldsWhileTheChoiceStands(t *testing.T) {
	dir := t.TempDir()
	h, _ := testHost(t, map[string]string{})
	if code := command(goodConfig(dir), h, []string{"enable"}, new(syncBuffer), new(syncBuffer)); code != 0 {
		t.Fatalf("enable: exit %d", code)
	}
	c, _ := start(goodConfig(dir), h)
	defer c.Shutdown(context.Background())
	c.Milestone("first_run")
	if !c.consentHolds() {
		t.Fatal("consent withdrawn with nothing changed")
	}
	if code := command(goodConfig(dir), h, []string{"enable"}, new(syncBuffer), new(syncBuffer)); code != 0 {
		t.Fatalf("enable again: exit %d", code)
	}
	if !c.consentHolds() {
		t.Fatal("consent withdrawn by saving the same choice again")
	}
	if err := os.WriteFile(filepath.Join(dir, "mode"), []byte("local\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c.consentHolds() {
		t.Fatal("consent holds for a run that decided on after the choice became local")
	}
}

// A server whose heartbeat is ten minutes apart still notices within about
// ten seconds that telemetry was disabled, without any heartbeat, write or
// shutdown asking: its background loop looks on its own.
func TestServerWithLongHeartbeatNoticesDisableWithinTenSeconds(t *testing.T) {
	cfg := goodConfig(t.TempDir())
	cfg.Server = true
	cfg.Heartbeat = 10 * time.Minute
	h, _ := testHost(t, map[string]string{})
	c, _ := start(cfg, h)
	defer c.Shutdown(context.Background())
	// Let the first heartbeat and upload, which look too, pass: only the
	// background look is left to notice.
	time.Sleep(time.Second)
	if c.withdrawn() {
		t.Fatal("withdrawn before anything changed")
	}
	begin := time.Now()
	if code := command(cfg, h, []string{"disable"}, new(syncBuffer), new(syncBuffer)); code != 0 {
		t.Fatalf("disable: exit %d", code)
	}
	// The look comes every 10 s; a loaded machine gets as much again.
	deadline := time.Now().Add(20 * time.Second)
	for !c.withdrawn() {
		if time.Now().After(deadline) {
			t.Fatal("a server with a 10-minute heartbeat had not noticed telemetry disable after 20 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("noticed %v after disable", time.Since(begin).Round(100*time.Millisecond))
}

package milestones_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/milestones"
)

func TestDirEnvironmentVariable(t *testing.T) {
	home := t.TempDir()
	cfgDir := func() (string, error) { return home, nil }
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	state := t.TempDir()
	for _, tc := range []struct {
		name, product string
		env           map[string]string
		want          string
	}{
		{"upper-cased prefix", "acme", map[string]string{"ACME_TELEMETRY_DIR": state}, state},
		{"dash to underscore", "acme-cli", map[string]string{"ACME_CLI_TELEMETRY_DIR": state}, state},
		{"lower-case name not used", "acme", map[string]string{"acme_TELEMETRY_DIR": state}, filepath.Join(home, "acme", "telemetry")},
		{"other product's not used", "acme", map[string]string{"OTHER_TELEMETRY_DIR": state}, filepath.Join(home, "acme", "telemetry")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := milestones.Dir(tc.product, "", env(tc.env), cfgDir)
			if err != nil || got != tc.want {
				t.Fatalf("Dir = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if got, err := milestones.Dir("acme", "rel", nil, nil); err != nil || !filepath.IsAbs(got) {
		t.Fatalf("Dir of a relative path = %q, %v; want it absolute", got, err)
	}
	if _, err := milestones.Dir("acme", "", nil, nil); err == nil || !strings.Contains(err.Error(), "ACME_TELEMETRY_DIR") {
		t.Fatalf("no home: error %v should name ACME_TELEMETRY_DIR", err)
	}
}

// The read-only calls see what the SDK's store recorded, and never create
// anything: not the state dir, not a file in it.
func TestReadOnlyViews(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	if _, ok := milestones.InstallationID(missing); ok {
		t.Fatal("InstallationID found an id in a missing dir")
	}
	if got, err := milestones.Reached(missing); err != nil || len(got) != 0 {
		t.Fatalf("Reached of a missing dir = %v, %v", got, err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("a read-only call made the state dir: %v", err)
	}

	dir := t.TempDir()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	s := store.New(statedir.New(dir), func() time.Time { return at })
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record("first_run", func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(dir)
	id, ok := milestones.InstallationID(dir)
	if !ok || len(id) == 0 {
		t.Fatalf("InstallationID = %q, %v after a milestone was recorded", id, ok)
	}
	got, err := milestones.Reached(dir)
	if err != nil || !got["first_run"].Equal(at) || len(got) != 1 {
		t.Fatalf("Reached = %v, %v; want first_run at %v", got, err, at)
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(before) {
		t.Fatalf("read-only calls changed the dir: %v -> %v", before, after)
	}
}

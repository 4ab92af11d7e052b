package milestones

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestDirOrder(t *testing.T) {
	home := filepath.Join("home", "u", ".config")
	cfgDir := func() (string, error) { return home, nil }
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, tc := range []struct {
		name, product, configured string
		env                       map[string]string
		want                      string
	}{
		{"configured wins", "acme", filepath.Join("cfg", "dir"), map[string]string{"ACME_TELEMETRY_DIR": "env"}, filepath.Join("cfg", "dir")},
		{"env over home", "acme", "", map[string]string{"ACME_TELEMETRY_DIR": filepath.Join("env", "dir")}, filepath.Join("env", "dir")},
		{"empty env ignored", "acme", "", map[string]string{"ACME_TELEMETRY_DIR": ""}, filepath.Join(home, "acme", "telemetry")},
		{"other product's env ignored", "acme", "", map[string]string{"OTHER_TELEMETRY_DIR": "x"}, filepath.Join(home, "acme", "telemetry")},
		{"prefix upper-cased, dash to underscore", "acme-cli", "", map[string]string{"ACME_CLI_TELEMETRY_DIR": "d"}, "d"},
		{"lower-case env name not used", "acme", "", map[string]string{"acme_TELEMETRY_DIR": "d"}, filepath.Join(home, "acme", "telemetry")},
		{"home", "acme", "", nil, filepath.Join(home, "acme", "telemetry")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Dir(tc.product, tc.configured, env(tc.env), cfgDir)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Dir = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDirNoHome(t *testing.T) {
	noHome := errors.New("$HOME is not defined")
	got, err := Dir("acme", "", func(string) (string, bool) { return "", false },
		func() (string, error) { return "", noHome })
	if err == nil {
		t.Fatalf("Dir = %q, want an error", got)
	}
	if !errors.Is(err, noHome) || !strings.HasPrefix(err.Error(), "milestones: ") || !strings.Contains(err.Error(), "ACME_TELEMETRY_DIR") {
		t.Fatalf("error %q should be prefixed, name the env var and wrap the cause", err)
	}
	if _, err := Dir("acme", "", nil, func() (string, error) { return "", nil }); err == nil {
		t.Fatal("empty user config dir: want an error")
	}
	if _, err := Dir("acme", "", nil, nil); err == nil {
		t.Fatal("no user config dir func: want an error")
	}
	if _, err := Dir("", "", nil, func() (string, error) { return "/h", nil }); err == nil {
		t.Fatal("empty product: want an error")
	}
	// The env var still rescues a machine with no home.
	if got, err := Dir("acme", "", func(k string) (string, bool) { return "/state", k == "ACME_TELEMETRY_DIR" },
		func() (string, error) { return "", noHome }); err != nil || got != filepath.Clean("/state") {
		t.Fatalf("Dir = %q, %v; want /state", got, err)
	}
}

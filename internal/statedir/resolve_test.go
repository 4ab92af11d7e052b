package statedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestResolveOrder(t *testing.T) {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// Rooted and absolute on this system: on Windows that takes a drive.
	home := abs(filepath.Join(string(filepath.Separator), "home", "u", ".config"))
	cfgDir := func() (string, error) { return home, nil }
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, tc := range []struct {
		name, product, configured string
		env                       map[string]string
		want                      string
	}{
		{"configured wins", "acme", abs("cfg"), map[string]string{"ACME_TELEMETRY_DIR": abs("env")}, abs("cfg")},
		{"env over home", "acme", "", map[string]string{"ACME_TELEMETRY_DIR": abs("env")}, abs("env")},
		{"empty env ignored", "acme", "", map[string]string{"ACME_TELEMETRY_DIR": ""}, filepath.Join(home, "acme", "telemetry")},
		{"other variable ignored", "acme", "", map[string]string{"OTHER_TELEMETRY_DIR": "x"}, filepath.Join(home, "acme", "telemetry")},
		{"home", "acme", "", nil, filepath.Join(home, "acme", "telemetry")},
		{"relative configured made absolute", "acme", filepath.Join("cfg", "dir"), nil, abs(filepath.Join("cfg", "dir"))},
		{"relative env made absolute", "acme", "", map[string]string{"ACME_TELEMETRY_DIR": "state"}, abs("state")},
		{"cleaned", "acme", abs("a") + string(filepath.Separator) + ".." + string(filepath.Separator) + "b", nil, abs("b")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.product, tc.configured, "ACME_TELEMETRY_DIR", env(tc.env), cfgDir)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Resolve = %q, want %q", got, tc.want)
			}
			if !filepath.IsAbs(got) {
				t.Fatalf("Resolve = %q, not absolute", got)
			}
		})
	}
}

// A relative state dir names the same folder for a process that later runs
// elsewhere (the detached uploader's working directory is /): Resolve pins
// it to the working directory of the moment it is called.
func TestResolveRelativeUsesWorkingDirOnce(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	got, err := Resolve("acme", "rel", "ACME_TELEMETRY_DIR", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	real, _ := filepath.EvalSymlinks(wd)
	if got != filepath.Join(wd, "rel") && got != filepath.Join(real, "rel") {
		t.Fatalf("Resolve = %q, want it under %q", got, wd)
	}
	d := New(got)
	if err := d.Create(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(wd, "rel")); err != nil {
		t.Fatalf("the state dir was not made where the relative path pointed when resolved: %v", err)
	}
}

func TestResolveErrors(t *testing.T) {
	noHome := errors.New("$HOME is not defined")
	got, err := Resolve("acme", "", "ACME_TELEMETRY_DIR", func(string) (string, bool) { return "", false },
		func() (string, error) { return "", noHome })
	if err == nil {
		t.Fatalf("Resolve = %q, want an error", got)
	}
	if !errors.Is(err, noHome) || !strings.HasPrefix(err.Error(), "statedir: ") || !strings.Contains(err.Error(), "ACME_TELEMETRY_DIR") {
		t.Fatalf("error %q should be prefixed, name the env var and wrap the cause", err)
	}
	if _, err := Resolve("acme", "", "ACME_TELEMETRY_DIR", nil, func() (string, error) { return "", nil }); err == nil {
		t.Fatal("empty user config dir: want an error")
	}
	if _, err := Resolve("acme", "", "ACME_TELEMETRY_DIR", nil, nil); err == nil {
		t.Fatal("no user config dir func: want an error")
	}
	if _, err := Resolve("", "", "ACME_TELEMETRY_DIR", nil, func() (string, error) { return "/h", nil }); err == nil {
		t.Fatal("empty product: want an error")
	}
	if _, err := Resolve("acme", "a\x00b", "ACME_TELEMETRY_DIR", nil, nil); err == nil {
		t.Fatal("NUL in the path: want an error")
	}
	// The env var still rescues a machine with no home.
	root, err := filepath.Abs(string(filepath.Separator) + "state") // on Windows, with a drive
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Resolve("acme", "", "ACME_TELEMETRY_DIR", func(k string) (string, bool) { return root, k == "ACME_TELEMETRY_DIR" },
		func() (string, error) { return "", noHome }); err != nil || got != filepath.Clean(root) {
		t.Fatalf("Resolve = %q, %v; want %s", got, err, root)
	}
}

func TestIsNotExist(t *testing.T) {
	_, missing := os.Lstat(filepath.Join(t.TempDir(), "nope"))
	_, readMissing := New(t.TempDir()).ReadFile(DeviceID, 64)
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{missing, true},
		{readMissing, true},
		{fmt.Errorf("wrapped: %w", missing), true},
		{fs.ErrNotExist, true},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, false},
		{ErrTooLarge, false},
		{errors.New("nope"), false},
	} {
		if got := IsNotExist(c.err); got != c.want || got != errors.Is(c.err, fs.ErrNotExist) {
			t.Errorf("IsNotExist(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

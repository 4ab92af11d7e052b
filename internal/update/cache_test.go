package update

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
)

func TestCacheRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m, err := Parse([]byte(goodManifest))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	want := Cache{
		FetchedAt:   at,
		Manifest:    m,
		AlertShown:  map[string]time.Time{"ACME-1": at.Add(time.Hour)},
		UpdateShown: at.Add(2 * time.Hour),
	}
	if err := SaveCache(statedir.New(dir), want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCache(statedir.New(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("LoadCache = %+v\nwant %+v", got, want)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(dir, string(statedir.UpdateCache)))
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("update.json has mode %v, want 0600", perm)
		}
	}
	// Saving again replaces the file and leaves no temporary behind.
	want.UpdateShown = at.Add(48 * time.Hour)
	if err := SaveCache(statedir.New(dir), want); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("state dir holds %d entries after two saves, want 1", len(entries))
	}
	if got, err := LoadCache(statedir.New(dir)); err != nil || !got.UpdateShown.Equal(want.UpdateShown) {
		t.Errorf("LoadCache after resave = %+v, %v", got, err)
	}
}

func TestCacheZero(t *testing.T) {
	dir := t.TempDir()
	if err := SaveCache(statedir.New(dir), Cache{}); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCache(statedir.New(dir))
	if err != nil || !reflect.DeepEqual(got, Cache{}) {
		t.Fatalf("LoadCache of a zero cache = %+v, %v", got, err)
	}
}

func TestLoadCacheMissing(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Join(dir, "does-not-exist")} {
		c, err := LoadCache(statedir.New(d))
		if err != nil || !reflect.DeepEqual(c, Cache{}) {
			t.Errorf("LoadCache(%s) = %+v, %v; want the zero Cache and no error", d, c, err)
		}
	}
	// Reading never creates anything.
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("LoadCache created %d entries", len(entries))
	}
}

func TestLoadCacheGarbage(t *testing.T) {
	for _, tc := range []struct{ name, content string }{
		{"empty", ""},
		{"binary", "\x00\x01\x02\xff"},
		{"truncated", `{"fetched_at":"2025-03-01T12:00:00Z","manifest":{"latest":"1.5`},
		{"not an object", `[1,2,3]`},
		{"bad time", `{"fetched_at":"yesterday"}`},
		{"bad alert_shown", `{"alert_shown":{"a":5}}`},
		{"manifest wrong type", `{"manifest":{"latest":5}}`},
		{"manifest not an object", `{"manifest":"x"}`},
		{"manifest with a control character", `{"manifest":{"latest":"1.5.0\u0007"}}`},
		{"huge", `{"x":"` + strings.Repeat("x", 300<<10) + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, string(statedir.UpdateCache)), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadCache(statedir.New(dir))
			if err == nil {
				t.Fatalf("LoadCache = %+v, want an error", c)
			}
			if !strings.HasPrefix(err.Error(), "update: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if !reflect.DeepEqual(c, Cache{}) {
				t.Errorf("LoadCache returned %+v with its error, want the zero Cache", c)
			}
		})
	}
}

func TestLoadCacheUnreadable(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be cannot be read as one.
	if err := os.Mkdir(filepath.Join(dir, string(statedir.UpdateCache)), 0o700); err != nil {
		t.Fatal(err)
	}
	if c, err := LoadCache(statedir.New(dir)); err == nil || !reflect.DeepEqual(c, Cache{}) {
		t.Fatalf("LoadCache = %+v, %v; want the zero Cache and an error", c, err)
	}
}

func TestSaveCacheMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	if err := SaveCache(statedir.New(dir), Cache{}); err == nil {
		t.Fatal("SaveCache into a missing directory succeeded")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("SaveCache created the state dir: %v", err)
	}
}

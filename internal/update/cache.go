package update

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/waymarkhq/waymark/internal/jsonx"
	"github.com/waymarkhq/waymark/internal/statedir"
)

// maxCacheSize bounds what LoadCache reads: a valid cache is a manifest
// (at most 64 KiB) and a few dozen times.
const maxCacheSize = 256 << 10

// Cache is what the update check keeps between runs: the last manifest
// fetched, when, and when each notice was last shown.
type Cache struct {
	// FetchedAt is when Manifest was fetched; the caller uses it to fetch at
	// most every 12 hours.
	FetchedAt time.Time
	// Manifest is the last manifest fetched.
	Manifest Manifest
	// AlertShown maps an alert's ID to when it was last shown.
	AlertShown map[string]time.Time
	// UpdateShown is when the "newer version available" line was last shown.
	UpdateShown time.Time
}

// cacheJSON is the file format of update.json. The manifest is kept as raw
// JSON so that LoadCache checks it by the same rules as a fetched one.
type cacheJSON struct {
	FetchedAt   time.Time            `json:"fetched_at,omitzero"`
	Manifest    json.RawMessage      `json:"manifest,omitempty"`
	AlertShown  map[string]time.Time `json:"alert_shown,omitempty"`
	UpdateShown time.Time            `json:"update_shown,omitzero"`
}

// LoadCache reads <stateDir>/update.json. It never writes or creates
// anything. A missing file gives the zero Cache and no error; a file that
// cannot be read or is not a valid cache (garbage, truncated, a manifest that
// Parse rejects) gives the zero Cache and an error, so the caller can simply
// fetch again.
func LoadCache(d *statedir.Dir) (Cache, error) {
	data, err := d.ReadFile(statedir.UpdateCache, maxCacheSize)
	if errors.Is(err, fs.ErrNotExist) {
		return Cache{}, nil
	}
	if err != nil {
		return Cache{}, fmt.Errorf("update: read cache: %w", err)
	}
	path := string(statedir.UpdateCache)
	var cj cacheJSON
	if err := jsonx.Unmarshal(data, &cj); err != nil {
		return Cache{}, fmt.Errorf("update: cache %s: %w", path, err)
	}
	c := Cache{FetchedAt: cj.FetchedAt, AlertShown: cj.AlertShown, UpdateShown: cj.UpdateShown}
	if !isAbsent(cj.Manifest) {
		m, err := Parse(cj.Manifest)
		if err != nil {
			return Cache{}, fmt.Errorf("update: cache %s: %w", path, err)
		}
		c.Manifest = m
	}
	return c, nil
}

// SaveCache writes c to <stateDir>/update.json atomically with mode 0600. The
// directory must exist: creating the state dir is not this package's call.
// Two processes saving at once are serialised by the caller's lock; without
// one, the last writer wins and nothing worse happens than a notice shown
// twice.
func SaveCache(d *statedir.Dir, c Cache) error {
	m, err := json.Marshal(c.Manifest)
	if err != nil {
		return fmt.Errorf("update: save cache: %w", err)
	}
	data, err := json.Marshal(cacheJSON{
		FetchedAt:   c.FetchedAt,
		Manifest:    m,
		AlertShown:  c.AlertShown,
		UpdateShown: c.UpdateShown,
	})
	if err != nil {
		return fmt.Errorf("update: save cache: %w", err)
	}
	if err := d.WriteFileNoSync(statedir.UpdateCache, data); err != nil {
		return fmt.Errorf("update: save cache: %w", err)
	}
	return nil
}

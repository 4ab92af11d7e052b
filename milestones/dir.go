// Package milestones owns Waymark's local state on disk: where the state
// directory is, the anonymous installation id (device_id), the record of
// once-per-installation milestones (milestones.json), the saved telemetry
// mode, the first-run notice marker and interval tickets (usage ping, update
// check). Every write is atomic and every read-modify-write happens under a
// cross-process lock with a bounded wait, so concurrent runs of the host
// program never double-count a milestone or end up with different ids.
//
// It never decides whether telemetry is on (package gate does), never sends
// or spools events (package exporter does; the caller queues an event inside
// the callback given to [Store.Record]), never blocks longer than its lock
// timeout and never panics on what it finds on disk: a missing, truncated or
// garbage file is reported and recovered from. Constructing a [Store] and
// every read-only method create nothing, so telemetry that is off writes
// nothing.
package milestones

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Dir returns the state directory for product. The first that is set wins:
// configured (Config.StateDir), then the environment variable
// <PREFIX>_TELEMETRY_DIR (PREFIX is product upper-cased with '-' turned into
// '_'), then userConfigDir()/<product>/telemetry.
//
// lookup reads an environment variable (os.LookupEnv in production); nil means
// no environment. userConfigDir is os.UserConfigDir in production; nil means
// there is none. Dir returns an error that says why when no directory can be
// had (no home). It creates nothing.
func Dir(product, configured string, lookup func(string) (string, bool), userConfigDir func() (string, error)) (string, error) {
	if configured != "" {
		return filepath.Clean(configured), nil
	}
	if product == "" {
		return "", errors.New("milestones: no state dir: empty product name")
	}
	env := envPrefix(product) + "_TELEMETRY_DIR"
	if lookup != nil {
		if v, ok := lookup(env); ok && v != "" {
			return filepath.Clean(v), nil
		}
	}
	if userConfigDir == nil {
		return "", fmt.Errorf("milestones: no state dir: no user config directory and $%s is not set", env)
	}
	base, err := userConfigDir()
	if err != nil {
		return "", fmt.Errorf("milestones: no state dir: $%s is not set and the user config directory is unknown: %w", env, err)
	}
	if base == "" {
		return "", fmt.Errorf("milestones: no state dir: $%s is not set and the user config directory is empty", env)
	}
	return filepath.Join(base, product, "telemetry"), nil
}

// envPrefix returns the environment variable prefix of product: upper-cased,
// with '-' turned into '_' ("acme-cli" → "ACME_CLI").
func envPrefix(product string) string {
	return strings.ReplaceAll(strings.ToUpper(product), "-", "_")
}

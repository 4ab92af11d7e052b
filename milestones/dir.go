// Package milestones tells a program where Waymark keeps an installation's
// state and what that state says: the anonymous installation id and the
// milestones this installation has reached. Everything here only reads;
// recording a milestone is sdk.Milestone's job, which goes through the
// user's opt-outs first.
//
// The state directory itself — every path in it, locking, atomic writes and
// the rules for a hostile disk — has one owner inside Waymark and is not
// part of this package's promise.
package milestones

import (
	"time"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/store"
)

// Dir returns the absolute state directory of product. The first that is
// set wins: configured (Config.StateDir), then the environment variable
// <PREFIX>_TELEMETRY_DIR (PREFIX is product upper-cased with '-' turned into
// '_'), then userConfigDir()/<product>/telemetry. A relative path is made
// absolute against the working directory.
//
// lookup reads an environment variable (os.LookupEnv in production); nil
// means no environment. userConfigDir is os.UserConfigDir in production; nil
// means there is none. Dir returns an error that says why when no directory
// can be had (no home). It creates nothing.
func Dir(product, configured string, lookup func(string) (string, bool), userConfigDir func() (string, error)) (string, error) {
	return statedir.Resolve(product, configured, gate.EnvPrefix(product)+"_TELEMETRY_DIR", lookup, userConfigDir)
}

// InstallationID returns the anonymous installation id kept in stateDir, if
// there is a valid one. It never creates or changes anything.
func InstallationID(stateDir string) (string, bool) {
	return store.New(statedir.New(stateDir), nil).PeekDeviceID()
}

// Reached returns the milestones recorded for the current installation in
// stateDir, and when. It never creates or changes anything; a missing or
// damaged record gives an empty map (and, when damaged, an error saying
// why).
func Reached(stateDir string) (map[string]time.Time, error) {
	return store.New(statedir.New(stateDir), nil).Recorded()
}

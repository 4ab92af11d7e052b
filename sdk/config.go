package sdk

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/sample"
)

// Config is what a vendor sets once, in main. The zero value of every
// optional field is its documented default.
type Config struct {
	// Product is the product's name: a lower-case letter, then up to 31
	// lower-case letters, digits, '-' or '_'. It names the environment
	// variables (ACME_TELEMETRY for product "acme") and the state directory.
	Product string
	// Version is this build's version, sent as service.version.
	Version string
	// Endpoint is the OTLP/HTTP base URL, such as "https://telemetry.acme.dev".
	// Events go to <Endpoint>/v1/logs and metrics to <Endpoint>/v1/metrics.
	// Plain http is accepted only for loopback unless AllowInsecure is set.
	// $<P>_TELEMETRY_ENDPOINT, if set, overrides it.
	Endpoint string
	// Milestones declares every milestone name the program may reach. Names
	// match [a-z][a-z0-9_.-]{0,63}. Milestone drops undeclared names.
	Milestones []string
	// NoticeURL, if set, is named in the first-run notice as the place to read
	// more about the telemetry.
	NoticeURL string
	// NoticeVersion, if set, is the version of what the vendor's telemetry
	// means: bump it when milestones change in meaning, and every user is
	// shown the first-run notice again (as when Waymark's own list of what is
	// collected changes). Up to 32 printable ASCII characters.
	NoticeVersion string

	// Server marks a long-running process: it sends a heartbeat every
	// Heartbeat, uploads in the background, and its Shutdown flushes within
	// FlushTimeout.
	Server bool
	// Heartbeat is the server heartbeat interval. Default 10 minutes; at least
	// one second.
	Heartbeat time.Duration
	// FlushTimeout bounds how long a server's Shutdown may wait on the
	// network. Default 2 seconds. A CLI's Shutdown never waits on the network.
	FlushTimeout time.Duration
	// PingInterval is how often, at most, an installation sends a usage ping.
	// Default 12 hours.
	PingInterval time.Duration
	// APIVersion, if set, is sent with server heartbeats as api.version.
	APIVersion string

	// Disabled turns telemetry off, whatever the environment says.
	Disabled bool
	// DisabledBy, if set, names the user's per-run switch that set Disabled,
	// such as "--no-telemetry", so that `telemetry status` and debug mode
	// name the user's flag rather than the program.
	DisabledBy string
	// RequireConsent keeps telemetry off until the user runs
	// `<product> telemetry enable` (opt-in products).
	RequireConsent bool
	// HoldUntilNotice, if set, keeps every event on the machine until the
	// first-run notice has been shown once on a terminal. A run made by an AI
	// coding agent cannot show the notice to a person, so until it has been
	// shown such a run records nothing at all (no milestone is marked
	// reached, nothing waits in the spool): nothing is held forever, and a
	// later run of a person still reports the milestones.
	HoldUntilNotice bool
	// SampleRate, if set, is the share of installs that send telemetry, above
	// 0 and at most 1; the default, 0, means 1 (every install). An install is
	// in the sample when a hash of its installation id falls under the rate,
	// so the same installs stay in. An install out of the sample keeps its
	// local state but sends nothing, and what it recorded meanwhile is never
	// sent, even after the rate is raised. Events of a sampled product carry
	// the rate (waymark.sample_rate), and `waymark report` scales its counts
	// by its inverse and calls them estimates.
	SampleRate float64
	// OptOutEnv lists vendor opt-out variables (such as CHECKPOINT_DISABLE);
	// any of them set to a non-empty value turns telemetry off.
	OptOutEnv []string
	// StateDir, if set, is where Waymark keeps its files. Default
	// $<P>_TELEMETRY_DIR, else os.UserConfigDir()/<product>/telemetry.
	StateDir string
	// AllowInsecure permits a plain http Endpoint that is not loopback.
	AllowInsecure bool
	// UpdateURL, if set, is a static JSON manifest of the latest version and
	// security alerts; $<P>_TELEMETRY_UPDATE_URL overrides it.
	UpdateURL string
}

const (
	defaultHeartbeat    = 10 * time.Minute
	defaultFlushTimeout = 2 * time.Second
	defaultPingInterval = 12 * time.Hour
)

// withDefaults returns c with every unset optional field at its default.
func (c Config) withDefaults() Config {
	if c.Heartbeat == 0 {
		c.Heartbeat = defaultHeartbeat
	}
	if c.FlushTimeout == 0 {
		c.FlushTimeout = defaultFlushTimeout
	}
	if c.PingInterval == 0 {
		c.PingInterval = defaultPingInterval
	}
	if c.SampleRate == 0 {
		c.SampleRate = 1
	}
	return c
}

// validate checks the developer's input. Each error names the field and
// the rule it broke.
func (c Config) validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("sdk: Config.%s: "+format, append([]any{field}, args...)...))
	}
	if !validName(c.Product, 32, false) {
		bad("Product", "%q must match [a-z][a-z0-9_-]{0,31}", c.Product)
	} else if c.Product == "waymark" {
		bad("Product", `"waymark" is reserved for the choice saved for all Waymark tools`)
	}
	if c.Version == "" {
		bad("Version", "is required")
	} else if len(c.Version) > 64 || strings.ContainsFunc(c.Version, func(r rune) bool { return r <= ' ' || r > '~' }) {
		bad("Version", "%q must be 1 to 64 printable ASCII characters without spaces", c.Version)
	}
	if err := checkEndpoint(c.Endpoint, c.AllowInsecure); err != nil {
		bad("Endpoint", "%v", err)
	}
	seen := make(map[string]bool, len(c.Milestones))
	for i, m := range c.Milestones {
		switch {
		case !validName(m, 64, true):
			bad("Milestones", "[%d] %q must match [a-z][a-z0-9_.-]{0,63}", i, m)
		case seen[m]:
			bad("Milestones", "[%d] %q is declared twice", i, m)
		}
		seen[m] = true
	}
	if len(c.NoticeVersion) > 32 || strings.ContainsFunc(c.NoticeVersion, func(r rune) bool { return r <= ' ' || r > '~' }) {
		bad("NoticeVersion", "%q must be at most 32 printable ASCII characters without spaces", c.NoticeVersion)
	}
	if c.NoticeURL != "" {
		if u, err := url.Parse(c.NoticeURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("NoticeURL", "%q must be an absolute http or https URL", c.NoticeURL)
		}
	}
	if c.UpdateURL != "" {
		if err := checkURL(c.UpdateURL, c.AllowInsecure); err != nil {
			bad("UpdateURL", "%v", err)
		}
	}
	if c.Heartbeat != 0 && c.Heartbeat < time.Second {
		bad("Heartbeat", "%v must be at least 1s (or zero for the 10m default)", c.Heartbeat)
	}
	if c.FlushTimeout < 0 {
		bad("FlushTimeout", "%v must not be negative", c.FlushTimeout)
	}
	if c.PingInterval < 0 {
		bad("PingInterval", "%v must not be negative", c.PingInterval)
	}
	if c.SampleRate != 0 && !sample.Valid(c.SampleRate) {
		bad("SampleRate", "%v must be above 0 and at most 1 (or zero for the default, 1)", c.SampleRate)
	}
	if len(c.APIVersion) > 64 {
		bad("APIVersion", "must be at most 64 characters")
	}
	for i, name := range c.OptOutEnv {
		if name == "" || strings.ContainsAny(name, "= \t\n\x00") {
			bad("OptOutEnv", "[%d] %q is not an environment variable name", i, name)
		}
	}
	return errors.Join(errs...)
}

// validName reports whether s is a lower-case letter followed by up to max-1
// characters from [a-z0-9_-] (and '.', when dots is set).
func validName(s string, max int, dots bool) bool {
	if len(s) == 0 || len(s) > max || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9', ch == '_', ch == '-':
		case ch == '.' && dots:
		default:
			return false
		}
	}
	return true
}

// checkEndpoint is the exporter's own rule for endpoints (the one the
// sender applies), so Start never accepts an endpoint it cannot send to.
func checkEndpoint(raw string, allowInsecure bool) error {
	if raw == "" {
		return errors.New("is required")
	}
	_, err := export.CheckEndpoint(raw, allowInsecure)
	return err
}

// checkURL is the exporter's rule for other URLs it contacts (the update
// manifest may have a query).
func checkURL(raw string, allowInsecure bool) error {
	_, err := export.CheckURL(raw, allowInsecure)
	return err
}

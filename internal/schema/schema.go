// Package schema is the one description of what Waymark sends: every event
// with its spool tier and attributes, every resource key, the metrics, and
// the ways a user can opt out. The SDK emits from it, `telemetry status` and
// the first-run notice list it, and tests check the documentation and the
// collector's ingest configuration against it, so adding an event is one row
// here plus its emit call, and a forgotten collector rule fails a test.
package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"
)

// Shape is what a value must look like; the collector enforces the same.
type Shape string

// The shapes of values Waymark sends.
const (
	UUID      Shape = "uuid"       // a canonical lower-case UUID
	Product   Shape = "product"    // [a-z][a-z0-9_-]{0,31}
	Milestone Shape = "milestone"  // [a-z][a-z0-9_.-]{0,63}
	Version   Shape = "version"    // 1 to 64 printable ASCII characters, no spaces
	GOOS      Shape = "goos"       // os.type: Go's GOOS list, as OTel names them
	GOARCH    Shape = "goarch"     // host.arch: Go's GOARCH list, as OTel names them
	Fixed     Shape = "fixed"      // one constant value
	RFC3339   Shape = "rfc3339"    // a time
	Seconds   Shape = "seconds"    // a non-negative integer number of seconds
	Scrubbed  Shape = "scrubbed"   // bounded text that went through the scrubber
	ShortText Shape = "short_text" // bounded printable text
	Agent     Shape = "agent"      // agent.name: one of AgentNames
	Rate      Shape = "rate"       // a double in (0, 1]
)

// Attr is one attribute key and the shape of its value.
type Attr struct {
	Key   string
	Shape Shape
}

// Tier is the spool tier of an event: when the spool is full, Evictable
// entries go before Kept ones.
type Tier uint8

// The two tiers.
const (
	Kept Tier = iota + 1
	Evictable
)

// Event is one kind of log record Waymark sends.
type Event struct {
	// Name is the OTel event name.
	Name string
	// Kind is the spool entry kind written into entry names; its value
	// must never change.
	Kind uint8
	// Tier says which entries a full spool gives up first.
	Tier Tier
	// When says, for people, when the event is sent.
	When string
	// Attrs are the record's attributes, and no others are sent.
	Attrs []Attr
}

// Event names.
const (
	EventMilestone   = "waymark.milestone"
	EventUsage       = "waymark.usage"
	EventHeartbeat   = "waymark.heartbeat"
	EventErrorReport = "waymark.error_report"
	EventErasure     = "waymark.erasure"
)

// Attribute keys of the events.
const (
	AttrEventID             = "event.id"
	AttrMilestoneName       = "milestone.name"
	AttrExceptionType       = "exception.type"
	AttrExceptionMessage    = "exception.message"
	AttrExceptionStacktrace = "exception.stacktrace"
	AttrSessionStart        = "session.start"
	AttrSessionUptime       = "session.uptime_s"
	AttrHeartbeatInterval   = "heartbeat.interval_s"
	AttrAPIVersion          = "api.version"
)

// Resource attribute keys.
const (
	ResServiceName    = "service.name"
	ResServiceVersion = "service.version"
	ResInstallationID = "app.installation.id"
	ResOSType         = "os.type"
	ResHostArch       = "host.arch"
	ResRuntimeName    = "process.runtime.name"
	ResRuntimeVersion = "process.runtime.version"
	ResSDKName        = "telemetry.sdk.name"
	ResSDKLanguage    = "telemetry.sdk.language"
	ResSDKVersion     = "telemetry.sdk.version"
	ResSessionID      = "session.id"
)

// Metric names.
const (
	MetricMilestones    = "waymark.milestones"
	MetricHeartbeats    = "waymark.heartbeats"
	MetricSessionUptime = "waymark.session.uptime"
)

// Attributes that any event of a run may carry besides its own (never the erasure request):
// AttrAgent when the run was made by an AI coding agent, AttrSampleRate when the product
// samples its installs (Config.SampleRate below 1).
const (
	AttrAgent      = "agent.name"
	AttrSampleRate = "waymark.sample_rate"
)

// AgentNames lists every value agent.name can take; the collector keeps no other. "other" is
// an agent that announced itself only through the generic AI_AGENT variable with a name not
// in this list.
func AgentNames() []string {
	return []string{"claude_code", "codex", "cursor", "gemini_cli", "copilot", "replit", "cline",
		"opencode", "amp", "goose", "other"}
}

// Scope is the instrumentation scope name of every event and metric.
const Scope = "waymark"

// Events lists every event Waymark sends.
var Events = []Event{
	{Name: EventMilestone, Kind: 1, Tier: Kept, When: "the first time a declared milestone happens on an install",
		Attrs: []Attr{{AttrEventID, UUID}, {AttrMilestoneName, Milestone}, {AttrAgent, Agent}, {AttrSampleRate, Rate}}},
	{Name: EventErrorReport, Kind: 2, Tier: Kept, When: "only after the user answered yes at the crash prompt",
		Attrs: []Attr{{AttrEventID, UUID}, {AttrExceptionType, Scrubbed}, {AttrExceptionMessage, Scrubbed}, {AttrExceptionStacktrace, Scrubbed}, {AttrAgent, Agent}, {AttrSampleRate, Rate}}},
	{Name: EventUsage, Kind: 3, Tier: Evictable, When: "at most once per ping interval (12 hours) per install",
		Attrs: []Attr{{AttrEventID, UUID}, {AttrAgent, Agent}, {AttrSampleRate, Rate}}},
	{Name: EventHeartbeat, Kind: 4, Tier: Evictable, When: "servers, every heartbeat interval",
		Attrs: []Attr{{AttrEventID, UUID}, {AttrSessionStart, RFC3339}, {AttrSessionUptime, Seconds}, {AttrHeartbeatInterval, Seconds}, {AttrAPIVersion, Version}, {AttrAgent, Agent}, {AttrSampleRate, Rate}}},
	{Name: EventErasure, Kind: 6, Tier: Kept, When: "once, when the user ran `telemetry disable --erase` and this install's id had reached the collector",
		Attrs: []Attr{{AttrEventID, UUID}}},
}

// PerRun lists the attributes an event carries because of how this run was made rather than
// what happened: the agent that ran it and the product's sample rate. Each event above that
// may carry them lists them too.
var PerRun = []Attr{{AttrAgent, Agent}, {AttrSampleRate, Rate}}

// MetricsKind is the spool entry kind of a metrics collection.
const MetricsKind uint8 = 5

// Lookup returns the event named name.
func Lookup(name string) (Event, bool) {
	for _, e := range Events {
		if e.Name == name {
			return e, true
		}
	}
	return Event{}, false
}

// Resource lists the resource attributes of every event and metric; server
// processes add ServerResource.
var Resource = []Attr{
	{ResServiceName, Product},
	{ResServiceVersion, Version},
	{ResInstallationID, UUID},
	{ResOSType, GOOS},
	{ResHostArch, GOARCH},
	{ResRuntimeName, Fixed},
	{ResRuntimeVersion, Version},
	{ResSDKName, Fixed},
	{ResSDKLanguage, Fixed},
	{ResSDKVersion, Version},
}

// ServerResource is what a server adds to Resource.
var ServerResource = []Attr{{ResSessionID, UUID}}

// Metric is one metric Waymark sends.
type Metric struct {
	Name  string
	Type  string // "sum" (delta, monotonic) or "gauge"
	Attrs []Attr
}

// Metrics lists every metric Waymark sends.
var Metrics = []Metric{
	{Name: MetricMilestones, Type: "sum", Attrs: []Attr{{AttrMilestoneName, Milestone}}},
	{Name: MetricHeartbeats, Type: "sum"},
	{Name: MetricSessionUptime, Type: "gauge"},
}

// NoticeVersion names what the first-run notice describes: a digest of
// every event, attribute, resource key and metric above, then the vendor's
// own version (Config.NoticeVersion). When either changes, the notice is
// shown again. Until the schema first changes, the notice of Waymark 0.1.0
// (a marker without a version) counts as this one when the vendor set no
// version of its own.
func NoticeVersion(vendor string) string {
	digest := schemaDigest()
	if digest == schema010 && vendor == "" {
		return "legacy"
	}
	return digest + "/" + vendor
}

// schemaDigest is NoticeVersion's digest of the schema, computed once.
var schemaDigest = sync.OnceValue(func() string {
	h := sha256.New()
	line := func(parts ...string) {
		for i, p := range parts {
			if i > 0 {
				h.Write([]byte(" "))
			}
			h.Write([]byte(p))
		}
		h.Write([]byte("\n"))
	}
	for _, a := range Resource {
		line("r", a.Key, string(a.Shape))
	}
	for _, a := range ServerResource {
		line("s", a.Key, string(a.Shape))
	}
	for _, e := range Events {
		parts := []string{"e", e.Name}
		for _, a := range e.Attrs {
			parts = append(parts, a.Key)
		}
		line(parts...)
	}
	for _, m := range Metrics {
		line("m", m.Name, string(m.Type))
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
})

// schema010 is NoticeVersion's digest of the schema as Waymark 0.1.0 sent
// it; a marker 0.1.0 wrote describes exactly that.
const schema010 = "bec0ec59a98e"

// OSType maps Go's GOOS to the os.type Waymark sends (the semantic
// conventions' names), and reports false for a GOOS not in Go's list.
func OSType(goos string) (string, bool) {
	switch goos {
	case "ios":
		return "darwin", true
	case "illumos":
		return "solaris", true
	case "android":
		return "linux", true
	}
	return goos, slices.Contains(OSTypes(), goos)
}

// HostArch maps Go's GOARCH to the host.arch Waymark sends, and reports
// false for a GOARCH not in Go's list.
func HostArch(goarch string) (string, bool) {
	switch goarch {
	case "386":
		return "x86", true
	case "arm":
		return "arm32", true
	case "ppc64le":
		return "ppc64", true
	}
	return goarch, slices.Contains(HostArches(), goarch)
}

// OSTypes lists every os.type value Waymark can send: Go's list of GOOS
// values (internal/syslist) as OSType maps them. The collector keeps no
// other, and a test holds ingest.yaml to this list.
func OSTypes() []string {
	return []string{"aix", "darwin", "dragonfly", "freebsd", "hurd", "js", "linux", "nacl", "netbsd",
		"openbsd", "plan9", "solaris", "wasip1", "windows", "zos"}
}

// HostArches lists every host.arch value Waymark can send: Go's list of
// GOARCH values as HostArch maps them.
func HostArches() []string {
	return []string{"x86", "amd64", "amd64p32", "arm32", "armbe", "arm64", "arm64be", "loong64", "mips",
		"mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "riscv", "riscv64", "s390",
		"s390x", "sparc", "sparc64", "wasm"}
}

// Keys returns the keys of attrs.
func Keys(attrs []Attr) []string {
	out := make([]string, len(attrs))
	for i, a := range attrs {
		out[i] = a.Key
	}
	return out
}

// OptOuts lists, for people, the ways to turn telemetry off for product
// whose environment prefix is prefix: the notice and `status` both print it.
func OptOuts(product, prefix string) []string {
	return []string{prefix + "_TELEMETRY=off", product + " telemetry disable", "DO_NOT_TRACK=1"}
}

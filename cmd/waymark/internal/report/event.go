package report

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/uuidx"
)

// Waymark's event names, as internal/schema declares them.
const (
	EventMilestone   = schema.EventMilestone
	EventUsage       = schema.EventUsage
	EventHeartbeat   = schema.EventHeartbeat
	EventErrorReport = schema.EventErrorReport
	EventErasure     = schema.EventErasure
)

// Kind is an event name as a small number.
type Kind uint8

// The kinds of Waymark events.
const (
	KindMilestone Kind = iota + 1
	KindUsage
	KindHeartbeat
	KindErrorReport
	// KindErasure is an install's request to erase what it sent: no activity, but the
	// install is left out of every count.
	KindErasure
)

// MaxHeartbeatInterval caps heartbeat.interval_s: a session is live for at most twice this
// after its last heartbeat, whatever a client claims.
const MaxHeartbeatInterval = 24 * time.Hour

// DefaultHeartbeat stands in for a heartbeat without heartbeat.interval_s: the SDK's default.
const DefaultHeartbeat = 10 * time.Minute

// UUID is an id in binary form.
type UUID [16]byte

// Event is one Waymark event as the report needs it: a log record flattened together with the
// resource of the install that sent it. Strings are interned: equal values share memory.
type Event struct {
	Kind                       Kind
	Time                       int64 // Unix nanoseconds: the record's time, or its observed time when it has none
	Product                    string
	Install                    UUID
	Session                    UUID // zero unless the resource carried session.id
	EventID                    UUID
	Version, OS, Arch, Runtime string
	Milestone                  string        // milestones
	Interval                   time.Duration // heartbeats: heartbeat.interval_s, capped; 0 if absent
	Uptime                     time.Duration // heartbeats: session.uptime_s
	ErrType, ErrMessage        string        // error reports
	Agent                      string        // agent.name, "" for a run without an agent
	SampleRate                 float64       // waymark.sample_rate, 0 when absent
}

// Limits on the values the collector's schema keeps ; a record outside them was not
// sent by Waymark's SDK and is left out, as the collector would have dropped it.
const (
	maxVersionLen   = 64
	maxErrTypeLen   = 256
	maxErrMessage   = 8192
	maxProductLen   = 32
	maxMilestoneLen = 64
)

// decoder turns raw records into events: it validates, interns strings and keeps the
// reasons for what it left out.
type decoder struct {
	strs    map[string]string
	skipped map[string]int
	// res is the last resource checked, which the records of one resourceLogs share.
	res resourceCheck
}

// resourceCheck is what a resource's attributes decode to, for the resource at ptr whose
// generation is gen.
type resourceCheck struct {
	ptr                                 *rawResource
	gen                                 uint64
	before, after                       string // why the records are left out: checked before and after event.id
	install, session                    UUID
	product, version, os, arch, runtime string
}

// checkResource decodes res's attributes once for all the records that share it.
func (d *decoder) checkResource(res *rawResource) *resourceCheck {
	c := &d.res
	if c.ptr == res && c.gen == res.gen {
		return c
	}
	*c = resourceCheck{ptr: res, gen: res.gen}
	var ok bool
	switch {
	case res.bad != "":
		c.before = res.bad
	case res.install == nil:
		c.before = "no app.installation.id"
	default:
		if c.install, ok = parseUUID(res.install); !ok {
			c.before = "app.installation.id is not a UUID"
		} else if res.session != nil {
			if c.session, ok = parseUUID(res.session); !ok {
				c.before = "session.id is not a UUID"
			}
		}
	}
	switch {
	case !validName(res.product, maxProductLen, false):
		c.after = "service.name missing or not a product name"
	case res.os != nil && !slices.Contains(schema.OSTypes(), string(res.os)):
		c.after = "os.type not one of Go's"
	case res.arch != nil && !slices.Contains(schema.HostArches(), string(res.arch)):
		c.after = "host.arch not one of Go's"
	case (res.version != nil && !printableShort(res.version, maxVersionLen)) || (res.runtime != nil && !printableShort(res.runtime, maxVersionLen)):
		c.after = "version too long or not printable"
	}
	if c.before == "" && c.after == "" {
		c.product = d.intern(res.product)
		c.version, c.os, c.arch, c.runtime = d.intern(res.version), d.intern(res.os), d.intern(res.arch), d.intern(res.runtime)
	}
	return c
}

func newDecoder() *decoder {
	return &decoder{strs: map[string]string{}, skipped: map[string]int{}}
}

// intern returns a shared copy of b. Past 1<<16 distinct values it stops remembering new ones
// (hostile input cannot grow the table without bound).
func (d *decoder) intern(b []byte) string {
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.strs) < 1<<16 {
		d.strs[s] = s
	}
	return s
}

func (d *decoder) skip(why string) { d.skipped[why]++ }

// event converts one record, or counts why it cannot.
func (d *decoder) event(res *rawResource, r *rawRecord) (Event, bool) {
	var ev Event
	switch string(r.eventName) {
	case EventMilestone:
		ev.Kind = KindMilestone
	case EventUsage:
		ev.Kind = KindUsage
	case EventHeartbeat:
		ev.Kind = KindHeartbeat
	case EventErrorReport:
		ev.Kind = KindErrorReport
	case EventErasure:
		ev.Kind = KindErasure
	default:
		d.skip("not a Waymark event")
		return ev, false
	}
	if r.bad != "" {
		d.skip(r.bad)
		return ev, false
	}
	rc := d.checkResource(res)
	if rc.before != "" {
		d.skip(rc.before)
		return ev, false
	}
	ev.Install, ev.Session = rc.install, rc.session
	var ok bool
	if ev.EventID, ok = parseUUID(r.eventID); !ok {
		d.skip("event.id missing or not a UUID")
		return ev, false
	}
	if rc.after != "" {
		d.skip(rc.after)
		return ev, false
	}
	t, ok := unixNano(r.time)
	if !ok {
		t, ok = unixNano(r.observed)
	}
	if !ok {
		d.skip("no timestamp")
		return ev, false
	}
	ev.Time = t
	if ev.Kind != KindErasure && !d.perRun(r, &ev) {
		return ev, false
	}
	switch ev.Kind {
	case KindMilestone:
		if !validName(r.milestone, maxMilestoneLen, true) {
			d.skip("milestone.name missing or not a milestone name")
			return ev, false
		}
		ev.Milestone = d.intern(r.milestone)
	case KindHeartbeat:
		if f, ok := number(r.interval); ok && f > 0 {
			ev.Interval = time.Duration(math.Min(f, MaxHeartbeatInterval.Seconds()) * float64(time.Second))
		}
		if f, ok := number(r.uptime); ok && f >= 0 && f < 1e10 {
			ev.Uptime = time.Duration(f) * time.Second
		}
	case KindErrorReport:
		if len(r.excType) > maxErrTypeLen || len(r.excMsg) > maxErrMessage {
			d.skip("exception.* longer than the collector keeps")
			return ev, false
		}
		ev.ErrType = strings.ToValidUTF8(d.intern(r.excType), "\uFFFD")
		ev.ErrMessage = strings.ToValidUTF8(d.intern(r.excMsg), "\uFFFD")
	}
	ev.Product, ev.Version, ev.OS, ev.Arch, ev.Runtime = rc.product, rc.version, rc.os, rc.arch, rc.runtime
	return ev, true
}

// parseUUID reads the canonical text form (either case).
func parseUUID(b []byte) (UUID, bool) {
	u, ok := uuidx.Parse(b)
	return UUID(u), ok
}

// String returns the canonical text form.
func (u UUID) String() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[c>>4], hex[c&15])
	}
	return string(b)
}

// validName is the SDK's rule for product and milestone names: a lower-case letter, then up
// to max-1 of [a-z0-9_-] (and '.', when dots is set).
func validName(b []byte, max int, dots bool) bool {
	if len(b) == 0 || len(b) > max || b[0] < 'a' || b[0] > 'z' {
		return false
	}
	for _, c := range b[1:] {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
		case c == '.' && dots:
		default:
			return false
		}
	}
	return true
}

// printableShort: at most max bytes of printable ASCII without spaces.
func printableShort(b []byte, max int) bool {
	if len(b) > max {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// unixNano reads a fixed64 nanosecond timestamp (a JSON string or number); zero means unset.
func unixNano(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil || n == 0 || n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}

// number reads an int or double value, or a string holding one.
func number(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 32 || !utf8.Valid(b) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

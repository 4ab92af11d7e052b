package report

import (
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/waymarkhq/waymark/internal/otlpfile"
	"github.com/waymarkhq/waymark/internal/schema"
)

// The scanner reads the subset of OTLP JSON that the collector's file exporter writes for
// logs, without reflection and without building a tree: it walks one line once, keeps the
// few fields the report needs as slices of the line, and skips everything else. It handles
// any valid JSON (fields in any order, escapes, numbers where strings are expected) so that
// another writer's output still reads, and bounds what one record may cost:
//
//   - a value nested deeper than maxDepth makes its record unusable, but the scanner still
//     walks to the record's end (iteratively, so depth costs no stack) and goes on with the
//     next record of the same line;
//   - a record larger than maxRecordBytes is unusable in the same way;
//   - a syntax error ends the line: what was read before it is kept.

const (
	// maxDepth bounds the nesting inside one log record. Waymark's records are 5 levels deep.
	maxDepth = 32
	// maxRecordBytes bounds one log record. Waymark's largest, an error report, is under 80 KiB.
	maxRecordBytes = 1 << 20
)

var errSyntax = errors.New("bad JSON")

// rawResource holds the resource attributes the report uses, as slices of the line (or of an
// unescape buffer).
type rawResource struct {
	product, version, install, session, os, arch, runtime []byte
	bad                                                   string // why the resource is unusable
	done                                                  bool   // its object was read to its end
	gen                                                   uint64 // counts the resources read into this value
}

// rawRecord is one log record as read.
type rawRecord struct {
	eventName                           []byte
	time, observed                      []byte
	eventID, milestone, excType, excMsg []byte
	interval, uptime                    []byte
	agent, sampleRate                   []byte
	bad                                 string // why the record is unusable
	end                                 int    // offset just past the record's object; 0 if cut short
}

type scanner struct {
	b   []byte
	i   int
	err error
	// depth reached by the last skipValue.
	depth int
	// scratch holds unescaped strings of the current line.
	scratch []byte
	stack   []byte
	// next is the offset of the next export request's start in b after offset 0 (len(b) if
	// none), or -1 before it is looked for.
	next int
}

// nextRequest returns the offset of the first export request that starts in the line after
// its beginning: a request cut short ends there at the latest.
func (s *scanner) nextRequest() int {
	if s.next < 0 {
		s.next = otlpfile.NextStart(s.b, 1)
		if s.next < 0 {
			s.next = len(s.b)
		}
	}
	return s.next
}

func (s *scanner) fail() {
	if s.err == nil {
		s.err = errSyntax
	}
	s.i = len(s.b)
}

func (s *scanner) ws() {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return // the file exporter writes no white space
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, or fails.
func (s *scanner) consume(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	s.fail()
	return false
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str reads a string and returns its content, unescaped (into scratch) when it has escapes.
func (s *scanner) str() []byte {
	if !s.consume('"') {
		return nil
	}
	start := s.i
	esc := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		if plain[c] {
			s.i++
			continue
		}
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if esc {
				return s.unescape(raw)
			}
			return raw
		case c == '\\':
			esc = true
			s.i += 2
		case c < 0x20:
			s.fail()
			return nil
		default:
			s.i++
		}
	}
	s.fail()
	return nil
}

// plain marks the bytes that stand for themselves inside a JSON string.
var plain = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// skipString skips a string without looking at its content.
func (s *scanner) skipString() {
	s.i++ // opening quote
	for s.i < len(s.b) {
		if plain[s.b[s.i]] {
			s.i++
			continue
		}
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return
		case c == '\\':
			s.i += 2
		case c < 0x20:
			s.fail()
			return
		default:
			s.i++
		}
	}
	s.fail()
}

// unescape decodes JSON escapes; invalid ones fail the line.
func (s *scanner) unescape(raw []byte) []byte {
	start := len(s.scratch)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			s.scratch = append(s.scratch, c)
			continue
		}
		i++
		if i >= len(raw) {
			s.fail()
			return nil
		}
		switch raw[i] {
		case '"', '\\', '/':
			s.scratch = append(s.scratch, raw[i])
		case 'b':
			s.scratch = append(s.scratch, '\b')
		case 'f':
			s.scratch = append(s.scratch, '\f')
		case 'n':
			s.scratch = append(s.scratch, '\n')
		case 'r':
			s.scratch = append(s.scratch, '\r')
		case 't':
			s.scratch = append(s.scratch, '\t')
		case 'u':
			r, ok := hex4(raw, i+1)
			if !ok {
				s.fail()
				return nil
			}
			i += 4
			if utf16Surrogate(r) {
				if r2, ok := hex4(raw, i+3); ok && i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' && r < 0xdc00 && r2 >= 0xdc00 && r2 < 0xe000 {
					r = 0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00)
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			s.scratch = utf8.AppendRune(s.scratch, r)
		default:
			s.fail()
			return nil
		}
	}
	return s.scratch[start:]
}

func utf16Surrogate(r rune) bool { return r >= 0xd800 && r < 0xe000 }

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// scalar reads a string, or the text of a number, true, false or null (nil for null and for
// anything nested, which it skips).
func (s *scanner) scalar() []byte {
	s.depth = 0
	switch c := s.peek(); {
	case c == '"':
		return s.str()
	case c == '{' || c == '[':
		s.skipValue()
		return nil
	case c == 'n':
		s.literal("null")
		return nil
	default:
		start := s.i
		for s.i < len(s.b) {
			c := s.b[s.i]
			if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || (c >= 'a' && c <= 'z') {
				s.i++
				continue
			}
			break
		}
		if s.i == start {
			s.fail()
			return nil
		}
		v := s.b[start:s.i]
		switch string(v) {
		case "true", "false":
			return v
		}
		if v[0] >= 'a' && v[0] <= 'z' {
			s.fail()
			return nil
		}
		return v
	}
}

func (s *scanner) literal(w string) {
	if s.i+len(w) <= len(s.b) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return
	}
	s.fail()
}

// skipValue skips one value of any depth without recursion and records in s.depth how deep
// it went. Its stack of open containers is one byte per level, reused across calls.
func (s *scanner) skipValue() {
	s.depth = 0
	stack := s.stack[:0]
	defer func() { s.stack = stack[:0] }()
	for {
		c := s.peek()
		switch c {
		case '"':
			s.skipString()
		case '{', '[':
			stack = append(stack, c)
			s.depth = max(s.depth, len(stack))
			s.i++
			if n := s.peek(); (c == '{' && n == '}') || (c == '[' && n == ']') {
				s.i++
				stack = stack[:len(stack)-1]
				break
			}
			if c == '{' && !s.objectKey() {
				return
			}
			continue
		case 't':
			s.literal("true")
		case 'f':
			s.literal("false")
		case 'n':
			s.literal("null")
		default:
			if (c < '0' || c > '9') && c != '-' {
				s.fail()
				return
			}
			for s.i < len(s.b) {
				c := s.b[s.i]
				if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
					s.i++
					continue
				}
				break
			}
		}
		if s.err != nil {
			return
		}
		// After a complete value: a separator, or the end of containers.
		for {
			if len(stack) == 0 {
				return
			}
			top := stack[len(stack)-1]
			n := s.peek()
			if n == ',' {
				s.i++
				if top == '{' && !s.objectKey() {
					return
				}
				break
			}
			if (top == '{' && n == '}') || (top == '[' && n == ']') {
				s.i++
				stack = stack[:len(stack)-1]
				continue
			}
			s.fail()
			return
		}
	}
}

// objectKey skips a key and its colon.
func (s *scanner) objectKey() bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		s.fail()
		return false
	}
	s.skipString()
	return s.err == nil && s.consume(':')
}

// object calls field for each key of an object; field must consume the value.
func (s *scanner) object(field func(key []byte)) {
	if !s.consume('{') {
		return
	}
	if s.peek() == '}' {
		s.i++
		return
	}
	for s.err == nil {
		key := s.str()
		if !s.consume(':') {
			return
		}
		field(key)
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.fail()
		}
	}
}

// array calls elem for each element; elem must consume it.
func (s *scanner) array(elem func()) {
	if s.peek() == 'n' {
		s.literal("null")
		return
	}
	if !s.consume('[') {
		return
	}
	if s.peek() == ']' {
		s.i++
		return
	}
	for s.err == nil {
		elem()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return
		default:
			s.fail()
		}
	}
}

// lineKind says what a line held.
type lineKind int

const (
	lineEmpty lineKind = iota
	lineLogs
	lineMetrics // metrics, spans or profiles: not the report's business
)

// scanLine reads one line of the file exporter's output and calls emit for each log record
// with its resource. It returns what kind of line it was and a syntax error, if any (records
// before the error have been emitted).
func scanLine(line []byte, s *scanner, res *rawResource, recs *[]rawRecord, emit func(*rawResource, *rawRecord)) (lineKind, error) {
	*s = scanner{b: line, scratch: s.scratch[:0], stack: s.stack[:0], next: -1}
	kind := lineEmpty
	if s.peek() == 0 {
		return kind, nil
	}
	if s.peek() != '{' {
		return kind, errors.New("not a JSON object")
	}
	// The metrics exporter's lines start so; skip them without reading further.
	if hasPrefixAt(line, s.i, `{"resourceMetrics"`) {
		if otlpfile.NextStart(line, s.i+1) >= 0 {
			// A metrics request cut short, and another request appended after it.
			return lineMetrics, errSyntax
		}
		return lineMetrics, nil
	}
	known := false
	s.object(func(key []byte) {
		switch string(key) {
		case "resourceLogs", "resource_logs":
			known, kind = true, lineLogs
			s.array(func() { scanResourceLogs(s, res, recs, emit) })
		case "resourceMetrics", "resourceSpans", "resourceProfiles", "resource_metrics", "resource_spans", "resource_profiles":
			known = true
			if kind == lineEmpty {
				kind = lineMetrics
			}
			s.skipValue()
		default:
			s.skipValue()
		}
	})
	if s.err == nil {
		if s.peek() != 0 {
			s.fail()
		}
	}
	if s.err != nil {
		return kind, s.err
	}
	if !known {
		return kind, errNotOTLP
	}
	return kind, nil
}

// maxTornPerLine bounds the torn requests looked past in one line: each costs a scan of the
// rest of the line, and a collector leaves one per crash.
const maxTornPerLine = 16

// requests is what scanRequests found in a line.
type requests struct {
	kind lineKind
	// err is the syntax error that ended the line's last request, if any.
	err error
	// torn counts the requests cut short and followed by another; tornErr is the first one's
	// error.
	torn    int
	tornErr error
}

// scanRequests reads a line like scanLine and, when a request in it is cut short and another
// starts after it (a collector killed mid-write, then restarted, appends to the same line),
// goes on with that one: every whole record after a torn one is read. The torn request's
// records that were read to their end are kept too.
func scanRequests(line []byte, s *scanner, res *rawResource, recs *[]rawRecord, emit func(*rawResource, *rawRecord)) requests {
	var out requests
	at := 0
	for {
		kind, err := scanLine(line[at:], s, res, recs, emit)
		if out.kind != lineLogs {
			out.kind = kind
		}
		if err == nil {
			return out
		}
		next := otlpfile.NextStart(line, at+1)
		if next < 0 || out.torn >= maxTornPerLine {
			out.err = err
			return out
		}
		if out.torn == 0 {
			out.tornErr = err
		}
		out.torn++
		at = next
	}
}

// errNotOTLP is returned for a JSON object that is no OTLP export request.
var errNotOTLP = errors.New("not an OTLP JSON export request")

func hasPrefixAt(b []byte, i int, p string) bool {
	return len(b)-i >= len(p) && string(b[i:i+len(p)]) == p
}

func scanResourceLogs(s *scanner, res *rawResource, recs *[]rawRecord, emit func(*rawResource, *rawRecord)) {
	*res = rawResource{gen: res.gen + 1}
	*recs = (*recs)[:0]
	s.object(func(key []byte) {
		switch string(key) {
		case "resource":
			defer func() { res.done = s.err == nil }()
			s.object(func(key []byte) {
				if string(key) != "attributes" {
					s.skipValue()
					return
				}
				s.array(func() {
					scanKeyValue(s, func(k, v []byte, bad string) {
						if bad != "" {
							if isResourceKey(k) {
								res.bad = "resource attribute " + bad
							}
							return
						}
						switch string(k) {
						case "service.name":
							res.product = v
						case "service.version":
							res.version = v
						case "app.installation.id":
							res.install = v
						case "session.id":
							res.session = v
						case "os.type":
							res.os = v
						case "host.arch":
							res.arch = v
						case "process.runtime.version":
							res.runtime = v
						}
					})
				})
			})
		case "scopeLogs", "scope_logs":
			s.array(func() {
				s.object(func(key []byte) {
					if string(key) != "logRecords" && string(key) != "log_records" {
						s.skipValue()
						return
					}
					s.array(func() {
						*recs = append(*recs, rawRecord{})
						scanRecord(s, &(*recs)[len(*recs)-1])
					})
				})
			})
		default:
			s.skipValue()
		}
	})
	if s.err != nil {
		// A syntax error: the request was cut short (a torn line), or is damaged. Keep the
		// records read to their end, under a resource read to its end, before the start of any
		// request appended after this one: what follows that start may have been read as part
		// of this request.
		if !res.done {
			return
		}
		limit := s.nextRequest()
		for i := range *recs {
			if r := &(*recs)[i]; r.end > 0 && r.end <= limit {
				emit(res, r)
			}
		}
		return
	}
	for i := range *recs {
		emit(res, &(*recs)[i])
	}
}

func isResourceKey(k []byte) bool {
	switch string(k) {
	case "service.name", "service.version", "app.installation.id", "session.id", "os.type", "host.arch", "process.runtime.version":
		return true
	}
	return false
}

func scanRecord(s *scanner, r *rawRecord) {
	start := s.i
	s.object(func(key []byte) {
		switch string(key) {
		case "timeUnixNano", "time_unix_nano":
			r.time = s.scalar()
		case "observedTimeUnixNano", "observed_time_unix_nano":
			r.observed = s.scalar()
		case "eventName", "event_name":
			r.eventName = s.scalar()
		case "attributes":
			s.array(func() {
				scanKeyValue(s, func(k, v []byte, bad string) {
					if bad != "" {
						if r.bad == "" {
							r.bad = bad
						}
						return
					}
					switch string(k) {
					case "event.id":
						r.eventID = v
					case "milestone.name":
						r.milestone = v
					case "heartbeat.interval_s":
						r.interval = v
					case "session.uptime_s":
						r.uptime = v
					case "exception.type":
						r.excType = v
					case "exception.message":
						r.excMsg = v
					case schema.AttrAgent:
						r.agent = v
					case schema.AttrSampleRate:
						r.sampleRate = v
					}
				})
			})
		default:
			s.skipValue()
			if s.depth > maxDepth && r.bad == "" {
				r.bad = "nested deeper than " + strconv.Itoa(maxDepth)
			}
		}
	})
	if s.err == nil {
		r.end = s.i
	}
	if s.i-start > maxRecordBytes && r.bad == "" {
		r.bad = "record larger than " + strconv.Itoa(maxRecordBytes>>10) + " KiB"
	}
	if r.eventName == nil {
		r.eventName = []byte{}
	}
}

// scanKeyValue reads one {"key":…,"value":{…}} and reports the key with the value's scalar
// (string, or the text of an int, double or bool); bad says why a value is unusable.
func scanKeyValue(s *scanner, got func(k, v []byte, bad string)) {
	if k, v, ok := s.plainKeyValue(); ok {
		got(k, v, "")
		return
	}
	var key, val []byte
	bad := ""
	s.object(func(f []byte) {
		switch string(f) {
		case "key":
			key = s.str()
		case "value":
			s.object(func(kind []byte) {
				switch string(kind) {
				case "stringValue", "string_value", "intValue", "int_value", "doubleValue", "double_value", "boolValue", "bool_value":
					val = s.scalar()
					if s.depth > maxDepth {
						bad = "nested deeper than " + strconv.Itoa(maxDepth)
					}
				default:
					// arrays, kvlists and bytes: Waymark sends none.
					s.skipValue()
					if s.depth > maxDepth {
						bad = "nested deeper than " + strconv.Itoa(maxDepth)
					} else {
						bad = "not a scalar value"
					}
				}
			})
		default:
			s.skipValue()
			if s.depth > maxDepth {
				bad = "nested deeper than " + strconv.Itoa(maxDepth)
			}
		}
	})
	if s.err == nil {
		got(key, val, bad)
	}
}

// plainKeyValue reads {"key":"K","value":{"stringValue":"V"}} (or "intValue") as the file
// exporter writes it: no white space, no escapes. For anything else it reads nothing and
// returns false, and the general path reads the value; both give the same key and value.
func (s *scanner) plainKeyValue() (k, v []byte, ok bool) {
	b := s.b[s.i:]
	const open = `{"key":"`
	if len(b) < len(open) || string(b[:len(open)]) != open {
		return nil, nil, false
	}
	b = b[len(open):]
	n := plainRun(b)
	if n == len(b) || b[n] != '"' {
		return nil, nil, false
	}
	k, b = b[:n], b[n+1:]
	const str, num = `,"value":{"stringValue":"`, `,"value":{"intValue":"`
	switch {
	case len(b) >= len(str) && string(b[:len(str)]) == str:
		b = b[len(str):]
	case len(b) >= len(num) && string(b[:len(num)]) == num:
		b = b[len(num):]
	default:
		return nil, nil, false
	}
	n = plainRun(b)
	if n+3 > len(b) || b[n] != '"' || b[n+1] != '}' || b[n+2] != '}' {
		return nil, nil, false
	}
	v = b[:n]
	s.i = len(s.b) - len(b) + n + 3
	return k, v, true
}

// plainRun returns how many bytes at the start of b stand for themselves in a JSON string.
func plainRun(b []byte) int {
	for i, c := range b {
		if !plain[c] {
			return i
		}
	}
	return len(b)
}

package otlpwire

import (
	"fmt"
	"math"
	"unicode/utf8"
)

// Decoding reads back the LogsData messages this package writes, so that a
// user can see exactly what was sent (`telemetry show`). The input comes from
// the disk (the spool), which is hostile ground: the decoder never panics,
// reads nothing outside its input, bounds its own recursion and the number
// of things it allocates, and rejects what google.golang.org/protobuf
// rejects in the fields it reads (bad varints, lengths past the end,
// invalid field numbers, stray end-group tags, invalid UTF-8 in strings).
// Fields it does not read are skipped, as are known fields arriving with an
// unexpected wire type, which protobuf keeps as unknown fields.

// DecodeError is the type of the decoder's sentinel errors; every error
// DecodeLogsData returns wraps one of them.
type DecodeError string

// Error implements error.
func (e DecodeError) Error() string { return string(e) }

const (
	// ErrMalformed reports input that is not a valid protobuf LogsData message.
	ErrMalformed DecodeError = "otlpwire: malformed LogsData"
	// ErrLimit reports valid input that is larger or deeper than the decoder
	// accepts (MaxDecodeSize, nesting, element count).
	ErrLimit DecodeError = "otlpwire: LogsData beyond the decoder's limits"
)

const (
	// MaxDecodeSize is the largest message DecodeLogsData reads.
	MaxDecodeSize = 4 << 20
	// maxValueDepth bounds the nesting of arrays and key-value lists in an
	// AnyValue (Waymark itself writes none).
	maxValueDepth = 8
	// maxGroupDepth bounds the nesting of skipped protobuf groups.
	maxGroupDepth = 32
	// maxElements bounds the records, key-values and values of one message,
	// so a small input cannot make the decoder allocate much more than
	// itself.
	maxElements = 1 << 16
)

// Protobuf wire types the decoder meets besides those the encoder writes.
const (
	wireStartGroup = 3
	wireEndGroup   = 4
	wireFixed32    = 5
)

// LogsData is a decoded OTLP LogsData message (or ExportLogsServiceRequest,
// which is wire-identical), holding the fields Waymark writes.
type LogsData struct {
	ResourceLogs []ResourceLogs
}

// ResourceLogs is one decoded ResourceLogs: the resource's attributes and
// the scopes' records.
type ResourceLogs struct {
	Resource  []KeyValue
	ScopeLogs []ScopeLogs
}

// ScopeLogs is one decoded ScopeLogs: its instrumentation scope's name and
// version, and its log records.
type ScopeLogs struct {
	ScopeName    string
	ScopeVersion string
	LogRecords   []LogRecord
}

// LogRecord is one decoded LogRecord. Times are nanoseconds since the Unix
// epoch; zero means unset.
type LogRecord struct {
	TimeUnixNano         uint64
	ObservedTimeUnixNano uint64
	EventName            string
	Attributes           []KeyValue
}

// KeyValue is one decoded attribute. Value holds a string, bool, int64,
// float64, []byte, []any (an array of such values), []KeyValue (a key-value
// list), or nil when the AnyValue is empty or absent.
type KeyValue struct {
	Key   string
	Value any
}

// DecodeLogsData decodes b, one LogsData message or several concatenated
// (which protobuf reads as one). It returns an error wrapping ErrMalformed
// or ErrLimit, and never panics, whatever b holds.
func DecodeLogsData(b []byte) (LogsData, error) {
	var out LogsData
	if len(b) > MaxDecodeSize {
		return out, fmt.Errorf("%w: %d bytes, more than %d", ErrLimit, len(b), MaxDecodeSize)
	}
	d := &decoder{}
	err := d.fields(b, func(f field) error {
		if f.num != logsDataResourceLogs || f.typ != wireBytes {
			return nil
		}
		if err := d.count(); err != nil {
			return err
		}
		var rl ResourceLogs
		if err := d.resourceLogs(f.b, &rl); err != nil {
			return err
		}
		out.ResourceLogs = append(out.ResourceLogs, rl)
		return nil
	})
	if err != nil {
		return LogsData{}, err
	}
	return out, nil
}

// decoder counts what one DecodeLogsData call has allocated.
type decoder struct {
	elements int
}

func (d *decoder) count() error {
	d.elements++
	if d.elements > maxElements {
		return fmt.Errorf("%w: more than %d elements", ErrLimit, maxElements)
	}
	return nil
}

// field is one field of a message: a varint or fixed value in v, or the
// content of a length-delimited field in b.
type field struct {
	num int
	typ int
	v   uint64
	b   []byte
}

// fields calls fn for each field of message b, in order. Groups are
// skipped without calling fn.
func (d *decoder) fields(b []byte, fn func(field) error) error {
	for len(b) > 0 {
		f, n, err := nextField(b, 0)
		if err != nil {
			return err
		}
		b = b[n:]
		if f.typ == wireStartGroup {
			continue
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// nextField reads the field at the start of b and returns it with the
// number of bytes it took. A group (which OTLP never uses) is consumed
// whole, up to groupDepth levels deep.
func nextField(b []byte, groupDepth int) (field, int, error) {
	tag, n := consumeVarint(b)
	if n < 0 {
		return field{}, 0, fmt.Errorf("%w: bad tag varint", ErrMalformed)
	}
	num, typ := tag>>3, int(tag&7)
	// Inside a group, protobuf accepts MessageSet's larger field numbers.
	maxNum := uint64(1<<29 - 1)
	if groupDepth > 0 {
		maxNum = math.MaxInt32
	}
	if num < 1 || num > maxNum {
		return field{}, 0, fmt.Errorf("%w: invalid field number %d", ErrMalformed, num)
	}
	f := field{num: int(num), typ: typ}
	switch typ {
	case wireVarint:
		v, m := consumeVarint(b[n:])
		if m < 0 {
			return field{}, 0, fmt.Errorf("%w: bad varint in field %d", ErrMalformed, num)
		}
		f.v, n = v, n+m
	case wireFixed64:
		if len(b)-n < 8 {
			return field{}, 0, fmt.Errorf("%w: truncated fixed64 in field %d", ErrMalformed, num)
		}
		f.v, n = le64(b[n:]), n+8
	case wireFixed32:
		if len(b)-n < 4 {
			return field{}, 0, fmt.Errorf("%w: truncated fixed32 in field %d", ErrMalformed, num)
		}
		f.v = uint64(b[n]) | uint64(b[n+1])<<8 | uint64(b[n+2])<<16 | uint64(b[n+3])<<24
		n += 4
	case wireBytes:
		l, m := consumeVarint(b[n:])
		if m < 0 || l > uint64(len(b)-n-m) {
			return field{}, 0, fmt.Errorf("%w: bad length in field %d", ErrMalformed, num)
		}
		n += m
		f.b, n = b[n:n+int(l)], n+int(l)
	case wireStartGroup:
		m, err := skipGroup(b[n:], f.num, groupDepth+1)
		if err != nil {
			return field{}, 0, err
		}
		n += m
	default: // an end-group tag outside its group, or wire types 6 and 7
		return field{}, 0, fmt.Errorf("%w: unexpected wire type %d in field %d", ErrMalformed, typ, num)
	}
	return f, n, nil
}

// skipGroup consumes the fields of a group up to and including its end tag,
// and returns the number of bytes taken.
func skipGroup(b []byte, num, depth int) (int, error) {
	if depth > maxGroupDepth {
		return 0, fmt.Errorf("%w: groups nested deeper than %d", ErrLimit, maxGroupDepth)
	}
	n := 0
	for n < len(b) {
		tag, m := consumeVarint(b[n:])
		if m >= 0 && tag&7 == wireEndGroup {
			if tag>>3 != uint64(num) {
				return 0, fmt.Errorf("%w: mismatched end of group %d", ErrMalformed, num)
			}
			return n + m, nil
		}
		_, m, err := nextField(b[n:], depth)
		if err != nil {
			return 0, err
		}
		n += m
	}
	return 0, fmt.Errorf("%w: unterminated group %d", ErrMalformed, num)
}

// consumeVarint reads a varint as protobuf does: at most ten bytes, the
// tenth at most 1. It returns -1 as the length when b holds none.
func consumeVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < 10 && i < len(b); i++ {
		c := b[i]
		if i == 9 && c > 1 {
			return 0, -1
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, -1
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// str returns a string field's content, which must be valid UTF-8.
func str(f field) (string, error) {
	if !utf8.Valid(f.b) {
		return "", fmt.Errorf("%w: invalid UTF-8 in string field %d", ErrMalformed, f.num)
	}
	return string(f.b), nil
}

// resourceLogs decodes into rl; a repeated resource is merged, as protobuf
// merges a repeated singular message field.
func (d *decoder) resourceLogs(b []byte, rl *ResourceLogs) error {
	return d.fields(b, func(f field) error {
		if f.typ != wireBytes {
			return nil
		}
		switch f.num {
		case resourceLogsResource:
			return d.fields(f.b, func(f field) error {
				if f.num != resourceAttributes || f.typ != wireBytes {
					return nil
				}
				return d.appendKeyValue(&rl.Resource, f.b, 0)
			})
		case resourceLogsScopeLogs:
			if err := d.count(); err != nil {
				return err
			}
			var sl ScopeLogs
			if err := d.scopeLogs(f.b, &sl); err != nil {
				return err
			}
			rl.ScopeLogs = append(rl.ScopeLogs, sl)
		}
		return nil
	})
}

func (d *decoder) scopeLogs(b []byte, sl *ScopeLogs) error {
	return d.fields(b, func(f field) error {
		if f.typ != wireBytes {
			return nil
		}
		switch f.num {
		case scopeLogsScope:
			return d.fields(f.b, func(f field) error {
				if f.typ != wireBytes {
					return nil
				}
				var err error
				switch f.num {
				case scopeName:
					sl.ScopeName, err = str(f)
				case scopeVersion:
					sl.ScopeVersion, err = str(f)
				}
				return err
			})
		case scopeLogsLogRecords:
			if err := d.count(); err != nil {
				return err
			}
			var lr LogRecord
			if err := d.logRecord(f.b, &lr); err != nil {
				return err
			}
			sl.LogRecords = append(sl.LogRecords, lr)
		}
		return nil
	})
}

func (d *decoder) logRecord(b []byte, lr *LogRecord) error {
	return d.fields(b, func(f field) error {
		var err error
		switch {
		case f.num == logRecordTime && f.typ == wireFixed64:
			lr.TimeUnixNano = f.v
		case f.num == logRecordObservedTime && f.typ == wireFixed64:
			lr.ObservedTimeUnixNano = f.v
		case f.num == logRecordEventName && f.typ == wireBytes:
			lr.EventName, err = str(f)
		case f.num == logRecordAttributes && f.typ == wireBytes:
			err = d.appendKeyValue(&lr.Attributes, f.b, 0)
		}
		return err
	})
}

// appendKeyValue decodes KeyValue message b onto *kvs.
func (d *decoder) appendKeyValue(kvs *[]KeyValue, b []byte, depth int) error {
	if err := d.count(); err != nil {
		return err
	}
	var kv KeyValue
	err := d.fields(b, func(f field) error {
		if f.typ != wireBytes {
			return nil
		}
		var err error
		switch f.num {
		case keyValueKey:
			kv.Key, err = str(f)
		case keyValueValue:
			kv.Value, err = d.anyValue(f.b, kv.Value, depth)
		}
		return err
	})
	if err != nil {
		return err
	}
	*kvs = append(*kvs, kv)
	return nil
}

// anyValue decodes AnyValue message b merged onto cur, as protobuf merges a
// repeated singular message field: the last member seen wins, and an array
// or key-value list met again extends the one already there.
func (d *decoder) anyValue(b []byte, cur any, depth int) (any, error) {
	err := d.fields(b, func(f field) error {
		switch {
		case f.num == anyValueString && f.typ == wireBytes:
			s, err := str(f)
			cur = s
			return err
		case f.num == anyValueBool && f.typ == wireVarint:
			cur = f.v != 0
		case f.num == anyValueInt && f.typ == wireVarint:
			cur = int64(f.v)
		case f.num == anyValueDouble && f.typ == wireFixed64:
			cur = math.Float64frombits(f.v)
		case f.num == anyValueBytes && f.typ == wireBytes:
			cur = append([]byte{}, f.b...)
		case f.num == anyValueArray && f.typ == wireBytes:
			if depth >= maxValueDepth {
				return fmt.Errorf("%w: values nested deeper than %d", ErrLimit, maxValueDepth)
			}
			arr, _ := cur.([]any)
			if arr == nil {
				arr = []any{}
			}
			err := d.fields(f.b, func(f field) error {
				if f.num != arrayValueValues || f.typ != wireBytes {
					return nil
				}
				if err := d.count(); err != nil {
					return err
				}
				v, err := d.anyValue(f.b, nil, depth+1)
				arr = append(arr, v)
				return err
			})
			cur = arr
			return err
		case f.num == anyValueKvlist && f.typ == wireBytes:
			if depth >= maxValueDepth {
				return fmt.Errorf("%w: values nested deeper than %d", ErrLimit, maxValueDepth)
			}
			kvs, _ := cur.([]KeyValue)
			if kvs == nil {
				kvs = []KeyValue{}
			}
			err := d.fields(f.b, func(f field) error {
				if f.num != keyValueListValues || f.typ != wireBytes {
					return nil
				}
				return d.appendKeyValue(&kvs, f.b, depth+1)
			})
			cur = kvs
			return err
		}
		return nil
	})
	return cur, err
}

package otlpwire

import (
	"math/bits"
	"time"
	"unicode/utf8"
)

// Protobuf wire types used by OTLP.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
)

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// varintLen is the number of bytes appendVarint writes for v.
func varintLen(v uint64) int {
	return (bits.Len64(v|1) + 6) / 7
}

func appendTag(b []byte, num, wire int) []byte {
	return appendVarint(b, uint64(num)<<3|uint64(wire))
}

func appendFixed64(b []byte, v uint64) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24),
		byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
}

// appendVarintField appends a varint field, omitting zero as proto3 does.
func appendVarintField(b []byte, num int, v uint64) []byte {
	if v == 0 {
		return b
	}
	return appendVarint(appendTag(b, num, wireVarint), v)
}

// appendFixed64Field appends a fixed64 field, omitting zero as proto3 does.
func appendFixed64Field(b []byte, num int, v uint64) []byte {
	if v == 0 {
		return b
	}
	return appendFixed64(appendTag(b, num, wireFixed64), v)
}

// appendStringField appends a string field, omitting "" as proto3 does.
func appendStringField(b []byte, num int, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(b, num, s)
}

// appendString appends a string field even when s is empty (a oneof member
// must be present to be set). Invalid UTF-8 is repaired, since protobuf
// decoders reject it in string fields.
func appendString(b []byte, num int, s string) []byte {
	if utf8.ValidString(s) {
		b = appendVarint(appendTag(b, num, wireBytes), uint64(len(s)))
		return append(b, s...)
	}
	b, start := openField(b, num)
	b = appendValidUTF8(b, s)
	return closeField(b, start)
}

// appendValidUTF8 appends s with each run of invalid bytes replaced by one
// U+FFFD, as strings.ToValidUTF8(s, "\uFFFD") does, without allocating.
func appendValidUTF8(b []byte, s string) []byte {
	inInvalid := false
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, c)
			i++
			inInvalid = false
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			if !inInvalid {
				b = append(b, "\uFFFD"...)
				inInvalid = true
			}
			i++
			continue
		}
		b = append(b, s[i:i+w]...)
		i += w
		inInvalid = false
	}
	return b
}

// appendBytes appends a bytes field even when v is empty.
func appendBytes(b []byte, num int, v []byte) []byte {
	b = appendVarint(appendTag(b, num, wireBytes), uint64(len(v)))
	return append(b, v...)
}

// openField starts a length-delimited field (an embedded message or a packed
// repeated field) whose size is not known yet: it appends the tag and a
// one-byte length placeholder and returns the offset where the content
// starts. closeField writes the real length. Most OTLP sub-messages are under
// 128 bytes, so the placeholder is usually right and nothing moves.
func openField(b []byte, num int) ([]byte, int) {
	b = appendTag(b, num, wireBytes)
	b = append(b, 0)
	return b, len(b)
}

// closeField ends the field opened at start, widening the length prefix
// (and moving the content up) when the content is 128 bytes or more.
func closeField(b []byte, start int) []byte {
	n := len(b) - start
	if n < 0x80 {
		b[start-1] = byte(n)
		return b
	}
	extra := varintLen(uint64(n)) - 1
	b = append(b, make([]byte, extra)...)
	copy(b[start+extra:], b[start:start+n])
	putVarint(b[start-1:], uint64(n))
	return b
}

// putVarint writes v at the start of b, which must be long enough.
func putVarint(b []byte, v uint64) {
	i := 0
	for v >= 0x80 {
		b[i] = byte(v) | 0x80
		v >>= 7
		i++
	}
	b[i] = byte(v)
}

// unixNano converts t to OTLP's nanoseconds since the epoch; the zero time
// (and any time before 1970) means unset and encodes as 0.
func unixNano(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	n := t.UnixNano()
	if n < 0 {
		return 0
	}
	return uint64(n)
}

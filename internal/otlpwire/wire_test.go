package otlpwire

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestVarint(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 255, 300, 16383, 16384, 1<<21 - 1, 1 << 21, 1<<32 - 1, 1<<63 - 1, 1 << 63, math.MaxUint64} {
		got := appendVarint(nil, v)
		want := protowire.AppendVarint(nil, v)
		if !bytes.Equal(got, want) {
			t.Errorf("appendVarint(%d) = %x, want %x", v, got, want)
		}
		if varintLen(v) != protowire.SizeVarint(v) {
			t.Errorf("varintLen(%d) = %d, want %d", v, varintLen(v), protowire.SizeVarint(v))
		}
		buf := make([]byte, 10)
		putVarint(buf, v)
		if !bytes.Equal(buf[:len(want)], want) {
			t.Errorf("putVarint(%d) = %x, want %x", v, buf[:len(want)], want)
		}
	}
}

// closeField must produce the canonical length prefix on both sides of
// every varint width boundary, moving the content when it needs more room.
func TestOpenCloseField(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 129, 16383, 16384, 1<<21 - 1, 1 << 21} {
		content := bytes.Repeat([]byte{'x'}, n)
		if n > 1 {
			content[0], content[n-1] = 'a', 'z' // so a wrong move shows
		}
		b := []byte("prefix")
		b, start := openField(b, 12)
		b = append(b, content...)
		b = closeField(b, start)
		want := protowire.AppendBytes(protowire.AppendTag([]byte("prefix"), 12, protowire.BytesType), content)
		if !bytes.Equal(b, want) {
			t.Errorf("n=%d: field encoded differently from protowire (len %d, want %d)", n, len(b), len(want))
		}
	}
}

func TestAppendValidUTF8(t *testing.T) {
	for _, s := range []string{"", "abc", "é✓🚀", "\xff", "a\xff\xfeb", "\xc3", "\xe2\x9c", "\uFFFD", "x\xed\xa0\x80y", "\xf4\x90\x80\x80"} {
		got := string(appendValidUTF8(nil, s))
		if want := strings.ToValidUTF8(s, "\uFFFD"); got != want {
			t.Errorf("appendValidUTF8(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzAppendValidUTF8(f *testing.F) {
	f.Add("a\xffb")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendValidUTF8(nil, s)), strings.ToValidUTF8(s, "\uFFFD"); got != want {
			t.Fatalf("appendValidUTF8(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestUnixNano(t *testing.T) {
	tests := []struct {
		t    time.Time
		want uint64
	}{
		{time.Time{}, 0},
		{time.Unix(0, 0), 0},
		{time.Unix(-1, 0), 0},
		{time.Unix(1, 5), 1e9 + 5},
	}
	for _, tt := range tests {
		if got := unixNano(tt.t); got != tt.want {
			t.Errorf("unixNano(%v) = %d, want %d", tt.t, got, tt.want)
		}
	}
}

package jsonx

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// valid is what encoding/json keeps of s: each invalid byte becomes U+FFFD.
func valid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // RuneError for an invalid byte
		i += size
	}
	return b.String()
}

func check(t *testing.T, s string) {
	t.Helper()
	enc := AppendString([]byte("x"), s)
	if enc[0] != 'x' {
		t.Fatalf("AppendString(%q) did not append", s)
	}
	var got string
	if err := json.Unmarshal(enc[1:], &got); err != nil {
		t.Fatalf("AppendString(%q) = %s, not JSON: %v", s, enc[1:], err)
	}
	if want := valid(s); got != want {
		t.Fatalf("AppendString(%q) decodes to %q, want %q", s, got, want)
	}
	if !utf8.Valid(enc) {
		t.Fatalf("AppendString(%q) = %q is not valid UTF-8", s, enc)
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{
		"", "first_run", `a"b\c`, "line\nbreak\r\t", "\x00\x01\x1f\x7f",
		"héllo wörld ✓", "\xff\xfe", "a\xc3", "\u2028\u2029", "</script>&",
		"https://collector.example/v1?x=1&y=2",
	} {
		check(t, s)
	}
}

// The same bytes as encoding/json for valid UTF-8 without HTML characters,
// so files written either way look alike.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"first_run", "a\"b\\c\n\x01", "héllo ✓", "\u2028x"} {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, encoding/json %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "first_run", "a\"\\\n\x00", "\xff", "\u2028", "✓"} {
		f.Add(s)
	}
	f.Fuzz(check)
}

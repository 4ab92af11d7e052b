package safetext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// hostile holds what an attacker puts into error texts, paths and ids.
var hostile = []string{
	"\x1b[31mred\x1b[0m", "bell\a", "csi\u009b31m", "\u202egnp.exe", "iso\u2066late\u2069", "lrm\u200e\u200f",
	"arabic\u061cmark", "\ufeffbom", "nel\u0085", "del\x7f", "line\u2028sep", "bad\xffutf8", "tab\tcr\r",
}

// terminalUnsafe reports what a terminal must never receive raw.
func terminalUnsafe(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

func TestLineLeavesNoControl(t *testing.T) {
	for _, s := range hostile {
		out := Line(s, 100)
		if !utf8.ValidString(out) {
			t.Fatalf("Line(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if terminalUnsafe(r) {
				t.Fatalf("Line(%q) = %q keeps %U", s, out, r)
			}
		}
	}
	if got := Line("plain /home/u/.config ✓", 100); got != "plain /home/u/.config ✓" {
		t.Fatalf("plain text changed: %q", got)
	}
	if got := Line(strings.Repeat("é", 100), 11); len(got) > 11 || !strings.HasSuffix(got, "…") {
		t.Fatalf("cut: %q", got)
	}
}

func TestJSONEscapesWhatEncodingJSONLeavesRaw(t *testing.T) {
	for _, s := range hostile {
		b, err := json.Marshal(map[string]string{"k" + s: s})
		if err != nil {
			t.Fatal(err)
		}
		out := JSON(b)
		for _, r := range string(out) {
			if terminalUnsafe(r) && r != utf8.RuneError {
				t.Fatalf("JSON(%s) keeps %U raw: %s", b, r, out)
			}
		}
		var back map[string]string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("JSON(%s) = %s: %v", b, out, err)
		}
		if back["k"+strings.ToValidUTF8(s, "\ufffd")] != strings.ToValidUTF8(s, "\ufffd") {
			t.Fatalf("JSON(%s) = %s decodes to %q", b, out, back)
		}
	}
	if b := []byte(`{"a":"é ✓"}`); &JSON(b)[0] != &b[0] {
		t.Fatal("JSON copied text with nothing to escape")
	}
}

// A format character beyond U+FFFF (the tag characters, the musical
// formatting controls) is escaped as a surrogate pair: four hex digits of
// its code point would decode to another character, U+E0041 to "A".
func TestJSONEscapesFormatCharactersBeyondTheBMPAsSurrogatePairs(t *testing.T) {
	for _, s := range []string{"\U000E0041", "\U000E0001", "x\U0001D173y", "\U000E007F\u202e"} {
		b, err := json.Marshal([]string{s})
		if err != nil {
			t.Fatal(err)
		}
		out := JSON(b)
		var back []string
		if err := json.Unmarshal(out, &back); err != nil || len(back) != 1 || back[0] != s {
			t.Errorf("JSON(%q) = %s decodes to %q, want %q (%v)", b, out, back, s, err)
		}
	}
	if got := string(JSON([]byte("[\"\U000E0041\"]"))); got != `["\udb40\udc41"]` {
		t.Errorf("U+E0041 escaped as %s, want the surrogate pair \\udb40\\udc41", got)
	}
}

func TestCSVCellDisarmsFormulas(t *testing.T) {
	tests := map[string]string{
		"=1+2": "'=1+2", "+1": "+1", "-12": "-12", "3.5": "3.5", "-1+2": "'-1+2",
		"-2+3+HYPERLINK(\"http://x\")": "'-2+3+HYPERLINK(\"http://x\")", "@SUM(A1)": "'@SUM(A1)",
		"\t=1": "'\t=1", "\r=1": "'\r=1", "-": "'-", "-.": "'-.", "-1.2.3": "'-1.2.3",
		"plain": "plain", "": "", "1=1": "1=1", "+": "'+",
	}
	for in, want := range tests {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzCSVCell: no cell CSVCell returns can start a formula, and a cell is
// changed only by a leading apostrophe.
func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"-1+2", "=cmd", "-12", "3.5", "\t=", "\r@", "+-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := CSVCell(s)
		if out != s && out != "'"+s {
			t.Fatalf("CSVCell(%q) = %q", s, out)
		}
		if out != "" && strings.ContainsRune("=+-@\t\r", rune(out[0])) && !plainNumber(out) {
			t.Fatalf("CSVCell(%q) = %q starts a formula", s, out)
		}
	})
}

// FuzzJSON: the escaped output of any JSON document is still JSON, decodes
// to the same value and holds no raw C1 or format character.
func FuzzJSON(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Add("\U000E0041")
	f.Add("a\U0001D173")
	f.Fuzz(func(t *testing.T, s string) {
		b, _ := json.Marshal([]string{s})
		out := JSON(b)
		var a, c []string
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &c); err != nil || len(c) != 1 || c[0] != a[0] {
			t.Fatalf("JSON(%s) = %s: %v %q", b, out, err, c)
		}
		for _, r := range string(out) {
			if r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r) {
				t.Fatalf("JSON(%s) keeps %U raw", b, r)
			}
		}
	})
}

func TestWriterKeepsLinesAndDropsControls(t *testing.T) {
	var b bytes.Buffer
	w := Writer(&b)
	for _, s := range hostile {
		fmt.Fprintf(w, "  why: %s\n", s)
	}
	out := b.String()
	if strings.Count(out, "\n") != len(hostile) {
		t.Fatalf("lines lost or added:\n%s", out)
	}
	for _, r := range out {
		if r != '\n' && terminalUnsafe(r) {
			t.Fatalf("Writer let %U through:\n%q", r, out)
		}
	}
	b.Reset()
	fmt.Fprintf(w, "plain ✓ /home/u\n")
	if b.String() != "plain ✓ /home/u\n" {
		t.Fatalf("plain text changed: %q", b.String())
	}
}

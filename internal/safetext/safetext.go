// Package safetext owns how text that Waymark did not write (from the disk,
// the environment or the network) is made safe before a person sees it: on
// a terminal, in JSON output and in CSV files. Nothing it returns can move a
// cursor, change a colour, reorder what a terminal displays or run as a
// spreadsheet formula.
//
// It never decides what is shown, only how; it does no I/O.
package safetext

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Line reduces s to at most limit bytes of one line of printable text:
// control characters (C0 with escape, tab, CR and newline, DEL, C1) and the
// line and paragraph separators become spaces; invisible formatting
// characters (bidirectional controls, zero-width characters, the byte-order
// mark: Unicode category Cf) are dropped; invalid UTF-8 becomes '?'. Text
// cut to fit ends with "…".
func Line(s string, limit int) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			b.WriteByte('?')
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == '\u2028', r == '\u2029':
			b.WriteByte(' ')
		case unicode.Is(unicode.Cf, r):
			// invisible: zero-width and bidirectional controls
		default:
			b.WriteRune(r)
		}
		if b.Len() > limit+len("…") {
			break // enough to cut: the rest can never be shown
		}
	}
	out := b.String()
	if len(out) <= limit {
		return out
	}
	cut := max(0, limit-len("…"))
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return out[:cut] + "…"
}

// mustEscapeInJSON reports the characters that encoding/json leaves raw but
// a terminal acts on or a reader is fooled by: DEL, C1 controls and the
// invisible formatting characters (bidirectional controls among them).
func mustEscapeInJSON(r rune) bool {
	return r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r)
}

// JSON returns the output of encoding/json with every character it leaves
// raw that a terminal would act on written as a \uXXXX escape instead: DEL,
// C1 controls (U+0080–U+009F) and format characters such as U+202E and
// U+2066. The result decodes to the same values. Outside strings JSON holds
// only ASCII, so each such character is inside a string, where the escape
// is valid. b is returned as is when there is nothing to escape.
func JSON(b []byte) []byte {
	i := 0
	for i < len(b) {
		if b[i] < utf8.RuneSelf && b[i] != 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if mustEscapeInJSON(r) {
			break
		}
		i += n
	}
	if i == len(b) {
		return b
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(b)+32)
	out = append(out, b[:i]...)
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if b[i] == 0x7f || b[i] >= utf8.RuneSelf && mustEscapeInJSON(r) {
			// \uXXXX holds 16 bits: a character beyond them (the tag
			// characters U+E0000–U+E007F among the format characters) is
			// written as its UTF-16 surrogate pair, as JSON requires.
			for _, u := range utf16.Encode([]rune{r}) {
				out = append(out, '\\', 'u', hex[u>>12&0xf], hex[u>>8&0xf], hex[u>>4&0xf], hex[u&0xf])
			}
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

// CSVCell returns s as a spreadsheet will take it as text: a cell starting
// with '=', '+', '-', '@', a tab or a carriage return (a formula, or one
// behind a blank) gets a leading apostrophe, unless the cell is a plain
// number such as -12 or 3.5.
func CSVCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if !plainNumber(s) {
			return "'" + s
		}
	}
	return s
}

// plainNumber reports whether s is an optionally signed decimal number:
// digits with at most one '.', and at least one digit. "-1+2" is not.
func plainNumber(s string) bool {
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// Writer returns a writer that passes text on to w as Line makes it safe,
// line by line: newlines are kept, everything Line removes or replaces is
// removed or replaced, with no bound on length. Each Write is made safe on
// its own, so a caller writes whole lines or whole strings (as fmt.Fprintf
// does), never a UTF-8 sequence split in two.
func Writer(w io.Writer) io.Writer { return lineWriter{w} }

type lineWriter struct{ w io.Writer }

func (l lineWriter) Write(p []byte) (int, error) {
	clean := true
	for _, c := range p {
		if c < 0x20 && c != '\n' || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return l.w.Write(p)
	}
	lines := strings.Split(string(p), "\n")
	for i, s := range lines {
		lines[i] = Line(s, len(s)+len("…"))
	}
	if _, err := io.WriteString(l.w, strings.Join(lines, "\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}

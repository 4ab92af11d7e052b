// Package otlpfile finds the export requests in a line of what the collector's file exporter
// wrote (OTLP JSON, one request per line), including the whole requests that follow a torn one.
//
// A collector killed in the middle of a write leaves the start of a request without its end or
// its newline; after a restart the exporter appends the next request to that same line. An
// OTLP JSON export request from the exporter begins with {"resourceLogs": or
// {"resourceMetrics": (or the spans' and profiles' equivalents), and that text cannot occur
// anywhere else in one: inside a string its quotes would be escaped, and no nested object of the
// format has such a key. So each occurrence in a line starts a request, and a line with more
// than one holds torn requests followed by one that may be whole.
//
// The package only looks at bytes; it never parses JSON, reads files or allocates more than the
// slice of offsets it returns.
package otlpfile

import "bytes"

// starts are the texts that open an export request, as the file exporter writes them.
var starts = [][]byte{
	[]byte(`{"resourceLogs":`),
	[]byte(`{"resourceMetrics":`),
	[]byte(`{"resourceSpans":`),
	[]byte(`{"resourceProfiles":`),
}

// NextStart returns the offset of the first request start in line at or after from, or -1.
func NextStart(line []byte, from int) int {
	for from < len(line) {
		i := bytes.Index(line[from:], []byte(`{"resource`))
		if i < 0 {
			return -1
		}
		at := from + i
		for _, s := range starts {
			if bytes.HasPrefix(line[at:], s) {
				return at
			}
		}
		from = at + 1
	}
	return -1
}

// Requests splits line at every request start: each part is one export request, whole or
// torn, in the order written. Text before the first start (not a request the exporter wrote) is
// its own first part, so that nothing is hidden from a caller that reports damage.
func Requests(line []byte) [][]byte {
	var parts [][]byte
	at := 0
	for {
		next := NextStart(line, at+1)
		if next < 0 {
			if at < len(line) {
				parts = append(parts, line[at:])
			}
			return parts
		}
		parts = append(parts, line[at:next])
		at = next
	}
}

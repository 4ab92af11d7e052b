package otlpfile

import (
	"bytes"
	"testing"
)

// A torn request followed by a whole one splits into the two, and a clean line stays whole.
func TestRequestsSplitsAtEachRequestStart(t *testing.T) {
	whole := `{"resourceLogs":[{"resource":{"attributes":[{"key":"k","value":{"stringValue":"{\"resourceLogs\":"}}]}}]}`
	torn := whole[:40]
	got := Requests([]byte(torn + whole))
	if len(got) != 2 || string(got[0]) != torn || string(got[1]) != whole {
		t.Errorf("Requests(torn+whole) = %q", got)
	}
	if got := Requests([]byte(whole)); len(got) != 1 {
		t.Errorf("a whole request with an escaped start inside a string splits into %q", got)
	}
	if got := Requests([]byte(`garbage{"resourceMetrics":[]}`)); len(got) != 2 || string(got[0]) != "garbage" {
		t.Errorf("text before the first request: %q", got)
	}
	if NextStart([]byte(`{"resourceLogsX":{"resource`), 0) != -1 {
		t.Error("a key that only begins like a request start was taken for one")
	}
}

// FuzzRequests: the parts put back together are the line, each part after the first begins
// with a request start, and no part holds another.
func FuzzRequests(f *testing.F) {
	f.Add([]byte(`{"resourceLogs":[{"resou{"resourceLogs":[]}`))
	f.Add([]byte(`{"resourceMetrics":[{"resourceSpans":{"resourceProfiles":[]}`))
	f.Add([]byte(`{"resource{"resourceLogs":`))
	f.Fuzz(func(t *testing.T, line []byte) {
		parts := Requests(line)
		if !bytes.Equal(bytes.Join(parts, nil), line) {
			t.Fatalf("parts %q do not make up %q", parts, line)
		}
		for i, p := range parts {
			if len(p) == 0 {
				t.Fatalf("part %d is empty", i)
			}
			if i > 0 && NextStart(p, 0) != 0 {
				t.Fatalf("part %d %q does not begin with a request start", i, p)
			}
			if NextStart(p, 1) >= 0 {
				t.Fatalf("part %d %q holds another request start", i, p)
			}
		}
	})
}

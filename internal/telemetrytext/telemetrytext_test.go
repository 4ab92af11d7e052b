package telemetrytext

import (
	"strings"
	"testing"
	"time"
)

// A proxy that refused or could not be found is named as the proxy: the
// collector's host, which the request line also holds, was never reached.
func TestPlainErrorNamesTheProxyNotTheCollectorWhenTheProxyFailed(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{`exporter: delivery failed, retry later: POST /v1/logs: Post "https://collector.example.com/v1/logs": proxyconnect tcp: dial tcp 127.0.0.1:9: connect: connection refused`,
			"could not reach the proxy 127.0.0.1:9: connection refused"},
		{`exporter: delivery failed, retry later: POST /v1/logs: Post "https://collector.example.com/v1/logs": proxyconnect tcp: dial tcp: lookup proxy.corp.example on 127.0.0.53:53: no such host`,
			"could not find the proxy proxy.corp.example: no such host name"},
		{`exporter: delivery failed, retry later: POST /v1/logs: Post "https://collector.example.com/v1/logs": socks connect tcp 127.0.0.1:1080->collector.example.com:443: dial tcp 127.0.0.1:1080: connect: connection refused`,
			"could not reach the proxy 127.0.0.1:1080: connection refused"},
	} {
		got := PlainError(c.raw)
		if got != c.want {
			t.Errorf("PlainError(%q)\n = %q\nwant %q", c.raw, got, c.want)
		}
		if strings.Contains(got, "collector.example.com") {
			t.Errorf("PlainError(%q) = %q blames the collector for the proxy's failure", c.raw, got)
		}
	}
}

// Text that only looks like the exporter's once the request line is taken
// out still loses the exporter's prefix, and nothing is never the answer.
func TestPlainErrorOfOddTextIsNeverEmptyNorMachineWords(t *testing.T) {
	for _, raw := range []string{`Post "exporter: a`, `Post "export: a`, `PosPost "t "`, `Post "`, "exporter: ", "export: "} {
		got := PlainError(raw)
		if got == "" || strings.HasPrefix(got, "exporter: ") || strings.HasPrefix(got, "export: ") || strings.Contains(got, `Post "`) {
			t.Errorf("PlainError(%q) = %q", raw, got)
		}
	}
}

func TestPlainErrorSaysWhatHappened(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{`export: delivery failed, retry later: POST /v1/logs: Post "http://127.0.0.1:4318/v1/logs": dial tcp 127.0.0.1:4318: connect: connection refused`,
			"could not reach 127.0.0.1:4318: connection refused"},
		{`export: delivery failed, retry later: POST /v1/metrics: Post "https://telemetry.acme.example/v1/metrics": dial tcp: lookup telemetry.acme.example on 10.0.0.1:53: no such host`,
			"could not find telemetry.acme.example: no such host name"},
		{`export: delivery failed, retry later: POST /v1/logs: Post "https://t.example/v1/logs": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
			"t.example did not answer in time"},
		{`export: delivery failed, retry later: POST /v1/logs: HTTP 503`, "the collector answered HTTP 503 Service Unavailable"},
		{`export: delivery failed, retry later: POST /v1/logs: HTTP 503 (Retry-After 5m0s)`, "the collector answered HTTP 503 Service Unavailable and asked to wait 5 minutes"},
		{`export: delivery failed, retry later: POST /v1/logs: HTTP 429 (Retry-After 1m30s)`, "the collector answered HTTP 429 Too Many Requests and asked to wait 90 seconds"},
		{`export: delivery failed, retry later: POST /v1/logs: HTTP 503 (Retry-After 9999h)`, "the collector answered HTTP 503 Service Unavailable"},
		{`export: batch rejected by the endpoint: POST /v1/logs: HTTP 400`,
			"the collector refused the events as malformed (HTTP 400 Bad Request); they were dropped"},
		{`export: delivery failed, retry later: POST /v1/logs: Post "https://t.example/v1/logs": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
			"could not make a secure connection to t.example: its certificate was not accepted"},
		{`export: delivery failed, retry later: POST /v1/logs: Post "http://127.0.0.1:4318/v1/logs": something new`, "something new"},
		{`exporter: delivery failed, retry later: POST /v1/logs: HTTP 503`, "the collector answered HTTP 503 Service Unavailable"},
		{"state dir /s: no space left on device", "state dir /s: no space left on device"},
		{`exporter: delivery failed, retry later: POST /v1/logs: Post "http://127.0.0.1:4318/v1/logs": net/http: HTTP/1.x transport connection broken: malformed HTTP status code "4\x1b[31mXX"`,
			"127.0.0.1:4318 answered with something that is not a valid HTTP response"},
		{`exporter: delivery failed, retry later: POST /v1/logs: Post "https://127.0.0.1:4318/v1/logs": http: server gave HTTP response to HTTPS client`,
			"127.0.0.1:4318 answered with something that is not a valid HTTP response"},
	} {
		if got := PlainError(c.raw); got != c.want {
			t.Errorf("PlainError(%q)\n = %q\nwant %q", c.raw, got, c.want)
		}
	}
}

// FuzzPlainError: the recorded error comes from a file; whatever it holds,
// PlainError returns without panicking, without the uploader's prefix and
// without Go's request line.
func FuzzPlainError(f *testing.F) {
	for _, s := range []string{
		`export: delivery failed, retry later: POST /v1/logs: Post "http://127.0.0.1:4318/v1/logs": dial tcp 127.0.0.1:4318: connect: connection refused`,
		`exporter: batch rejected by the endpoint: POST /v1/logs: HTTP 4`,
		`Post "`, `Post "x": Post "`, `Post "exporter: a`, `Post "export: a`, `PosPost "t "`, "proxyconnect tcp: ", "dial tcp ", "HTTP 99999", "exporter: exporter: ", "export: exporter: ", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := PlainError(raw)
		if strings.HasPrefix(got, "export: ") || strings.HasPrefix(got, "exporter: ") {
			t.Errorf("PlainError(%q) = %q keeps the uploader's prefix", raw, got)
		}
		if strings.Contains(got, `Post "`) {
			t.Errorf("PlainError(%q) = %q keeps a request line", raw, got)
		}
		if got == "" {
			t.Errorf("PlainError(%q) is empty", raw)
		}
	})
}

func TestWhenShowsLocalTimeWithZoneAndDistance(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	now := time.Date(2026, 12, 7, 23, 40, 0, 0, zone)
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 12, 7, 22, 49, 0, 0, time.UTC), "23:49 CET (in 9 minutes)"},
		{time.Date(2026, 12, 7, 20, 40, 0, 0, time.UTC), "21:40 CET (2 hours ago)"},
		{time.Date(2026, 12, 4, 20, 40, 0, 0, time.UTC), "4 December 21:40 CET (3 days ago)"},
		{time.Date(2025, 12, 4, 20, 40, 0, 0, time.UTC), "4 December 2025 21:40 CET (368 days ago)"},
		{now.Add(time.Second), "23:40 CET (in 1 second)"},
		{now, "23:40 CET (just now)"},
	} {
		if got := When(c.t, now); got != c.want {
			t.Errorf("When(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestRetrySaysWhoTriesAgainAndWhen(t *testing.T) {
	now := time.Date(2026, 12, 7, 22, 39, 0, 0, time.UTC)
	if got, want := Retry(now.Add(9*time.Minute), now, false), "the next run will try again after 22:48 UTC (in 9 minutes)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := Retry(now.Add(-time.Minute), now, false), "the next run will try again"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Retry(time.Time{}, now, true); !strings.HasPrefix(got, "the server will try again") {
		t.Errorf("server: %q", got)
	}
}

func TestCountAgreesInNumber(t *testing.T) {
	if got := Count(1, "failure", "failures"); got != "1 failure" {
		t.Error(got)
	}
	if got := Count(0, "event", "events"); got != "0 events" {
		t.Error(got)
	}
}

// TestHelpExplainsEverySubcommandAndFlag: each subcommand, help and both
// flags have a line of their own in Help, with a sentence after the name,
// and no line is wider than 80 columns.
func TestHelpExplainsEverySubcommandAndFlag(t *testing.T) {
	h := Help("acme", "acme telemetry", "ACME", "")
	names := []string{"--json", "--all", "help"}
	for _, s := range Subcommands {
		names = append(names, s.Name)
	}
	for _, n := range names {
		found := false
		for _, line := range strings.Split(h, "\n") {
			f := strings.Fields(line)
			if len(f) >= 5 && f[0] == n && strings.HasPrefix(line, "  "+n) {
				found = true
			}
		}
		if !found {
			t.Errorf("help has no line explaining %s:\n%s", n, h)
		}
	}
	for _, line := range strings.Split(h, "\n") {
		if len(line) > 80 {
			t.Errorf("line of %d columns: %q", len(line), line)
		}
	}
}

package telemetrytext

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// machinePrefixes are the lead-ins of the uploader's errors that name code,
// not what happened; PlainError drops them. "exporter: " is what earlier
// releases recorded, and a state dir may still hold it.
var machinePrefixes = []string{
	"export: ",
	"exporter: ",
	"delivery failed, retry later: ",
	"batch rejected by the endpoint: ",
	"upload: ",
	"send: ",
}

// PlainError says in plain words what a delivery error recorded by the
// uploader means, e.g. "could not reach 127.0.0.1:4318: connection refused".
// raw is the recorded text (from a file, so anything); it never panics, and
// text it does not recognise comes back without the exporter's own prefixes
// and request lines.
func PlainError(raw string) string {
	s := strings.TrimSpace(raw)
	rejected := strings.Contains(s, "batch rejected by the endpoint")
	s = trimPrefixes(s)
	where := "the collector"
	if proxy, ok := proxyOf(s); ok {
		// The proxy failed, not the collector: naming the collector's
		// host would send the reader to the wrong machine.
		where = proxy
	} else if host := hostOf(s); host != "" {
		where = host
	}
	lower := strings.ToLower(s)
	switch {
	case strings.Contains(lower, "connection refused"):
		return "could not reach " + where + ": connection refused"
	case strings.Contains(lower, "no such host"):
		return "could not find " + where + ": no such host name"
	case strings.Contains(lower, "network is unreachable"), strings.Contains(lower, "no route to host"):
		return "could not reach " + where + ": the network is unreachable"
	case strings.Contains(lower, "deadline exceeded"), strings.Contains(lower, "timeout"):
		return where + " did not answer in time"
	case strings.Contains(lower, "connection reset"), strings.HasSuffix(lower, ": eof"), lower == "eof":
		return where + " closed the connection before answering"
	case strings.Contains(lower, "malformed http"), strings.Contains(lower, "server gave http response to https client"):
		// The answer's own text (which the collector chose) is left out.
		return where + " answered with something that is not a valid HTTP response"
	case strings.Contains(lower, "x509:"), strings.Contains(lower, "tls:"), strings.Contains(lower, "certificate"):
		return "could not make a secure connection to " + where + ": its certificate was not accepted"
	}
	if code, ok := httpCode(s); ok {
		text := "HTTP " + strconv.Itoa(code)
		if st := http.StatusText(code); st != "" {
			text += " " + st
		}
		if rejected {
			return where + " refused the events as malformed (" + text + "); they were dropped"
		}
		return where + " answered " + text + askedToWait(s)
	}
	if out := trimPrefixes(stripRequest(s)); out != "" {
		return out
	}
	return "delivery to " + where + " failed"
}

// trimPrefixes removes the exporter's own lead-ins from s, however often
// they repeat.
func trimPrefixes(s string) string {
	for changed := true; changed; {
		changed = false
		for _, p := range machinePrefixes {
			if strings.HasPrefix(s, p) {
				s, changed = s[len(p):], true
			}
		}
	}
	return s
}

// proxyOf reports whether the error is about the proxy between this
// machine and the collector (Go's "proxyconnect" and "socks connect"), and
// names it by the address it dialled or the name it looked up.
func proxyOf(s string) (string, bool) {
	i := strings.Index(s, "proxyconnect ")
	if i < 0 {
		i = strings.Index(s, "socks connect ")
	}
	if i < 0 {
		return "", false
	}
	rest := s[i:]
	if addr := dialAddr(rest); addr != "" {
		return "the proxy " + addr, true
	}
	if _, r, ok := strings.Cut(rest, "lookup "); ok {
		if name, _, _ := strings.Cut(r, " "); name != "" && !strings.ContainsAny(name, "\":") {
			return "the proxy " + name, true
		}
	}
	return "the proxy", true
}

// dialAddr is the address of the first "dial tcp …:" in s, or "".
func dialAddr(s string) string {
	_, rest, ok := strings.Cut(s, "dial tcp ")
	if !ok {
		return ""
	}
	addr, _, _ := strings.Cut(rest, ": ")
	if addr == "" || strings.ContainsAny(addr, " \"") {
		return ""
	}
	return addr
}

// askedToWait says how long the endpoint asked clients to wait, from the
// "(Retry-After 5m0s)" the uploader records, or "" when it asked nothing.
func askedToWait(s string) string {
	_, rest, ok := strings.Cut(s, "(Retry-After ")
	if !ok {
		return ""
	}
	raw, _, ok := strings.Cut(rest, ")")
	d, err := time.ParseDuration(raw)
	if !ok || err != nil || d <= 0 || d > 24*time.Hour {
		return ""
	}
	if d%time.Minute == 0 {
		return " and asked to wait " + Count(int64(d/time.Minute), "minute", "minutes")
	}
	return " and asked to wait " + Count(int64(d.Round(time.Second)/time.Second), "second", "seconds")
}

// hostOf finds the host the error is about: the URL of a `Post "…"` or the
// address of a `dial tcp …:`, or "" when there is none.
func hostOf(s string) string {
	if _, rest, ok := strings.Cut(s, `Post "`); ok {
		if raw, _, ok := strings.Cut(rest, `"`); ok {
			if u, err := url.Parse(raw); err == nil && u.Host != "" {
				return u.Host
			}
		}
	}
	return dialAddr(s)
}

// httpCode finds "HTTP nnn" in s.
func httpCode(s string) (int, bool) {
	_, rest, ok := strings.Cut(s, "HTTP ")
	if !ok || len(rest) < 3 {
		return 0, false
	}
	code, err := strconv.Atoi(rest[:3])
	if err != nil || code < 100 || code > 599 {
		return 0, false
	}
	return code, true
}

// stripRequest removes the request lines ("POST /v1/logs: ",
// `Post "http://…": `) Go's HTTP client and the exporter put before the cause.
func stripRequest(s string) string {
	for _, lead := range []string{"POST /v1/logs: ", "POST /v1/metrics: "} {
		s = strings.ReplaceAll(s, lead, "")
	}
	for {
		i := strings.Index(s, `Post "`)
		if i < 0 {
			break
		}
		end := strings.Index(s[i+len(`Post "`):], `": `)
		if end < 0 {
			s = s[:i] + s[i+len(`Post "`):]
			continue
		}
		s = s[:i] + s[i+len(`Post "`)+end+len(`": `):]
	}
	return strings.TrimSpace(s)
}

// Count renders n things with the right plural: "1 event", "3 events".
func Count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// When renders t for a person in now's zone: the clock time with the zone
// ("22:48 CET") on now's day, else with the date ("6 December 22:48 CET",
// the year added when it differs), followed by how far it is from now
// ("in 9 minutes", "2 hours ago").
func When(t, now time.Time) string {
	t = t.In(now.Location())
	var s string
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		s = t.Format("15:04 MST")
	case t.Year() == now.Year():
		s = t.Format("2 January 15:04 MST")
	default:
		s = t.Format("2 January 2006 15:04 MST")
	}
	return s + " (" + Relative(t, now) + ")"
}

// Relative says how far t is from now in the largest whole unit: "in 9
// minutes", "3 days ago", "just now" within a second.
func Relative(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	if d < 0 {
		d = -d
	}
	var n int64
	var unit string
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		n, unit = int64(d/time.Second), "second"
	case d < time.Hour:
		n, unit = int64(d/time.Minute), "minute"
	case d < 48*time.Hour:
		n, unit = int64(d/time.Hour), "hour"
	default:
		n, unit = int64(d/(24*time.Hour)), "day"
	}
	s := Count(n, unit, unit+"s")
	if future {
		return "in " + s
	}
	return s + " ago"
}

// Retry says when delivery is tried again after a failure: by the next run
// of a CLI, or by a server's own loop. next is the earliest time a try is
// allowed (zero when there is no wait).
func Retry(next, now time.Time, server bool) string {
	who := "the next run will try again"
	if server {
		who = "the server will try again"
	}
	if next.IsZero() || !next.After(now) {
		if server {
			return who + " shortly"
		}
		return who
	}
	return fmt.Sprintf("%s after %s", who, When(next, now))
}

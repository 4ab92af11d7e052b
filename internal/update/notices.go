package update

import (
	"strings"
	"time"
)

// noticeInterval is how long a notice stays quiet after it was shown.
const noticeInterval = 24 * time.Hour

// Notices returns the lines to print on stderr now for product at version
// current, given the cached manifest in c, and records in c that they were
// shown at now (the caller then saves c). Each line is one of:
//
//	acme 1.4.2 → 1.5.0 available: https://acme.dev/releases/1.5.0
//	acme security alert ACME-2024-01: <message> https://acme.dev/security/1
//
// The first appears when Latest is higher than current, the second for each
// alert whose Affected range contains current (once per ID, however many
// alerts carry it). Each is shown at most once in 24 hours; if the clock went backwards
// since, it is shown again. A current version or a Latest that does not
// parse, or a range that does not, skips the notices that depend on it.
// Versions are printed in canonical form. Notices prints nothing itself and
// decides nothing about terminals or opt-outs: that is the caller's.
func Notices(c *Cache, product, current string, now time.Time) []string {
	if c == nil {
		return nil
	}
	cur, err := ParseVersion(current)
	if err != nil {
		return nil
	}
	// Entries that no longer hold a notice back are dropped, so the map
	// stays as small as the manifest.
	for id, t := range c.AlertShown {
		if due(t, now) {
			delete(c.AlertShown, id)
		}
	}
	product = clean(product)
	var lines []string
	if latest, err := ParseVersion(c.Manifest.Latest); err == nil && Compare(latest, cur) > 0 && due(c.UpdateShown, now) {
		line := product + " " + cur.String() + " → " + latest.String() + " available"
		if u := clean(c.Manifest.URL); u != "" {
			line += ": " + u
		}
		lines = append(lines, line)
		c.UpdateShown = now
	}
	for _, a := range c.Manifest.Alerts {
		if a.ID == "" {
			continue
		}
		if t, ok := c.AlertShown[a.ID]; ok && !due(t, now) {
			continue
		}
		if in, err := Matches(a.Affected, cur); err != nil || !in {
			continue
		}
		line := product + " security alert " + clean(a.ID) + ": " + clean(a.Message)
		if u := clean(a.URL); u != "" {
			line += " " + u
		}
		lines = append(lines, line)
		if c.AlertShown == nil {
			c.AlertShown = make(map[string]time.Time)
		}
		c.AlertShown[a.ID] = now
	}
	return lines
}

// due reports whether a notice last shown at last may be shown at now.
func due(last, now time.Time) bool {
	if last.IsZero() {
		return true
	}
	d := now.Sub(last)
	return d < 0 || d >= noticeInterval
}

// clean makes s safe for one terminal line whatever built the Cache: Parse
// already refuses such text, but a Manifest may be made in code.
func clean(s string) string {
	if printable(s) && len(s) <= maxStringLen {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxStringLen {
			break
		}
		if printable(string(r)) {
			b.WriteRune(r)
		} else {
			b.WriteRune('\uFFFD')
		}
	}
	return b.String()
}

package update

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"unicode"
	"unicode/utf8"

	"github.com/waymarkhq/waymark/internal/jsonx"
)

// Caps on a manifest. A manifest that breaks any of them is rejected whole,
// not truncated: the vendor who wrote it sees the error in debug mode, and a
// hostile document gains nothing from a partial read.
const (
	maxManifestSize = 64 << 10 // bytes of JSON
	maxAlerts       = 32
	maxStringLen    = 1 << 10 // bytes in any one string
)

// Manifest is the vendor's update manifest.
type Manifest struct {
	// Latest is the newest released version, or "" when the manifest only
	// carries alerts.
	Latest string `json:"latest,omitempty"`
	// URL is where to read about or get Latest; it may be empty.
	URL string `json:"url,omitempty"`
	// Alerts are the security notices, each shown to the versions it affects.
	Alerts []Alert `json:"alerts,omitempty"`
}

// Alert is one security notice.
type Alert struct {
	// ID names the alert and keys its once-a-day display, e.g. "ACME-2024-01".
	ID string `json:"id"`
	// Affected is the range of versions the alert is shown to, see Matches.
	Affected string `json:"affected"`
	// Message is one line for the user.
	Message string `json:"message"`
	// URL is where to read more; it may be empty.
	URL string `json:"url,omitempty"`
}

// Parse decodes a manifest. It is strict about shape and types and tolerant
// of keys it does not know, so that a manifest written for a newer client
// still works:
//
//   - the document is a UTF-8 JSON object of at most 64 KiB; keys match
//     exactly;
//   - "latest" and "url" are strings, "alerts" an array of at most 32 objects,
//     each with string "id", "affected" and "message" (required, non-empty)
//     and an optional string "url"; null counts as absent;
//   - every string is valid UTF-8 of at most 1 KiB with no control or bidi
//     formatting characters (the text ends up on a terminal), and every URL
//     is absolute http or https.
//
// Versions and ranges are checked when they are used, not here: Notices skips
// a notice it cannot evaluate rather than losing the whole manifest to a
// range syntax this version does not know. Any violation is an error;
// Parse never panics.
func Parse(data []byte) (Manifest, error) {
	if len(data) > maxManifestSize {
		return Manifest{}, fmt.Errorf("update: manifest is larger than %d bytes", maxManifestSize)
	}
	if !utf8.Valid(data) {
		// encoding/json would quietly turn such bytes into U+FFFD.
		return Manifest{}, fmt.Errorf("update: manifest is not valid UTF-8")
	}
	top, err := object(data, "manifest")
	if err != nil {
		return Manifest{}, err
	}
	var m Manifest
	if m.Latest, err = stringField(top, "latest", "manifest"); err != nil {
		return Manifest{}, err
	}
	if m.URL, err = urlField(top, "url", "manifest"); err != nil {
		return Manifest{}, err
	}
	raw := top["alerts"]
	if isAbsent(raw) {
		return m, nil
	}
	if raw[0] != '[' {
		return Manifest{}, fmt.Errorf("update: manifest: \"alerts\" is not an array")
	}
	var items []json.RawMessage
	if err := jsonx.Unmarshal(raw, &items); err != nil {
		return Manifest{}, fmt.Errorf("update: manifest: \"alerts\": %w", err)
	}
	if len(items) > maxAlerts {
		return Manifest{}, fmt.Errorf("update: manifest has %d alerts, more than %d", len(items), maxAlerts)
	}
	for i, item := range items {
		where := fmt.Sprintf("alert %d", i)
		obj, err := object(item, where)
		if err != nil {
			return Manifest{}, err
		}
		var a Alert
		for _, f := range []struct {
			key string
			dst *string
		}{{"id", &a.ID}, {"affected", &a.Affected}, {"message", &a.Message}} {
			if *f.dst, err = stringField(obj, f.key, where); err != nil {
				return Manifest{}, err
			}
			if *f.dst == "" {
				return Manifest{}, fmt.Errorf("update: %s: %q is missing or empty", where, f.key)
			}
		}
		if a.URL, err = urlField(obj, "url", where); err != nil {
			return Manifest{}, err
		}
		m.Alerts = append(m.Alerts, a)
	}
	return m, nil
}

func object(data []byte, where string) (map[string]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, fmt.Errorf("update: %s is not a JSON object", where)
	}
	var obj map[string]json.RawMessage
	if err := jsonx.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("update: %s: %w", where, err)
	}
	return obj, nil
}

func isAbsent(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

func stringField(obj map[string]json.RawMessage, key, where string) (string, error) {
	raw := bytes.TrimSpace(obj[key])
	if isAbsent(raw) {
		return "", nil
	}
	if raw[0] != '"' {
		return "", fmt.Errorf("update: %s: %q is not a string", where, key)
	}
	var s string
	if err := jsonx.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("update: %s: %q: %w", where, key, err)
	}
	if len(s) > maxStringLen {
		return "", fmt.Errorf("update: %s: %q is longer than %d bytes", where, key, maxStringLen)
	}
	if !printable(s) {
		return "", fmt.Errorf("update: %s: %q holds invalid UTF-8 or control characters", where, key)
	}
	return s, nil
}

func urlField(obj map[string]json.RawMessage, key, where string) (string, error) {
	s, err := stringField(obj, key, where)
	if err != nil || s == "" {
		return s, err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("update: %s: %q is not an absolute http or https URL", where, key)
	}
	return s, nil
}

// printable reports whether s is valid UTF-8 free of control characters and
// of the invisible formatting characters that could reorder or hide text on
// a terminal.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// Fetch GETs the manifest at rawURL with client (http.DefaultClient if nil)
// and parses it. Only a 2xx response is accepted. At most 64 KiB + 1 bytes
// are read whatever the server sends or its Content-Length claims, so a huge
// or endless body costs neither memory nor time beyond that. ctx bounds the
// whole exchange; Fetch starts no goroutine and must not be called on the
// host's exit path. Whether plain http is allowed is the caller's policy.
func Fetch(ctx context.Context, client *http.Client, rawURL string) (Manifest, error) {
	if client == nil {
		client = http.DefaultClient
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Manifest{}, fmt.Errorf("update: fetch: %q is not an absolute http or https URL", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return Manifest{}, fmt.Errorf("update: fetch: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Manifest{}, fmt.Errorf("update: fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Manifest{}, fmt.Errorf("update: fetch: HTTP status %d", resp.StatusCode)
	}
	if resp.ContentLength > maxManifestSize {
		return Manifest{}, fmt.Errorf("update: fetch: manifest is larger than %d bytes", maxManifestSize)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestSize+1))
	if err != nil {
		return Manifest{}, fmt.Errorf("update: fetch: read: %w", err)
	}
	if len(data) > maxManifestSize {
		return Manifest{}, fmt.Errorf("update: fetch: manifest is larger than %d bytes", maxManifestSize)
	}
	return Parse(data)
}

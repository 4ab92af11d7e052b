package e2e

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// An opt-out names itself in status even when a later rule (here a bad
// endpoint override) would also turn telemetry off, and every rule id
// status prints is one that package gate documents.
func TestStatusNamesTheFirstRuleThatMatches(t *testing.T) {
	col := newCollector(t)
	in := newInstall(t, col.URL)
	st := statusJSON(t, in, []string{"DO_NOT_TRACK=1", "ACME_TELEMETRY_ENDPOINT=ftp://x"})
	if st["mode"] != "off" || st["rule"] != "do_not_track" || !strings.Contains(st["reason"].(string), "DO_NOT_TRACK") {
		t.Fatalf("status: mode %v rule %v reason %v; want off, do_not_track, naming DO_NOT_TRACK", st["mode"], st["rule"], st["reason"])
	}
	st = statusJSON(t, in, []string{"ACME_TELEMETRY_ENDPOINT=ftp://x"})
	if st["mode"] != "off" || st["rule"] != "endpoint_invalid" {
		t.Fatalf("status: mode %v rule %v; want off, endpoint_invalid", st["mode"], st["rule"])
	}

	doc, err := os.ReadFile("../../gate/doc.go")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^//\t([a-z_]+) `).FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	for _, env := range [][]string{
		nil, {"DO_NOT_TRACK=1"}, {"ACME_TELEMETRY=off"}, {"ACME_TELEMETRY=bogus"}, {"ACME_TELEMETRY=local"},
		{"CI=true"}, {"ACME_TELEMETRY_ENDPOINT=ftp://x"}, {"OTEL_RESOURCE_ATTRIBUTES=bad"},
	} {
		rule, _ := statusJSON(t, in, env)["rule"].(string)
		if !documented[rule] {
			t.Errorf("status with %v printed rule %q, which package gate does not document", env, rule)
		}
	}
	if len(col.Requests()) != 0 {
		t.Errorf("status sent %d requests", len(col.Requests()))
	}
}

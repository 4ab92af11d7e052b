package gate

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

var knownRules = []string{
	ruleConfigDisabled, ruleDoNotTrack, ruleProductEnv, ruleProductEnvInvalid,
	ruleOptOutEnv, ruleCI, ruleSaved, ruleConsentRequired, ruleDefault,
	ruleSavedInvalid, ruleSavedAll, ruleSavedAllInvalid, ruleSavedAllUnsafe, rulePolicy,
}

// checkText asserts that a reason or warning is a single, bounded line of
// valid text, whatever bytes the environment held.
func checkText(t *testing.T, what, s string) {
	t.Helper()
	if s == "" {
		t.Fatalf("empty %s", what)
	}
	if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\x00") {
		t.Fatalf("%s is not one line of valid text: %q", what, s)
	}
	if len(s) > 1000 {
		t.Fatalf("%s is %d bytes long", what, len(s))
	}
}

func FuzzDecide(f *testing.F) {
	f.Add("on", "", "", "GITHUB_ACTIONS", "true", "", "on", false, false, false)
	f.Add("maybe", "1", "false", "TF_BUILD", "True", "x", "garbage", true, true, false)
	f.Add(" Local ", "0", "woodpecker", "NODE", "/app/.heroku/node/bin/node", "", "", false, true, true)
	f.Add("", "FALSE", "", "JENKINS_URL", "u", "1", "LOCAL\n", false, false, false)
	f.Fuzz(func(t *testing.T, product, dnt, ci, key, val, optOut, saved string, disabled, consent, savedFails bool) {
		m := map[string]string{
			"ACME_TELEMETRY":     product,
			"DO_NOT_TRACK":       dnt,
			"CI":                 ci,
			key:                  val,
			"CHECKPOINT_DISABLE": optOut,
		}
		lookup := envOf(m)
		savedCalls := 0
		in := Input{
			Product:        "acme",
			LookupEnv:      lookup,
			Disabled:       disabled,
			OptOutEnv:      []string{"CHECKPOINT_DISABLE"},
			RequireConsent: consent,
			SavedMode: func() (string, error) {
				savedCalls++
				if savedFails {
					return "", errors.New("read failed")
				}
				return saved, nil
			},
		}
		d := Decide(in)
		if d.Mode > Debug {
			t.Fatalf("invalid mode %d", d.Mode)
		}
		found := false
		for _, r := range knownRules {
			found = found || r == d.Rule
		}
		if !found {
			t.Fatalf("unknown rule %q", d.Rule)
		}
		checkText(t, "Reason", d.Reason)
		for _, w := range d.Warnings {
			checkText(t, "warning", w)
		}
		if name, _ := DetectCI(lookup); d.CI != name {
			t.Fatalf("Decision.CI = %q, DetectCI = %q", d.CI, name)
		}
		if savedCalls > 1 {
			t.Fatalf("SavedMode called %d times", savedCalls)
		}
		// The opt-outs can only ever turn telemetry off.
		if (disabled || doNotTrack(m["DO_NOT_TRACK"])) && d.Mode != Off {
			t.Fatalf("mode %v despite Disabled=%v DO_NOT_TRACK=%q", d.Mode, disabled, m["DO_NOT_TRACK"])
		}
		if d.Rule == ruleSaved || d.Rule == ruleConsentRequired || d.Rule == ruleDefault {
			if savedCalls != 1 {
				t.Fatalf("rule %s decided but SavedMode was called %d times", d.Rule, savedCalls)
			}
		} else if savedCalls != 0 {
			t.Fatalf("rule %s decided first but SavedMode was called", d.Rule)
		}
		if d.Mode == Debug && d.Rule != ruleProductEnv {
			t.Fatalf("debug mode from rule %s", d.Rule)
		}
	})
}

func FuzzParseSavedMode(f *testing.F) {
	for _, s := range []string{"on", "off", "local", " LOCAL\n", "debug", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := ParseSavedMode(s)
		word := strings.ToLower(strings.TrimSpace(s))
		want := word == "on" || word == "off" || word == "local"
		if ok != want {
			t.Fatalf("ParseSavedMode(%q) ok = %v, want %v", s, ok, want)
		}
		if !ok {
			if m != Off {
				t.Fatalf("ParseSavedMode(%q) = %v on failure, want off", s, m)
			}
			return
		}
		if m2, ok2 := ParseSavedMode(m.String()); !ok2 || m2 != m {
			t.Fatalf("%v does not round-trip through String", m)
		}
	})
}

func FuzzProductEnv(f *testing.F) {
	for _, s := range []string{"on", "OFF", " local ", "debug", "disabled", "0", "1", "true", "maybe", "", "\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, st := parseProductEnv(s)
		if m > Debug || st > envInvalid {
			t.Fatalf("parseProductEnv(%q) = %v, %v", s, m, st)
		}
		if (st == envUnset) != (strings.TrimSpace(s) == "") {
			t.Fatalf("parseProductEnv(%q): unset = %v", s, st == envUnset)
		}
		if st != envValid && m != Off {
			t.Fatalf("parseProductEnv(%q) = %v for a value not understood", s, m)
		}
		if m2, st2 := parseProductEnv(" " + s + "\t"); m2 != m || st2 != st {
			t.Fatalf("padding changed the result for %q", s)
		}
		// DO_NOT_TRACK reads the same kind of value; it must never panic and
		// must treat unset values as no request.
		if strings.TrimSpace(s) == "" && doNotTrack(s) {
			t.Fatalf("doNotTrack(%q) = true for a blank value", s)
		}
	})
}

func FuzzDetectCI(f *testing.F) {
	f.Add("GITHUB_ACTIONS", "true", "", "")
	f.Add("CI", "woodpecker", "CI_NAME", "codeship")
	f.Add("NODE", "/app/.heroku/node/bin/node", "CI", "false")
	f.Add("TASK_ID", "1", "RUN_ID", "2")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		m := map[string]string{k1: v1, k2: v2}
		name, ok := DetectCI(envOf(m))
		if ok != (name != "") {
			t.Fatalf("DetectCI(%q) = %q, %v", m, name, ok)
		}
		if ci, set := m["CI"]; set && ci == "false" && ok {
			t.Fatalf("CI=false but DetectCI(%q) = %q", m, name)
		}
		if v1 == "" && v2 == "" && ok {
			t.Fatalf("only empty variables but DetectCI(%q) = %q", m, name)
		}
		_, evidence, ok2 := detectCI(envOf(m))
		if ok2 != ok || (ok && evidence == "") {
			t.Fatalf("detectCI disagrees with DetectCI for %q", m)
		}
		if ok {
			checkText(t, "evidence", evidence)
		}
	})
}

// FuzzPolicy: whatever the two policy files or the choice saved for all
// tools hold, Decide never panics, a policy never turns telemetry on, a
// policy that is not exactly off or local means off, and the most
// restrictive of the two files wins.
func FuzzPolicy(f *testing.F) {
	for _, s := range []string{"off", "local", " LOCAL\n", "on", "", "\x1b[31m", "off\x00on", strings.Repeat("x", 300)} {
		f.Add(s, "local", "on", "on", false)
		f.Add("local", s, "on", "on", false)
	}
	f.Fuzz(func(t *testing.T, product, waymark, shared, env string, unreadable bool) {
		in := Input{
			Product:   "acme",
			LookupEnv: envOf(map[string]string{"ACME_TELEMETRY": env}),
			Policy: func() []PolicyFile {
				first := PolicyFile{Path: "/etc/acme/telemetry-policy", Content: product}
				if unreadable {
					first = PolicyFile{Path: first.Path, Err: errors.New("not a regular file")}
				}
				return []PolicyFile{first, {Path: "/etc/waymark/telemetry-policy", Content: waymark}}
			},
			SharedMode: func() (string, error) { return shared, nil },
		}
		d := Decide(in)
		if d.Reason == "" || d.Rule == "" {
			t.Fatalf("empty rule or reason: %+v", d)
		}
		if d.Rule != rulePolicy && d.Mode != Off {
			t.Fatalf("policies %q, %q (unreadable %v) let rule %s decide %v", product, waymark, unreadable, d.Rule, d.Mode)
		}
		local := func(s string) bool { return strings.ToLower(strings.TrimSpace(s)) == "local" }
		if (unreadable || !local(product) || !local(waymark)) && d.Mode != Off {
			t.Fatalf("policies %q, %q (unreadable %v) gave %v, want off", product, waymark, unreadable, d.Mode)
		}
		if d.Mode == On || d.Mode == Debug {
			t.Fatalf("a policy turned telemetry %v", d.Mode)
		}
	})
}

// FuzzSavedChoice: a saved choice, the product's or the one for all tools,
// turns telemetry on only when it is exactly "on" after trimming white
// space (in any letter case); anything else that is not empty means off.
func FuzzSavedChoice(f *testing.F) {
	for _, s := range []string{"on", "off", "local", "\ufeffoff", "off\x00", "offf", "on\x00", "\ufeffon", " on\n", "ON", "o n", "debug"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, shared bool) {
		in := Input{Product: "acme", LookupEnv: envOf(nil)}
		if shared {
			in.SharedMode = func() (string, error) { return raw, nil }
		} else {
			in.SavedMode = func() (string, error) { return raw, nil }
		}
		d := Decide(in)
		word := strings.ToLower(strings.TrimSpace(raw))
		switch {
		case word == "":
			if d.Rule != ruleDefault {
				t.Fatalf("empty choice %q: rule %s", raw, d.Rule)
			}
		case word == "on":
			if d.Mode != On {
				t.Fatalf("choice %q gave %v", raw, d.Mode)
			}
		case word == "local":
			if d.Mode != Local {
				t.Fatalf("choice %q gave %v", raw, d.Mode)
			}
		default:
			if d.Mode != Off {
				t.Fatalf("choice %q gave %v by %s, want off", raw, d.Mode, d.Rule)
			}
		}
		checkText(t, "reason", d.Reason)
	})
}

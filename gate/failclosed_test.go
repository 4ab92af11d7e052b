package gate

import (
	"errors"
	"strings"
	"testing"
)

// TestStrictestMachinePolicyWins: of the product's policy file and the one
// for every Waymark tool, off (or a file that means off) outranks local,
// whichever file says it; the decision names the file that decided.
func TestStrictestMachinePolicyWins(t *testing.T) {
	const prod, all = "/etc/acme/telemetry-policy", "/etc/waymark/telemetry-policy"
	tests := []struct {
		name  string
		files []PolicyFile
		mode  Mode
		file  string
	}{
		{"waymark off beats product local", []PolicyFile{{Path: prod, Content: "local"}, {Path: all, Content: "off\n"}}, Off, all},
		{"product off beats waymark local", []PolicyFile{{Path: prod, Content: "off"}, {Path: all, Content: "local"}}, Off, prod},
		{"waymark garbage beats product local", []PolicyFile{{Path: prod, Content: "local"}, {Path: all, Content: "looser"}}, Off, all},
		{"waymark unreadable beats product local", []PolicyFile{{Path: prod, Content: "local"}, {Path: all, Err: errors.New("a FIFO")}}, Off, all},
		{"both local", []PolicyFile{{Path: prod, Content: "local"}, {Path: all, Content: " LOCAL "}}, Local, prod},
		{"waymark local alone", []PolicyFile{{Path: all, Content: "local"}}, Local, all},
		{"none", nil, On, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(Input{
				Product:   "acme",
				LookupEnv: envOf(map[string]string{"ACME_TELEMETRY": "on"}),
				Policy:    func() []PolicyFile { return tc.files },
			})
			if d.Mode != tc.mode || d.PolicyFile != tc.file {
				t.Fatalf("got %v by %s from %q (%s), want %v from %q", d.Mode, d.Rule, d.PolicyFile, d.Reason, tc.mode, tc.file)
			}
			if tc.file != "" && (d.Rule != rulePolicy || !strings.Contains(d.Reason, tc.file)) {
				t.Fatalf("rule %s, reason %q; want rule policy naming %s", d.Rule, d.Reason, tc.file)
			}
		})
	}
}

// TestSharedChoiceFailsClosed: an unsafe folder of the choice saved for all
// tools, or a choice there that is not a known word, means off with a rule
// of its own; the product's own saved choice still outranks both.
func TestSharedChoiceFailsClosed(t *testing.T) {
	unsafe := func() error { return errors.New("/home/u/.config/waymark/telemetry is writable by group or others") }
	tests := []struct {
		name   string
		saved  string
		shared string
		unsafe func() error
		mode   Mode
		rule   string
	}{
		{"unsafe folder", "", "", unsafe, Off, ruleSavedAllUnsafe},
		{"unsafe folder holding on", "", "on", unsafe, Off, ruleSavedAllUnsafe},
		{"own choice outranks the unsafe folder", "on", "", unsafe, On, ruleSaved},
		{"byte-order mark", "", "\ufeffoff", nil, Off, ruleSavedAllInvalid},
		{"NUL", "", "off\x00", nil, Off, ruleSavedAllInvalid},
		{"offf", "", "offf", nil, Off, ruleSavedAllInvalid},
		{"plain on", "", " on\n", nil, On, ruleSavedAll},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(Input{
				Product:         "acme",
				LookupEnv:       envOf(nil),
				SavedMode:       func() (string, error) { return tc.saved, nil },
				SharedMode:      func() (string, error) { return tc.shared, nil },
				SharedDirUnsafe: tc.unsafe,
			})
			if d.Mode != tc.mode || d.Rule != tc.rule {
				t.Fatalf("got %v by %s (%s), want %v by %s", d.Mode, d.Rule, d.Reason, tc.mode, tc.rule)
			}
			checkText(t, "reason", d.Reason)
		})
	}
}

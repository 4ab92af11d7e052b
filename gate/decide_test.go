package gate

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// envOf returns a LookupEnv backed by m, never by the real environment.
func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func ptr(s string) *string { return &s }

// earlyRules are the rules that decide before the saved choice is read.
var earlyRules = []string{
	ruleConfigDisabled, ruleDoNotTrack, ruleProductEnv, ruleProductEnvInvalid,
	ruleOptOutEnv, ruleCI,
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		product  string // "acme" unless set
		env      map[string]string
		disabled bool
		optOut   []string
		consent  bool
		saved    *string // content of the mode file; nil means no SavedMode
		savedErr error

		mode       Mode
		rule       string
		reason     string // exact when set
		reasonHas  string // substring when set
		ci         string
		warnings   int
		warningHas string
	}{
		// Rule 7, the default.
		{name: "nothing set", mode: On, rule: ruleDefault, reason: "no opt-out found; telemetry is on by default"},
		{name: "mode file absent", saved: ptr(""), mode: On, rule: ruleDefault},
		{name: "mode file blank", saved: ptr(" \n"), mode: On, rule: ruleDefault},

		// Rule 1.
		{name: "disabled beats everything", disabled: true,
			env:  map[string]string{"ACME_TELEMETRY": "on"},
			mode: Off, rule: ruleConfigDisabled, reason: "the program turned telemetry off (Config.Disabled)"},
		{name: "disabled still reports CI", disabled: true,
			env:  map[string]string{"GITHUB_ACTIONS": "true"},
			mode: Off, rule: ruleConfigDisabled, ci: "GitHub Actions"},
		{name: "disabled warns about a bad product value", disabled: true,
			env:  map[string]string{"ACME_TELEMETRY": "maybe"},
			mode: Off, rule: ruleConfigDisabled, warnings: 1, warningHas: `ACME_TELEMETRY="maybe" was not understood`},

		// Rule 2.
		{name: "DO_NOT_TRACK=1 beats ACME_TELEMETRY=on",
			env:  map[string]string{"DO_NOT_TRACK": "1", "ACME_TELEMETRY": "on"},
			mode: Off, rule: ruleDoNotTrack, reason: "DO_NOT_TRACK=1 is set"},
		{name: "DO_NOT_TRACK=yes", env: map[string]string{"DO_NOT_TRACK": "yes"},
			mode: Off, rule: ruleDoNotTrack, reason: "DO_NOT_TRACK=yes is set"},
		{name: "DO_NOT_TRACK=TRUE padded", env: map[string]string{"DO_NOT_TRACK": " TRUE "},
			mode: Off, rule: ruleDoNotTrack, reason: `DO_NOT_TRACK=" TRUE " is set`},
		{name: "DO_NOT_TRACK=off is still a request", env: map[string]string{"DO_NOT_TRACK": "off"},
			mode: Off, rule: ruleDoNotTrack},
		{name: "DO_NOT_TRACK=0", env: map[string]string{"DO_NOT_TRACK": "0"}, mode: On, rule: ruleDefault},
		{name: "DO_NOT_TRACK=false", env: map[string]string{"DO_NOT_TRACK": "false"}, mode: On, rule: ruleDefault},
		{name: "DO_NOT_TRACK=FALSE padded", env: map[string]string{"DO_NOT_TRACK": "\tFALSE "}, mode: On, rule: ruleDefault},
		{name: "DO_NOT_TRACK empty", env: map[string]string{"DO_NOT_TRACK": ""}, mode: On, rule: ruleDefault},
		{name: "DO_NOT_TRACK blank", env: map[string]string{"DO_NOT_TRACK": "  "}, mode: On, rule: ruleDefault},
		{name: "DO_NOT_TRACK=0 leaves ACME_TELEMETRY in charge",
			env:  map[string]string{"DO_NOT_TRACK": "0", "ACME_TELEMETRY": "local"},
			mode: Local, rule: ruleProductEnv},
		{name: "DO_NOT_TRACK warns about a bad product value",
			env:  map[string]string{"DO_NOT_TRACK": "1", "ACME_TELEMETRY": "nope"},
			mode: Off, rule: ruleDoNotTrack, warnings: 1, warningHas: "ACME_TELEMETRY"},

		// Rule 3.
		{name: "ACME_TELEMETRY=off", env: map[string]string{"ACME_TELEMETRY": "off"},
			mode: Off, rule: ruleProductEnv, reason: "ACME_TELEMETRY=off is set"},
		{name: "ACME_TELEMETRY=0", env: map[string]string{"ACME_TELEMETRY": "0"}, mode: Off, rule: ruleProductEnv},
		{name: "ACME_TELEMETRY=false", env: map[string]string{"ACME_TELEMETRY": "false"}, mode: Off, rule: ruleProductEnv},
		{name: "ACME_TELEMETRY=Disabled padded", env: map[string]string{"ACME_TELEMETRY": " Disabled\n"}, mode: Off, rule: ruleProductEnv},
		{name: "ACME_TELEMETRY=local", env: map[string]string{"ACME_TELEMETRY": "local"},
			mode: Local, rule: ruleProductEnv, reason: "ACME_TELEMETRY=local is set"},
		{name: "ACME_TELEMETRY=DEBUG", env: map[string]string{"ACME_TELEMETRY": "DEBUG"}, mode: Debug, rule: ruleProductEnv},
		{name: "ACME_TELEMETRY=on", env: map[string]string{"ACME_TELEMETRY": "on"}, mode: On, rule: ruleProductEnv},
		{name: "ACME_TELEMETRY=1", env: map[string]string{"ACME_TELEMETRY": "1"}, mode: On, rule: ruleProductEnv},
		{name: "ACME_TELEMETRY=True", env: map[string]string{"ACME_TELEMETRY": "True"}, mode: On, rule: ruleProductEnv},
		{name: "ACME_TELEMETRY empty is unset", env: map[string]string{"ACME_TELEMETRY": ""}, mode: On, rule: ruleDefault},
		{name: "ACME_TELEMETRY blank is unset", env: map[string]string{"ACME_TELEMETRY": " \t"}, mode: On, rule: ruleDefault},
		{name: "ACME_TELEMETRY=on overrides CI",
			env:  map[string]string{"CI": "true", "ACME_TELEMETRY": "on"},
			mode: On, rule: ruleProductEnv, ci: "CI"},
		{name: "ACME_TELEMETRY=on overrides the saved choice", saved: ptr("off"),
			env:  map[string]string{"ACME_TELEMETRY": "on"},
			mode: On, rule: ruleProductEnv},
		{name: "ACME_TELEMETRY=on overrides the vendor opt-out", optOut: []string{"CHECKPOINT_DISABLE"},
			env:  map[string]string{"ACME_TELEMETRY": "on", "CHECKPOINT_DISABLE": "1"},
			mode: On, rule: ruleProductEnv},
		{name: "ACME_TELEMETRY=on overrides consent", consent: true,
			env:  map[string]string{"ACME_TELEMETRY": "on"},
			mode: On, rule: ruleProductEnv},
		{name: "ACME_TELEMETRY=maybe", env: map[string]string{"ACME_TELEMETRY": "maybe"},
			mode: Off, rule: ruleProductEnvInvalid,
			reason: `ACME_TELEMETRY="maybe" was not understood (want off, local, debug or on); telemetry is off`},
		{name: "ACME_TELEMETRY=maybe beats a saved on", saved: ptr("on"),
			env:  map[string]string{"ACME_TELEMETRY": "maybe"},
			mode: Off, rule: ruleProductEnvInvalid},
		{name: "ACME_TELEMETRY huge value is cut", env: map[string]string{"ACME_TELEMETRY": strings.Repeat("x", 5000)},
			mode: Off, rule: ruleProductEnvInvalid, reasonHas: `="` + strings.Repeat("x", maxShown) + `"…`},
		{name: "product with a dash", product: "acme-cli", env: map[string]string{"ACME_CLI_TELEMETRY": "off"},
			mode: Off, rule: ruleProductEnv, reason: "ACME_CLI_TELEMETRY=off is set"},
		{name: "another product's variable is ignored", product: "acme-cli", env: map[string]string{"ACME_TELEMETRY": "off"},
			mode: On, rule: ruleDefault},

		// Rule 4.
		{name: "vendor opt-out", optOut: []string{"CHECKPOINT_DISABLE"},
			env:  map[string]string{"CHECKPOINT_DISABLE": "1"},
			mode: Off, rule: ruleOptOutEnv, reason: "CHECKPOINT_DISABLE=1 is set"},
		{name: "vendor opt-out second name", optOut: []string{"", "ACME_NO_CHECKPOINT", "CHECKPOINT_DISABLE"},
			env:  map[string]string{"CHECKPOINT_DISABLE": "0"},
			mode: Off, rule: ruleOptOutEnv, reason: "CHECKPOINT_DISABLE=0 is set"},
		{name: "vendor opt-out empty", optOut: []string{"CHECKPOINT_DISABLE"},
			env:  map[string]string{"CHECKPOINT_DISABLE": ""},
			mode: On, rule: ruleDefault},
		{name: "vendor opt-out not listed", env: map[string]string{"CHECKPOINT_DISABLE": "1"},
			mode: On, rule: ruleDefault},
		{name: "vendor opt-out beats CI and reports it", optOut: []string{"CHECKPOINT_DISABLE"},
			env:  map[string]string{"CHECKPOINT_DISABLE": "yes", "BUILDKITE": "true"},
			mode: Off, rule: ruleOptOutEnv, ci: "Buildkite"},

		// Rule 5.
		{name: "GitHub Actions", env: map[string]string{"GITHUB_ACTIONS": "true"},
			mode: Off, rule: ruleCI, reason: "CI environment detected (GitHub Actions: GITHUB_ACTIONS)", ci: "GitHub Actions"},
		{name: "Azure Pipelines", env: map[string]string{"TF_BUILD": "True"},
			mode: Off, rule: ruleCI, reason: "CI environment detected (Azure Pipelines: TF_BUILD)", ci: "Azure Pipelines"},
		{name: "Woodpecker", env: map[string]string{"CI": "woodpecker"},
			mode: Off, rule: ruleCI, reason: "CI environment detected (Woodpecker: CI=woodpecker)", ci: "Woodpecker"},
		{name: "Jenkins", env: map[string]string{"JENKINS_URL": "http://ci/", "BUILD_ID": "7"},
			mode: Off, rule: ruleCI, reason: "CI environment detected (Jenkins: JENKINS_URL and BUILD_ID)", ci: "Jenkins"},
		{name: "Heroku", env: map[string]string{"NODE": "/app/.heroku/node/bin/node"},
			mode: Off, rule: ruleCI, reason: "CI environment detected (Heroku: NODE contains /app/.heroku/node/bin/node)", ci: "Heroku"},
		{name: "generic CI", env: map[string]string{"CI": "1"},
			mode: Off, rule: ruleCI, reason: "CI environment detected (CI=1)", ci: "CI"},
		{name: "generic BUILD_NUMBER", env: map[string]string{"BUILD_NUMBER": "42 a"},
			mode: Off, rule: ruleCI, reason: `CI environment detected (BUILD_NUMBER="42 a")`, ci: "BUILD_NUMBER"},
		{name: "CI=false cancels GitHub Actions", env: map[string]string{"CI": "false", "GITHUB_ACTIONS": "true"},
			mode: On, rule: ruleDefault, ci: ""},
		{name: "CI beats a saved on", saved: ptr("on"), env: map[string]string{"GITLAB_CI": "true"},
			mode: Off, rule: ruleCI, ci: "GitLab CI"},
		{name: "CI beats a garbage mode file", saved: ptr("???"), env: map[string]string{"GITLAB_CI": "true"},
			mode: Off, rule: ruleCI, ci: "GitLab CI"},

		// Rule 6.
		{name: "saved on", saved: ptr("on\n"),
			mode: On, rule: ruleSaved, reason: `saved choice "on" (acme telemetry enable)`},
		{name: "saved off", saved: ptr("off"),
			mode: Off, rule: ruleSaved, reason: `saved choice "off" (acme telemetry disable)`},
		{name: "saved LOCAL", saved: ptr("  LOCAL \r\n"),
			mode: Local, rule: ruleSaved, reason: `saved choice "local" (acme telemetry local)`},
		{name: "saved debug is not a saved mode and means off", saved: ptr("debug"),
			mode: Off, rule: ruleSavedInvalid, reasonHas: `saved choice "debug" was not understood`},
		{name: "saved garbage means off", saved: ptr("\x00\xffjunk"),
			mode: Off, rule: ruleSavedInvalid, reasonHas: "was not understood (want on, off or local); telemetry is off"},
		{name: "saved off behind a byte-order mark means off", saved: ptr("\ufeffoff"),
			mode: Off, rule: ruleSavedInvalid},
		{name: "saved off with a NUL means off", saved: ptr("off\x00"),
			mode: Off, rule: ruleSavedInvalid},
		{name: "saved offf means off", saved: ptr("offf"),
			mode: Off, rule: ruleSavedInvalid},
		{name: "saved unreadable", savedErr: errors.New("permission denied"),
			mode: Off, rule: ruleSaved, reason: "the saved choice could not be read (permission denied); telemetry is off"},
		{name: "saved on satisfies consent", consent: true, saved: ptr("on"),
			mode: On, rule: ruleSaved},
		{name: "saved local with consent", consent: true, saved: ptr("local"),
			mode: Local, rule: ruleSaved},

		// Rule 7 with consent.
		{name: "consent required", consent: true,
			mode: Off, rule: ruleConsentRequired, reasonHas: `run "acme telemetry enable"`},
		{name: "consent required, file absent", consent: true, saved: ptr(""),
			mode: Off, rule: ruleConsentRequired},
		{name: "consent required, garbage file", consent: true, saved: ptr("yes please"),
			mode: Off, rule: ruleSavedInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			product := tc.product
			if product == "" {
				product = "acme"
			}
			in := Input{
				Product:        product,
				LookupEnv:      envOf(tc.env),
				Disabled:       tc.disabled,
				OptOutEnv:      tc.optOut,
				RequireConsent: tc.consent,
			}
			calls := 0
			switch {
			case slices.Contains(earlyRules, tc.rule):
				in.SavedMode = func() (string, error) {
					t.Errorf("SavedMode was called although rule %q decides first", tc.rule)
					return "on", nil
				}
			case tc.saved != nil || tc.savedErr != nil:
				in.SavedMode = func() (string, error) {
					calls++
					if tc.savedErr != nil {
						return "", tc.savedErr
					}
					return *tc.saved, nil
				}
			}
			d := Decide(in)
			if d.Mode != tc.mode || d.Rule != tc.rule {
				t.Errorf("got %v/%s (%s), want %v/%s", d.Mode, d.Rule, d.Reason, tc.mode, tc.rule)
			}
			if d.Reason == "" {
				t.Error("empty Reason")
			}
			if tc.reason != "" && d.Reason != tc.reason {
				t.Errorf("Reason = %q, want %q", d.Reason, tc.reason)
			}
			if tc.reasonHas != "" && !strings.Contains(d.Reason, tc.reasonHas) {
				t.Errorf("Reason = %q, want it to contain %q", d.Reason, tc.reasonHas)
			}
			if d.CI != tc.ci {
				t.Errorf("CI = %q, want %q", d.CI, tc.ci)
			}
			if len(d.Warnings) != tc.warnings {
				t.Errorf("Warnings = %q, want %d", d.Warnings, tc.warnings)
			}
			if tc.warningHas != "" && (len(d.Warnings) == 0 || !strings.Contains(d.Warnings[0], tc.warningHas)) {
				t.Errorf("Warnings = %q, want one containing %q", d.Warnings, tc.warningHas)
			}
			if in.SavedMode != nil && !slices.Contains(earlyRules, tc.rule) && calls != 1 {
				t.Errorf("SavedMode called %d times, want 1", calls)
			}
		})
	}
}

func TestDecideNilLookupIsOff(t *testing.T) {
	d := Decide(Input{Product: "acme", SavedMode: func() (string, error) {
		t.Error("SavedMode called without an environment")
		return "on", nil
	}})
	if d.Mode != Off || d.Rule != ruleNoEnvironment || d.Reason == "" {
		t.Errorf("got %+v, want off/%s with a reason", d, ruleNoEnvironment)
	}
}

func TestDecideReadsOnlyTheEnvironmentItIsGiven(t *testing.T) {
	// Even with the real process in CI or under DO_NOT_TRACK, an empty
	// injected environment must decide "default".
	t.Setenv("DO_NOT_TRACK", "1")
	t.Setenv("ACME_TELEMETRY", "off")
	t.Setenv("CI", "true")
	d := Decide(Input{Product: "acme", LookupEnv: envOf(nil)})
	if d.Mode != On || d.Rule != ruleDefault || d.CI != "" {
		t.Errorf("got %+v, want on/default: Decide read the process environment", d)
	}
}

func TestEnvPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"acme":      "ACME",
		"acme-cli":  "ACME_CLI",
		"a_b-c9":    "A_B_C9",
		"x":         "X",
		"":          "",
		"bad.name!": "BAD_NAME_",
	} {
		if got := EnvPrefix(in); got != want {
			t.Errorf("EnvPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{Off: "off", On: "on", Local: "local", Debug: "debug", 9: "Mode(9)"} {
		if got := m.String(); got != want {
			t.Errorf("Mode(%d).String() = %q, want %q", m, got, want)
		}
	}
	var d Decision
	if d.Mode != Off {
		t.Error("the zero Decision is not off")
	}
}

func TestParseSavedMode(t *testing.T) {
	tests := []struct {
		in   string
		want Mode
		ok   bool
	}{
		{"on", On, true},
		{"off", Off, true},
		{"local", Local, true},
		{" On\n", On, true},
		{"OFF\r\n", Off, true},
		{"\tLocal ", Local, true},
		{"debug", Off, false},
		{"", Off, false},
		{"enable", Off, false},
		{"1", Off, false},
		{"on off", Off, false},
		{"o\x00n", Off, false},
	}
	for _, tc := range tests {
		got, ok := ParseSavedMode(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseSavedMode(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

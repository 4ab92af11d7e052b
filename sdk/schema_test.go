package sdk

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/schema"
)

// TestNoticeNamesEveryOptOut keeps the first-run notice in step with the
// schema's list of opt-outs, which status prints.
func TestNoticeNamesEveryOptOut(t *testing.T) {
	for _, product := range []string{"acme", "acme-cli"} {
		notice := strings.Join(strings.Fields(gate.Notice(product, "")), " ")
		for _, o := range schema.OptOuts(product, gate.EnvPrefix(product)) {
			if !strings.Contains(notice, o) {
				t.Errorf("notice for %s does not name the opt-out %q:\n%s", product, o, notice)
			}
		}
	}
}

// TestStatusListsTheSchema: what status says is collected is the schema,
// event for event and key for key.
func TestStatusListsTheSchema(t *testing.T) {
	cv := collected(true)
	if len(cv.Events) != len(schema.Events) {
		t.Fatalf("status lists %d events, the schema %d", len(cv.Events), len(schema.Events))
	}
	for _, e := range schema.Events {
		got := strings.Join(cv.Events[e.Name], ",")
		if want := strings.Join(schema.Keys(e.Attrs), ","); got != want {
			t.Errorf("%s: status lists %s, schema %s", e.Name, got, want)
		}
	}
	if got, want := len(cv.Resource), len(schema.Resource)+len(schema.ServerResource); got != want {
		t.Errorf("status lists %d resource keys for a server, the schema %d", got, want)
	}
}

// TestTelemetryPageCoversControls keeps the page vendors publish true to the
// controls: every key of status --json, every subcommand and flag of the
// telemetry command, and the machine policy files are on it.
func TestTelemetryPageCoversControls(t *testing.T) {
	b, err := os.ReadFile(filepath.FromSlash(telemetryPage))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	st := reflect.TypeOf(Status{})
	for i := range st.NumField() {
		key, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		switch key {
		case "product", "warnings", "opt_out", "milestones_reached_at":
			continue // shown in text form, not promised as keys
		}
		if !strings.Contains(page, "`"+key+"`") {
			t.Errorf("status --json key %q is not on %s", key, telemetryPage)
		}
	}
	var usage strings.Builder
	commandUsage(&usage, "acme")
	for _, w := range strings.Fields(strings.NewReplacer("[", " ", "]", " ", "|", " ").Replace(usage.String())) {
		if strings.HasPrefix(w, "--") && !strings.Contains(page, w) {
			t.Errorf("flag %s of the telemetry command is not on %s", w, telemetryPage)
		}
	}
	for _, sub := range []string{"status", "show", "enable", "disable", "local", "reset"} {
		if !strings.Contains(page, "`acme telemetry "+sub) {
			t.Errorf("acme telemetry %s is not on %s", sub, telemetryPage)
		}
	}
	// The page names each policy folder as a reader writes it (Windows:
	// %ProgramData%\acme\, not this machine's C:\ProgramData), and the file name.
	if runtime.GOOS == "windows" {
		t.Setenv("ProgramData", "%ProgramData%")
	}
	if !strings.Contains(page, "`"+policyFileName+"`") && !strings.Contains(page, "/"+policyFileName+"`") {
		t.Errorf("the policy file name %s is not on %s", policyFileName, telemetryPage)
	}
	for _, f := range systemPolicyFiles("acme") {
		if dir := filepath.Dir(f) + string(filepath.Separator); !strings.Contains(page, dir) {
			t.Errorf("the policy folder %s is not on %s", dir, telemetryPage)
		}
	}
}

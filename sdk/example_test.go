package sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/waymarkhq/waymark/sdk"
)

// A CLI starts Waymark first thing in main, marks milestones anywhere, and
// shuts it down on the way out. (Disabled here so the example sends nothing.)
func Example() {
	t, err := sdk.Start(sdk.Config{
		Product:    "acme",
		Version:    "1.4.2",
		Endpoint:   "https://telemetry.acme.dev",
		Milestones: []string{"first_run", "first_deploy"},
		NoticeURL:  "https://acme.dev/telemetry",
		Disabled:   true,
	})
	if err != nil {
		log.Print(err) // only for a bad Config; t still works (disabled)
	}
	defer t.Shutdown(context.Background())

	sdk.Milestone("first_run") // once per install; later calls cost a map lookup
	fmt.Println("hello from acme")
	// Output: hello from acme
}

// A bad Config is the one error Start returns; it names the field and rule.
func ExampleStart_badConfig() {
	t, err := sdk.Start(sdk.Config{Product: "Acme", Version: "1.4.2", Endpoint: "https://telemetry.acme.dev"})
	fmt.Println(err)
	t.Milestone("first_run") // still safe: the client is disabled
	// Output: sdk: Config.Product: "Acme" must match [a-z][a-z0-9_-]{0,31}
}

// Command gives a CLI its `telemetry` subcommand; status --json is for scripts.
func ExampleCommand() {
	dir, _ := os.MkdirTemp("", "acme-telemetry")
	defer os.RemoveAll(dir)
	cfg := sdk.Config{Product: "acme", Version: "1.4.2", Endpoint: "https://telemetry.acme.dev", StateDir: dir, Disabled: true}

	var out bytes.Buffer
	code := sdk.Command(cfg, []string{"status", "--json"}, &out, os.Stderr)
	var st sdk.Status
	json.Unmarshal(out.Bytes(), &st)
	fmt.Println(code, st.Mode, st.Rule, st.DeviceID == nil)
	// Output: 0 off config_disabled true
}

package gate_test

import (
	"fmt"
	"os"

	"github.com/waymarkhq/waymark/gate"
)

// env stands in for os.LookupEnv in examples, so they never depend on the
// machine they run on.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func ExampleDecide() {
	d := gate.Decide(gate.Input{
		Product:   "acme",
		LookupEnv: env(map[string]string{"GITHUB_ACTIONS": "true"}),
		SavedMode: func() (string, error) { return "on\n", nil },
	})
	fmt.Println(d.Mode, d.Rule)
	fmt.Println(d.Reason)

	d = gate.Decide(gate.Input{
		Product:   "acme",
		LookupEnv: env(map[string]string{"CI": "true", "ACME_TELEMETRY": "local"}),
	})
	fmt.Println(d.Mode, d.Rule, d.CI)
	fmt.Println(d.Reason)

	d = gate.Decide(gate.Input{
		Product:   "acme",
		LookupEnv: env(nil),
		SavedMode: func() (string, error) { return "off\n", nil },
	})
	fmt.Println(d.Mode, d.Rule)
	fmt.Println(d.Reason)
	// Output:
	// off ci
	// CI environment detected (GitHub Actions: GITHUB_ACTIONS)
	// local product_env CI
	// ACME_TELEMETRY=local is set
	// off saved
	// saved choice "off" (acme telemetry disable)
}

func ExampleDetectCI() {
	name, ok := gate.DetectCI(env(map[string]string{"TF_BUILD": "True"}))
	fmt.Println(name, ok)
	name, ok = gate.DetectCI(env(map[string]string{"CI": "false", "BUILDKITE": "true"}))
	fmt.Printf("%q %v\n", name, ok)
	// Output:
	// Azure Pipelines true
	// "" false
}

func ExampleNotice() {
	fmt.Print(gate.Notice("acme", "https://acme.dev/telemetry"))
	// Output:
	// acme collects anonymous usage telemetry.
	//   Collected: an anonymous installation id, the product version, the OS and CPU
	//   architecture, milestones reached, usage pings and, for servers, heartbeats.
	//   Never collected: names, file paths, command-line arguments, IP addresses or
	//   environment variables.
	//   To opt out, run "acme telemetry disable", or set
	//   ACME_TELEMETRY=off or DO_NOT_TRACK=1.
	//   Learn more: https://acme.dev/telemetry
}

func ExampleEnvPrefix() {
	fmt.Println(gate.EnvPrefix("acme-cli") + "_TELEMETRY")
	// Output: ACME_CLI_TELEMETRY
}

// The saved choice is one word in the state dir's mode file.
func ExampleParseSavedMode() {
	for _, s := range []string{"on\n", " LOCAL ", "maybe"} {
		m, ok := gate.ParseSavedMode(s)
		fmt.Println(m, ok)
	}
	// Output:
	// on true
	// local true
	// off false
}

// The first-run notice and the crash prompt appear only on a terminal.
func ExampleIsTerminal() {
	if gate.IsTerminal(os.Stderr.Fd()) {
		fmt.Fprint(os.Stderr, gate.Notice("acme", ""))
	}
}

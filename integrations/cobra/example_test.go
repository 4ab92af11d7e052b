package waymarkcobra_test

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	waymarkcobra "github.com/waymarkhq/waymark/integrations/cobra"
	"github.com/waymarkhq/waymark/sdk"
)

// A cobra CLI's main: instrument the root, execute, exit with status 1 on
// an error. Telemetry starts after flag parsing for commands that are real
// use, and is shut down before Execute returns, whatever happened.
// (Disabled here so the example sends nothing.)
func Example() {
	root := &cobra.Command{Use: "acmectl", SilenceUsage: true}
	root.AddCommand(&cobra.Command{
		Use:   "hello",
		Short: "Say hello",
		Run: func(cmd *cobra.Command, args []string) {
			sdk.Milestone("first_run") // once per installation
			fmt.Println("Hello from acmectl!")
		},
	})

	t := waymarkcobra.Instrument(root, sdk.Config{
		Product:    "acmectl",
		Version:    "1.4.2",
		Endpoint:   "https://telemetry.acme.example",
		Milestones: []string{"first_run"},
		NoticeURL:  "https://acme.example/telemetry",
		Disabled:   true,
	})
	root.SetArgs([]string{"hello"}) // a real main leaves os.Args to cobra
	if err := t.Execute(); err != nil {
		os.Exit(1)
	}
	// Output: Hello from acmectl!
}

// A program that runs the tree itself defers End (a crash prompt on a
// panic, then shutdown) and exits through Exit, which shuts down first.
func ExampleTelemetry_End() {
	root := &cobra.Command{Use: "acmectl"}
	t := waymarkcobra.Instrument(root, sdk.Config{
		Product: "acmectl", Version: "1.4.2", Endpoint: "https://telemetry.acme.example", Disabled: true,
	})
	defer t.End()
	if _, err := root.ExecuteC(); err != nil {
		t.Exit(1)
	}
}

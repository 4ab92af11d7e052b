// Command acmectl is Waymark's example cobra CLI: how a vendor instruments
// a CLI built on github.com/spf13/cobra with the cobra integration. Product
// "acmectl", env prefix ACMECTL, milestones first_run and first_deploy.
//
//	acmectl hello                  reaches first_run
//	acmectl deploy [--fail]        reaches first_deploy; --fail then fails (exit 1)
//	acmectl crash                  panics; on a terminal it offers a crash report
//	acmectl telemetry status|enable|disable|local|reset [--json]
//	acmectl completion bash|zsh|fish|powershell
//	acmectl help [command]
//	acmectl --no-telemetry …       telemetry off for this run
//	acmectl -v …                   says what it does on stderr
//
// Build it with `go build` from this folder (version: -ldflags "-X main.version=…").
// Its endpoint is ACMECTL_TELEMETRY_ENDPOINT (default http://127.0.0.1:4318).
package main

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/spf13/cobra"

	waymarkcobra "github.com/waymarkhq/waymark/integrations/cobra"
	"github.com/waymarkhq/waymark/sdk"
)

// version is this build's version; override with -ldflags "-X main.version=…".
var version = "1.4.2"

func config() sdk.Config {
	return sdk.Config{
		Product: "acmectl",
		Version: version,
		// ACMECTL_TELEMETRY_ENDPOINT overrides this; Waymark reads it itself.
		Endpoint:   "http://127.0.0.1:4318",
		Milestones: []string{"first_run", "first_deploy"},
		NoticeURL:  "https://acme.example/telemetry",
	}
}

func main() {
	t := waymarkcobra.Instrument(newRoot(), config())
	if err := t.Execute(); err != nil {
		os.Exit(1) // telemetry is shut down already: nothing is lost
	}
}

// newRoot builds the command tree, as any cobra CLI does; nothing in it
// knows about the integration but the milestones.
func newRoot() *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:          "acmectl",
		Short:        "acmectl is Waymark's example cobra CLI",
		Version:      version,
		SilenceUsage: true,
		// The program's own hook: the integration chains in front of it.
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if verbose {
				log.SetFlags(0)
				log.SetPrefix("acmectl: ")
				log.Printf("running %s", cmd.CommandPath())
			}
			return nil
		},
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "say what acmectl does")

	hello := &cobra.Command{
		Use:   "hello",
		Short: "Say hello (reaches the first_run milestone)",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			sdk.Milestone("first_run")
			fmt.Fprintln(cmd.OutOrStdout(), "Hello from acmectl!")
		},
	}

	var fail bool
	deploy := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy (reaches the first_deploy milestone)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sdk.Milestone("first_deploy")
			if fail {
				return errors.New("deploy failed: the target refused the release")
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Deployed.")
			return nil
		},
	}
	deploy.Flags().BoolVar(&fail, "fail", false, "fail after starting, as a refused deploy does")

	crash := &cobra.Command{
		Use:   "crash",
		Short: "Crash the way a real bug would",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			var m map[string]int
			//lint:ignore SA5000 the crash is the point of this command
			m["boom"]++ // assignment to entry in nil map
		},
	}

	root.AddCommand(hello, deploy, crash)
	return root
}

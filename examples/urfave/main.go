// Command acmecli is Waymark's example urfave/cli (v3) CLI: how a vendor
// instruments a CLI built on github.com/urfave/cli/v3 with the urfave
// integration. Product "acmecli", env prefix ACMECLI, milestones first_run
// and first_deploy.
//
//	acmecli hello                  reaches first_run
//	acmecli deploy [--fail]        reaches first_deploy; --fail then fails (exit 1)
//	acmecli crash                  panics; on a terminal it offers a crash report
//	acmecli telemetry status|enable|disable|local|reset [--json]
//	acmecli completion bash|zsh|fish|pwsh
//	acmecli help [command]
//	acmecli --no-telemetry …       telemetry off for this run
//
// Build it with `go build` from this folder (version: -ldflags "-X main.version=…").
// Its endpoint is ACMECLI_TELEMETRY_ENDPOINT (default http://127.0.0.1:4318).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	waymarkurfave "github.com/waymarkhq/waymark/integrations/urfave"
	"github.com/waymarkhq/waymark/sdk"
)

// version is this build's version; override with -ldflags "-X main.version=…".
var version = "1.4.2"

func config() sdk.Config {
	return sdk.Config{
		Product: "acmecli",
		Version: version,
		// ACMECLI_TELEMETRY_ENDPOINT overrides this; Waymark reads it itself.
		Endpoint:   "http://127.0.0.1:4318",
		Milestones: []string{"first_run", "first_deploy"},
		NoticeURL:  "https://acme.example/telemetry",
	}
}

func main() {
	t := waymarkurfave.Instrument(newRoot(), config())
	if err := t.Run(context.Background(), os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "acmecli:", err)
		os.Exit(1) // telemetry is shut down already: nothing is lost
	}
}

// newRoot builds the command tree, as any urfave/cli program does; nothing
// in it knows about the integration but the milestones.
func newRoot() *cli.Command {
	return &cli.Command{
		Name:                  "acmecli",
		Usage:                 "Waymark's example urfave/cli CLI",
		Version:               version,
		EnableShellCompletion: true,
		Commands: []*cli.Command{
			{
				Name:  "hello",
				Usage: "Say hello (reaches the first_run milestone)",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					sdk.Milestone("first_run")
					fmt.Fprintln(cmd.Root().Writer, "Hello from acmecli!")
					return nil
				},
			},
			{
				Name:  "deploy",
				Usage: "Deploy (reaches the first_deploy milestone)",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "fail", Usage: "fail after starting, as a refused deploy does"}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					sdk.Milestone("first_deploy")
					if cmd.Bool("fail") {
						return errors.New("deploy failed: the target refused the release")
					}
					fmt.Fprintln(cmd.Root().Writer, "Deployed.")
					return nil
				},
			},
			{
				Name:  "crash",
				Usage: "Crash the way a real bug would",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					var m map[string]int
					//lint:ignore SA5000 the crash is the point of this command
					m["boom"]++ // assignment to entry in nil map
					return nil
				},
			},
		},
	}
}

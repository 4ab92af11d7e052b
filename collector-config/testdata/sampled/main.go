// Command sampled is a test CLI like examples/cli's acme (product "acme", env prefix ACME,
// milestone first_run) whose vendor sends from a quarter of its installs (Config.SampleRate
// 0.25).
//
//	sampled hello                 reaches first_run
//	sampled telemetry ...         the telemetry command
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/waymarkhq/waymark/sdk"
)

func config() sdk.Config {
	return sdk.Config{
		Product:    "acme",
		Version:    "1.4.2",
		Endpoint:   "http://127.0.0.1:4318", // ACME_TELEMETRY_ENDPOINT overrides it
		Milestones: []string{"first_run"},
		SampleRate: 0.25,
	}
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "telemetry" {
		os.Exit(sdk.Command(config(), args[1:], os.Stdout, os.Stderr))
	}
	t, err := sdk.Start(config())
	if err != nil {
		log.Print(err)
	}
	if len(args) == 1 && args[0] == "hello" {
		sdk.Milestone("first_run")
		fmt.Println("Hello from a sampled acme!")
		t.Exit(0)
	}
	fmt.Fprintln(os.Stderr, "usage: sampled hello|telemetry ...")
	t.Exit(2)
}

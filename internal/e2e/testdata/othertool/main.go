// Command othertool is a second Waymark-instrumented tool for the tests:
// another product of another vendor, sharing only the user's choice saved
// for all Waymark tools.
package main

import (
	"fmt"
	"os"

	"github.com/waymarkhq/waymark/sdk"
)

func main() {
	cfg := sdk.Config{
		Product:    "othertool",
		Version:    "0.9.0",
		Endpoint:   "http://127.0.0.1:4318", // OTHERTOOL_TELEMETRY_ENDPOINT overrides it
		Milestones: []string{"first_run"},
	}
	if len(os.Args) > 1 && os.Args[1] == "telemetry" {
		os.Exit(sdk.Command(cfg, os.Args[2:], os.Stdout, os.Stderr))
	}
	t, _ := sdk.Start(cfg)
	sdk.Milestone("first_run")
	fmt.Println("othertool ran")
	t.Exit(0)
}

// Command withsdk is bench/cmd/basecli plus Waymark: sdk.Start first thing in
// main and Shutdown at the end, as the README's quick start does. The
// benchmark runs it with telemetry off, either by ACME_TELEMETRY=off or, in
// the build made with -ldflags "-X main.disabled=true", by Config.Disabled.
// The build made with -X main.skipstart=true links Waymark but never calls
// Start, which splits the cost of linking it (package init, a larger binary
// to load) from the cost of Start and Shutdown with telemetry off.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/waymarkhq/waymark/sdk"
)

// disabled and skipstart are set to "true" at link time for the variants.
var disabled, skipstart string

func main() {
	var t *sdk.Client
	if skipstart != "true" {
		var err error
		t, err = sdk.Start(sdk.Config{
			Product:    "acme",
			Version:    "1.4.2",
			Endpoint:   "http://127.0.0.1:4318",
			Milestones: []string{"first_run"},
			Disabled:   disabled == "true",
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	client := &http.Client{Timeout: 2 * time.Second}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:9/status", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(os.Args) > 1 && os.Args[1] == "send" {
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		resp.Body.Close()
	}
	fmt.Printf("would %s %s within %v\n", req.Method, req.URL, client.Timeout)
	t.Shutdown(context.Background())
}

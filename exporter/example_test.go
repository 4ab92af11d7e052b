package exporter_test

import (
	"fmt"
	"os"

	"github.com/waymarkhq/waymark/exporter"
)

// A vendor checks the endpoint it is about to ship before a release.
func ExampleCheckEndpoint() {
	for _, ep := range []string{"https://telemetry.acme.dev", "http://telemetry.acme.dev", "http://127.0.0.1:4318"} {
		if err := exporter.CheckEndpoint(ep, false); err != nil {
			fmt.Println(ep, "refused")
			continue
		}
		fmt.Println(ep, "ok")
	}
	// Output:
	// https://telemetry.acme.dev ok
	// http://telemetry.acme.dev refused
	// http://127.0.0.1:4318 ok
}

// A support command shows how many events wait on this machine.
func ExamplePending() {
	dir, _ := os.MkdirTemp("", "acme-state")
	defer os.RemoveAll(dir)
	n, err := exporter.Pending(dir)
	fmt.Println(n, err)
	// Output:
	// 0 <nil>
}

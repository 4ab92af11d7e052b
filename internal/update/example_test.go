package update_test

import (
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/internal/update"
)

func Example() {
	// In the host, the manifest comes from Fetch (off the exit path) by way
	// of the cache in the state dir; here it is inline.
	m, err := update.Parse([]byte(`{
	  "latest": "1.5.0",
	  "url": "https://acme.dev/releases/1.5.0",
	  "alerts": [{"id": "ACME-2025-01", "affected": "<1.4.3",
	              "message": "Tokens may be logged; upgrade.", "url": "https://acme.dev/sec/1"}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	c := update.Cache{Manifest: m}
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, line := range update.Notices(&c, "acme", "1.4.2", now) {
		fmt.Println(line)
	}
	// An hour later nothing is repeated.
	fmt.Println(len(update.Notices(&c, "acme", "1.4.2", now.Add(time.Hour))))
	// Output:
	// acme 1.4.2 → 1.5.0 available: https://acme.dev/releases/1.5.0
	// acme security alert ACME-2025-01: Tokens may be logged; upgrade. https://acme.dev/sec/1
	// 0
}

func ExampleMatches() {
	v, _ := update.ParseVersion("2.0.1")
	for _, r := range []string{"<1.4.3", ">=2.0.0 <2.0.5", "=2.0", ">=2"} {
		in, err := update.Matches(r, v)
		fmt.Println(r, in, err)
	}
	// Output:
	// <1.4.3 false <nil>
	// >=2.0.0 <2.0.5 true <nil>
	// =2.0 false <nil>
	// >=2 true <nil>
}

package uuidx_test

import (
	"fmt"

	"github.com/waymarkhq/waymark/internal/uuidx"
)

// A milestone's event id is derived from the installation id and the
// milestone name, so replaying the same milestone yields the same id.
func ExampleV5() {
	installation := "0b4e3c1a-8f2d-4c6e-9a1b-2d3e4f5a6b7c"
	a, _ := uuidx.V5(installation, "first_run")
	b, _ := uuidx.V5(installation, "first_run")
	fmt.Println(a)
	fmt.Println(a == b, uuidx.Valid(a))
	// Output:
	// 5c9640b2-95da-54a8-8830-8f80f4522cb8
	// true true
}

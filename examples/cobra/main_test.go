package main

import (
	"testing"

	"github.com/waymarkhq/waymark/internal/clitest"
)

// acmectl, built with `go build` from this folder, shows what issue 10
// asks of a CLI on the cobra integration (points 1 to 4).
func TestAcmectl(t *testing.T) {
	clitest.Contract(t, clitest.Spec{
		Dir:      ".",
		Pkg:      "github.com/waymarkhq/waymark/examples/cobra",
		Bin:      clitest.Build(t, ".", "acmectl"),
		Product:  "acmectl",
		Complete: []string{"__complete", ""},
	})
}

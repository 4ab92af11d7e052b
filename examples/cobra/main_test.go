package main

import (
	"testing"

	"github.com/waymarkhq/waymark/internal/clitest"
)

// acmectl, built with `go build` from this folder, shows what every CLI on
// the cobra integration must show (clitest.Contract).
func TestAcmectl(t *testing.T) {
	clitest.Contract(t, clitest.Spec{
		Dir:      ".",
		Pkg:      "github.com/waymarkhq/waymark/examples/cobra",
		Bin:      clitest.Build(t, ".", "acmectl"),
		Product:  "acmectl",
		Complete: []string{"__complete", ""},
	})
}

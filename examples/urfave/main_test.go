package main

import (
	"testing"

	"github.com/waymarkhq/waymark/internal/clitest"
)

// acmecli, built with `go build` from this folder, shows what every CLI on
// the urfave/cli integration must show (clitest.Contract), as acmectl does
// on cobra.
func TestAcmecli(t *testing.T) {
	clitest.Contract(t, clitest.Spec{
		Dir:      ".",
		Pkg:      "github.com/waymarkhq/waymark/examples/urfave",
		Bin:      clitest.Build(t, ".", "acmecli"),
		Product:  "acmecli",
		Complete: []string{"--generate-shell-completion"},
	})
}

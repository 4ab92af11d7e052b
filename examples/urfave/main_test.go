package main

import (
	"testing"

	"github.com/waymarkhq/waymark/internal/clitest"
)

// acmecli, built with `go build` from this folder, shows what issue 10
// asks of a CLI on the urfave/cli integration (point 6: points 1 to 3 as
// acmectl, and the crash report too).
func TestAcmecli(t *testing.T) {
	clitest.Contract(t, clitest.Spec{
		Dir:      ".",
		Pkg:      "github.com/waymarkhq/waymark/examples/urfave",
		Bin:      clitest.Build(t, ".", "acmecli"),
		Product:  "acmecli",
		Complete: []string{"--generate-shell-completion"},
	})
}

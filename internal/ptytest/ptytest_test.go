package ptytest

import (
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestChildSeesATerminal(t *testing.T) {
	// test -t 2 succeeds only when stderr is a terminal.
	term, err := Start(exec.Command("sh", "-c", "if [ -t 2 ] && [ -t 0 ]; then echo TTY-YES; else echo TTY-NO; fi; read x; echo got:$x"))
	if errors.Is(err, ErrUnsupported) && runtime.GOOS != "linux" {
		t.Skip("pseudo-terminals are tested on Linux only")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !term.WaitFor("TTY-", 5*time.Second) {
		t.Fatalf("no output: %q", term.Output())
	}
	if err := term.Type("hello\n"); err != nil {
		t.Fatal(err)
	}
	if err := term.Wait(); err != nil {
		t.Fatalf("wait: %v; output %q", err, term.Output())
	}
	out := term.Output()
	if !contains(out, "TTY-YES") || !contains(out, "got:hello") {
		t.Fatalf("output %q", out)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

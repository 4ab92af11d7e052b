package gate

import (
	"os"
	"testing"
)

// TestIsTerminalPTY opens the master side of a new pseudo-terminal, which
// the kernel treats as a terminal, to show that IsTerminal can say yes.
func TestIsTerminalPTY(t *testing.T) {
	f, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	defer f.Close()
	if !IsTerminal(f.Fd()) {
		t.Error("a pseudo-terminal is not reported as a terminal")
	}
}

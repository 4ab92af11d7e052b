//go:build !windows

package gate

// isCygwinTerminal is false outside Windows: there a terminal is a tty,
// which x/term already recognises.
func isCygwinTerminal(uintptr) bool { return false }

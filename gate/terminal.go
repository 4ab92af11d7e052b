package gate

import (
	"strings"

	"golang.org/x/term"
)

// IsTerminal reports whether fd (for example os.Stderr.Fd()) is a terminal.
// It asks golang.org/x/term, and on Windows also recognises the pipes that
// Cygwin and MSYS2 terminals such as mintty (Git Bash) use in place of a
// console. Any error, including an invalid or closed descriptor, reports
// false.
func IsTerminal(fd uintptr) bool {
	if term.IsTerminal(int(fd)) {
		return true
	}
	return isCygwinTerminal(fd)
}

// isCygwinPipeName reports whether name is the name of a pipe that a Cygwin
// or MSYS2 pseudo-terminal hands to a native program, which has the form
// \cygwin-<hex key>-pty<N>-to-master or \msys-<hex key>-pty<N>-from-master,
// and since Cygwin 3.2 may end in -nat or -cyg.
func isCygwinPipeName(name string) bool {
	name, ok := strings.CutPrefix(name, `\`)
	if !ok {
		return false
	}
	if rest, ok := strings.CutPrefix(name, "cygwin-"); ok {
		name = rest
	} else if rest, ok := strings.CutPrefix(name, "msys-"); ok {
		name = rest
	} else {
		return false
	}
	key, name, ok := strings.Cut(name, "-")
	if !ok || key == "" || strings.Trim(key, "0123456789abcdefABCDEF") != "" {
		return false
	}
	pty, dir, ok := strings.Cut(name, "-")
	if !ok {
		return false
	}
	n, ok := strings.CutPrefix(pty, "pty")
	if !ok || n == "" || strings.Trim(n, "0123456789") != "" {
		return false
	}
	switch dir {
	case "to-master", "to-master-nat", "to-master-cyg",
		"from-master", "from-master-nat", "from-master-cyg":
		return true
	}
	return false
}

//go:build !unix && !windows

package export

// detachChild is exercised only on unix, where a session id can be checked.
func detachChild(string) int { return 2 }

package uuidx

import "golang.org/x/sys/unix"

// osRandom reads b whole from getrandom (never blocking: the kernel's pool
// is initialised long before a user runs a CLI) and reports whether it did.
func osRandom(b []byte) bool {
	n, err := unix.Getrandom(b, unix.GRND_NONBLOCK)
	return err == nil && n == len(b)
}

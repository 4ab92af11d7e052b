package uuidx

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// osRandom reads b whole with one getrandom system call (never blocking:
// the kernel's pool is ready long before a user runs a CLI) and reports
// whether it did. It makes the call itself: unix.Getrandom goes through the
// vDSO, whose first use in a process sets up per-thread state.
func osRandom(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	n, _, errno := unix.Syscall(unix.SYS_GETRANDOM, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), unix.GRND_NONBLOCK)
	return errno == 0 && int(n) == len(b)
}

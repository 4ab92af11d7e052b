//go:build unix

package measure

import (
	"os"
	"syscall"
)

// minorFaults returns the minor page faults of a waited-for process.
func minorFaults(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok && ru != nil {
		return int64(ru.Minflt)
	}
	return 0
}

//go:build !unix

package measure

import "os"

// minorFaults is not measured off unix.
func minorFaults(*os.ProcessState) int64 { return 0 }

//go:build !unix

package sdk

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// probeWritable tells, without creating anything, whether dir could be made:
// its nearest existing parent must be a folder. Whether this user may write
// there is a matter of ACLs on Windows, which only a write answers; Start
// finds that out at the first write and records nothing for the process.
func probeWritable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s: %w", d, syscall.ENOTDIR)
			}
			return nil
		}
		if parent := filepath.Dir(d); parent == d {
			return nil
		}
	}
}

// diskFull is never known without a write on this platform.
func diskFull(error) bool { return false }

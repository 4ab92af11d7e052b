//go:build unix

package sdk

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// probeWritable tells whether dir (or, if it does not exist yet, its nearest
// existing parent) is writable, without creating anything.
func probeWritable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			return unix.Access(d, unix.W_OK)
		}
		if parent := filepath.Dir(d); parent == d {
			return nil
		}
	}
}

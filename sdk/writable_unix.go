//go:build unix

package sdk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// minFree is the free space below which the state dir counts as full: a
// spool entry and an atomic state write need a few KiB.
const minFree = 64 << 10

// probeWritable tells whether dir (or, if it does not exist yet, its nearest
// existing parent) is writable and has room, without creating anything.
func probeWritable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s: %w", d, unix.ENOTDIR)
			}
			if err := unix.Access(d, unix.W_OK); err != nil {
				return err
			}
			var fs unix.Statfs_t
			if unix.Statfs(d, &fs) == nil && uint64(fs.Bavail)*uint64(fs.Bsize) < minFree {
				return fmt.Errorf("%w (%d bytes free)", unix.ENOSPC, uint64(fs.Bavail)*uint64(fs.Bsize))
			}
			return nil
		}
		if parent := filepath.Dir(d); parent == d {
			return nil
		}
	}
}

// diskFull reports whether err says the disk is out of space or quota.
func diskFull(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}

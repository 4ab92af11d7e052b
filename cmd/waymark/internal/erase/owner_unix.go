//go:build unix

package erase

import (
	"os"
	"syscall"
)

// keepOwner gives f the owner and group of the file info describes, as far as this process
// may: a file rewritten by root stays the collector's, which appends to it after a restart.
func keepOwner(f *os.File, info os.FileInfo) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		f.Chown(int(st.Uid), int(st.Gid))
	}
}

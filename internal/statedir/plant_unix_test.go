//go:build unix

package statedir

import (
	"io/fs"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// What the hostile tests plant that only Unix has: FIFOs, device nodes,
// owners by number, the times of a link itself.

const canFIFO = true

func mkfifo(path string) error { return unix.Mkfifo(path, 0o600) }

// mkDevZero makes a character device like /dev/zero at path (root only).
func mkDevZero(path string) error {
	return unix.Mknod(path, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 5)))
}

func ownerOf(fi fs.FileInfo) uint32 { return fi.Sys().(*syscall.Stat_t).Uid }

// lutimes sets the times of the link at path, not of its target.
func lutimes(path string, t time.Time) error {
	tv := unix.NsecToTimeval(t.UnixNano())
	return unix.Lutimes(path, []unix.Timeval{tv, tv})
}

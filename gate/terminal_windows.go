//go:build windows

package gate

import (
	"encoding/binary"
	"unicode/utf16"

	"golang.org/x/sys/windows"
)

// isCygwinTerminal reports whether the handle is the pipe of a Cygwin or
// MSYS2 pseudo-terminal, which x/term cannot see because it is not a
// console.
func isCygwinTerminal(fd uintptr) bool {
	h := windows.Handle(fd)
	if t, err := windows.GetFileType(h); err != nil || t != windows.FILE_TYPE_PIPE {
		return false
	}
	// FILE_NAME_INFO: a uint32 length in bytes, then that many bytes of
	// UTF-16 name. A pty pipe name is short; a longer one is not a pty.
	var buf [4 + 2*256]byte
	if err := windows.GetFileInformationByHandleEx(h, windows.FileNameInfo, &buf[0], uint32(len(buf))); err != nil {
		return false
	}
	n := int(binary.LittleEndian.Uint32(buf[:4]))
	if n <= 0 || n%2 != 0 || n > len(buf)-4 {
		return false
	}
	name := make([]uint16, n/2)
	for i := range name {
		name[i] = binary.LittleEndian.Uint16(buf[4+2*i:])
	}
	return isCygwinPipeName(string(utf16.Decode(name)))
}

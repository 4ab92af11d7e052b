//go:build !unix

package statedir

import (
	"errors"
	"io/fs"
	"time"
)

// Windows has no FIFOs or device nodes in a folder and no numeric owners;
// the hostile tests plant what it has (folders, links where allowed).

const canFIFO = false

func mkfifo(string) error { return errors.ErrUnsupported }

func mkDevZero(string) error { return errors.ErrUnsupported }

func ownerOf(fs.FileInfo) uint32 { return 0 }

func lutimes(string, time.Time) error { return errors.ErrUnsupported }

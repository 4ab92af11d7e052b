package statedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// The spool is one folder of the state dir holding one file per pending
// entry. Its entries are named "<16 hex>-<2 digits>-<8 hex>-<16 hex>.spool"
// (package export gives the fields their meaning); temporary files being
// written are "." + name + ".tmp-" + digits. Nothing else in that folder is
// ever read, replaced or deleted.

const spoolExt = ".spool"

// IsSpoolEntry reports whether name has the shape of a spool entry's name.
func IsSpoolEntry(name string) bool {
	if len(name) != 16+1+2+1+8+1+16+len(spoolExt) || !strings.HasSuffix(name, spoolExt) {
		return false
	}
	for i := 0; i < len(name)-len(spoolExt); i++ {
		c := name[i]
		switch i {
		case 16, 19, 28:
			if c != '-' {
				return false
			}
		case 17, 18:
			if c < '0' || c > '9' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// SpoolTemp returns the entry name inside a temporary file name of the
// spool, or false when name is not one.
func SpoolTemp(name string) (string, bool) {
	i := strings.LastIndex(name, ".tmp-")
	if !strings.HasPrefix(name, ".") || i < 1 || strings.Trim(name[i+5:], "0123456789") != "" {
		return "", false
	}
	base := name[1:i]
	return base, IsSpoolEntry(base)
}

// spoolPath returns the spool folder if it may be used: a real directory of
// this user (never a symlink to one), or missing (ErrNotExist).
func (d *Dir) spoolPath() (string, error) {
	p := d.join(spoolDir)
	fi, err := os.Lstat(p)
	if err != nil {
		return p, err
	}
	if !fi.IsDir() || !ownedByMe(fi) || groupOrOtherWritable(fi) {
		return p, fmt.Errorf("%w: %s is not a directory of this user that only this user can write", ErrUnsafe, p)
	}
	return p, nil
}

// SpoolList returns up to max names of the spool's entries and temporary
// files (max <= 0: all), and nothing else that the folder holds. A missing
// spool is empty.
func (d *Dir) SpoolList(max int) ([]string, error) {
	p, err := d.spoolPath()
	if IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	des, err := readDirN(p, max)
	if err != nil {
		return nil, fmt.Errorf("statedir: list %s: %w", p, err)
	}
	out := make([]string, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if !de.Type().IsRegular() {
			continue
		}
		if _, ok := SpoolTemp(name); ok || IsSpoolEntry(name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// SpoolWrite stores a new entry atomically, creating the spool folder (0700)
// if needed.
func (d *Dir) SpoolWrite(entry string, data []byte) error {
	if !IsSpoolEntry(entry) {
		return fmt.Errorf("statedir: %q is not a spool entry name", entry)
	}
	p, err := d.spoolPath()
	if IsNotExist(err) {
		if err = os.Mkdir(p, dirPerm); err == nil || errors.Is(err, fs.ErrExist) {
			_, err = d.spoolPath()
		}
	}
	if err != nil {
		return fmt.Errorf("statedir: spool: %w", err)
	}
	return d.writeAtomic(p, entry, data, true)
}

// SpoolRead returns an entry's content, at most limit bytes.
func (d *Dir) SpoolRead(entry string, limit int64) ([]byte, error) {
	if !IsSpoolEntry(entry) {
		return nil, fmt.Errorf("statedir: %q is not a spool entry name", entry)
	}
	p, err := d.spoolPath()
	if err != nil {
		return nil, err
	}
	return readBounded(p+string(os.PathSeparator)+entry, limit)
}

// SpoolRemove deletes an entry or a temporary file of the spool; any other
// name is refused, and a missing file is not an error.
func (d *Dir) SpoolRemove(name string) error {
	if _, ok := SpoolTemp(name); !ok && !IsSpoolEntry(name) {
		return fmt.Errorf("statedir: %q is not a spool entry name", name)
	}
	p, err := d.spoolPath()
	if IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return removeRegular(p + string(os.PathSeparator) + name)
}

// SpoolEntryInfo returns an entry's file information without following a
// link.
func (d *Dir) SpoolEntryInfo(name string) (fs.FileInfo, error) {
	p, err := d.spoolPath()
	if err != nil {
		return nil, err
	}
	return os.Lstat(p + string(os.PathSeparator) + name)
}

package statedir

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// The kinds of entry FuzzReadFile plants.
const (
	fuzzRegular = iota
	fuzzMissing
	fuzzLinkToFile
	fuzzFIFO
	fuzzLinkToDevZero
	fuzzDirectory
	fuzzSparse    // data, then a hole far past the limit
	fuzzTruncated // data, cut in half after it was written
	fuzzOtherUser // a regular file owned by nobody (root only)
	fuzzDevice    // a character device like /dev/zero (Linux, root only)
	fuzzKinds
)

// FuzzReadFile feeds ReadFile and SpoolRead arbitrary contents behind every
// kind of entry a hostile disk can hold. Whatever is there, the read returns
// (never blocks), returns at most limit bytes and exactly the file's content
// only for a regular file of this user within the limit; otherwise the error
// says why (fs.ErrNotExist, ErrTooLarge, ErrUnsafe). A write over anything
// but a regular file is refused and changes nothing; nothing outside the
// state dir ever changes.
func FuzzReadFile(f *testing.F) {
	f.Add([]byte("0b4e3c1a-8f2d-4c6e-9a1b-2d3e4f5a6b7c\n"), uint8(fuzzRegular), uint16(256), false)
	f.Add([]byte(`{"failures":1}`), uint8(fuzzRegular), uint16(4), true)
	for k := range fuzzKinds {
		f.Add([]byte("some content\x00\xff"), uint8(k), uint16(16), false)
		f.Add([]byte{}, uint8(k), uint16(0), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, limit uint16, inSpool bool) {
		k := int(kind) % fuzzKinds
		if k == fuzzOtherUser && os.Geteuid() != 0 || k == fuzzDevice && (os.Geteuid() != 0 || runtime.GOOS != "linux") {
			k = fuzzRegular
		}
		// Windows has no FIFOs, and links only with a privilege (Wine 8 none).
		if k == fuzzFIFO && !canFIFO || (k == fuzzLinkToFile || k == fuzzLinkToDevZero) && !symlinksWork(t) {
			k = fuzzRegular
		}
		state, outside := t.TempDir(), t.TempDir()
		d := New(state)
		const entry = "0000000000000001-11-00000020-0000000000000001.spool"
		path := d.PathOf(Delivery)
		read := func() ([]byte, error) { return d.ReadFile(Delivery, int64(limit)) }
		write := func() error { return d.WriteFile(Delivery, []byte("new")) }
		if inSpool {
			if err := os.Mkdir(filepath.Join(state, spoolDir), 0o700); err != nil {
				t.Fatal(err)
			}
			path = filepath.Join(state, spoolDir, entry)
			read = func() ([]byte, error) { return d.SpoolRead(entry, int64(limit)) }
			write = func() error { return d.SpoolWrite(entry, []byte("new")) }
		}
		userFile := filepath.Join(outside, "user-file")
		if err := os.WriteFile(userFile, data, 0o600); err != nil {
			t.Fatal(err)
		}

		content, want := data, error(nil) // what a correct read returns
		switch k {
		case fuzzRegular, fuzzSparse, fuzzTruncated, fuzzOtherUser:
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			switch k {
			case fuzzSparse:
				if err := os.Truncate(path, int64(len(data))+int64(limit)+1<<20); err != nil {
					t.Fatal(err)
				}
				want = ErrTooLarge
			case fuzzTruncated:
				content = data[:len(data)/2]
				if err := os.Truncate(path, int64(len(content))); err != nil {
					t.Fatal(err)
				}
			case fuzzOtherUser:
				if err := os.Chown(path, 65534, 65534); err != nil {
					t.Fatal(err)
				}
				want = ErrUnsafe
			}
			if want == nil && len(content) > int(limit) {
				want = ErrTooLarge
			}
		case fuzzMissing:
			want = fs.ErrNotExist
		case fuzzLinkToFile:
			mustSymlink(t, userFile, path)
			want = ErrUnsafe
		case fuzzFIFO:
			if err := mkfifo(path); err != nil {
				t.Fatal(err)
			}
			want = ErrUnsafe
		case fuzzLinkToDevZero:
			mustSymlink(t, "/dev/zero", path)
			want = ErrUnsafe
		case fuzzDirectory:
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
			want = ErrUnsafe
		case fuzzDevice:
			if err := mkDevZero(path); err != nil {
				t.Fatalf("mknod (run as root, as CI does): %v", err)
			}
			want = ErrUnsafe
		}
		before := snap(t, path)

		var got []byte
		var err error
		within(t, 2*time.Second, "read", func() { got, err = read() })
		if len(got) > int(limit) {
			t.Fatalf("kind %d: read %d bytes with a limit of %d", k, len(got), limit)
		}
		if want == nil {
			if err != nil || !bytes.Equal(got, content) {
				t.Fatalf("kind %d: read %q, %v; want %q", k, got, err, content)
			}
		} else if !errors.Is(err, want) || got != nil {
			t.Fatalf("kind %d: read %q, %v; want %v", k, got, err, want)
		}

		within(t, 2*time.Second, "write", func() { err = write() })
		switch {
		case k == fuzzMissing || want == nil || errors.Is(want, ErrTooLarge):
			// A missing or regular file of this user is Waymark's to replace.
			if err != nil {
				t.Fatalf("kind %d: write over a file of this user: %v", k, err)
			}
		case !errors.Is(err, ErrUnsafe):
			t.Fatalf("kind %d: write = %v, want ErrUnsafe", k, err)
		default:
			if after := snap(t, path); after != before {
				t.Fatalf("kind %d: a refused write changed the entry: %+v -> %+v", k, before, after)
			}
		}
		if b, err := os.ReadFile(userFile); err != nil || !bytes.Equal(b, data) {
			t.Fatalf("kind %d: the file outside the state dir changed: %q, %v", k, b, err)
		}
		if names := dirList(t, outside); !slices.Equal(names, []string{"user-file"}) {
			t.Fatalf("kind %d: files appeared outside the state dir: %v", k, names)
		}
	})
}

package statedir

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A file that grows between the open (which sized the buffer) and the read
// is read whole, up to the limit.
func TestReadAllOfAGrowingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "grows")
	if err := os.WriteFile(p, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		limit   int64
		want    []byte
		tooLong bool
	}{{100, bytes.Repeat([]byte("abc"), 4), false}, {11, nil, true}, {12, bytes.Repeat([]byte("abc"), 4), false}} {
		if err := os.WriteFile(p, []byte("abc"), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := openRegular(p, os.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if f.size != 3 {
			t.Fatalf("size at open %d, want 3", f.size)
		}
		w, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("abcabcabc"))
		w.Close()
		got, err := f.readAll(p, c.limit)
		if c.tooLong {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("limit %d: %q, %v; want ErrTooLarge", c.limit, got, err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, c.want) {
			t.Fatalf("limit %d: %q, %v; want %q", c.limit, got, err, c.want)
		}
	}
}

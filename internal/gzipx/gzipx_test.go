package gzipx_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/waymarkhq/waymark/internal/gzipx"
)

func roundTrip(t *testing.T, src []byte) []byte {
	t.Helper()
	z := gzipx.Compress(src)
	r, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatalf("gzip.NewReader: %v", err)
	}
	r.Multistream(false)
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %d compressed bytes of %d: %v", len(z), len(src), err)
	}
	if !bytes.Equal(got, src) {
		t.Fatalf("round trip of %d bytes gave %d different bytes", len(src), len(got))
	}
	return z
}

func TestCompressDecodesWithCompressGzip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	for _, src := range [][]byte{
		nil, {0}, []byte("abc"), []byte("abcd"), []byte("abcdabcdabcdabcd"),
		bytes.Repeat([]byte{'x'}, 100000), // matches of 258 at distance 1
		random,
		append(append([]byte{}, random[:40<<10]...), random[:40<<10]...), // a repeat beyond the window
	} {
		roundTrip(t, src)
	}
}

func TestCompressShrinksAnUploadBody(t *testing.T) {
	// The shape of a batch: the same keys and resource in every record.
	var b bytes.Buffer
	for i := range 50 {
		b.WriteString("\x0a\x2b\x0a\x0cservice.name\x12\x04acme\x0a\x0fservice.version\x12\x051.4.2")
		b.WriteString("event.name\x12\x09milestone\x1a\x08first_run\x20")
		b.WriteByte(byte(i))
	}
	z := roundTrip(t, b.Bytes())
	if len(z)*3 > b.Len() {
		t.Fatalf("%d bytes of repetitive records compressed to %d, want a third or less", b.Len(), len(z))
	}
}

func FuzzCompress(f *testing.F) {
	f.Add([]byte("hello hello hello"))
	f.Add(bytes.Repeat([]byte("ab"), 300))
	f.Fuzz(func(t *testing.T, src []byte) {
		roundTrip(t, src)
	})
}

// Package gzipx compresses an upload body to gzip (RFC 1952) with a small
// deflate encoder of its own: LZ77 matches found through a hash of the next
// four bytes, written in one block with deflate's fixed Huffman codes.
// compress/gzip's writer, with its dynamic Huffman trees and several
// compression levels, adds about 50 KB to a stripped binary that only ever
// sends a few kilobytes of protobuf at a time; this adds a few. The output
// is ordinary gzip that any reader (a collector, compress/gzip) decodes.
package gzipx

import (
	"encoding/binary"
	"hash/crc32"
)

const (
	minMatch  = 4
	maxMatch  = 258
	window    = 32 << 10
	hashBits  = 14
	hashShift = 32 - hashBits
)

// Compress returns src as a gzip member: a header without a name or time,
// one deflate block, the CRC-32 and the length.
func Compress(src []byte) []byte {
	w := bitWriter{out: make([]byte, 0, 20+len(src)/2)}
	// ID1 ID2, deflate, no flags, no mtime, no extra flags, OS unknown.
	w.out = append(w.out, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255)
	w.bits(1, 1) // the final block
	w.bits(1, 2) // fixed Huffman codes
	// table holds, per hash of four bytes, the position (plus one) where
	// they were last seen.
	var table [1 << hashBits]int32
	i, lit := 0, 0
	for i+minMatch <= len(src) {
		h := binary.LittleEndian.Uint32(src[i:]) * 0x1e35a7bd >> hashShift
		cand := int(table[h]) - 1
		table[h] = int32(i + 1)
		if cand >= 0 && i-cand <= window && binary.LittleEndian.Uint32(src[cand:]) == binary.LittleEndian.Uint32(src[i:]) {
			n := minMatch
			for i+n < len(src) && n < maxMatch && src[cand+n] == src[i+n] {
				n++
			}
			for ; lit < i; lit++ {
				w.literal(src[lit])
			}
			w.match(n, i-cand)
			// Index the positions inside the match too, sparsely: enough to
			// find repeats of repeats without slowing long runs.
			end := i + n
			for j := i + 1; j+minMatch <= len(src) && j < end; j += 2 {
				table[binary.LittleEndian.Uint32(src[j:])*0x1e35a7bd>>hashShift] = int32(j + 1)
			}
			i, lit = end, end
			continue
		}
		i++
	}
	for ; lit < len(src); lit++ {
		w.literal(src[lit])
	}
	w.code(0, 7) // end of block: symbol 256
	w.flush()
	w.out = binary.LittleEndian.AppendUint32(w.out, crc32.ChecksumIEEE(src))
	return binary.LittleEndian.AppendUint32(w.out, uint32(len(src)))
}

// bitWriter packs deflate's bits least significant first.
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

func (w *bitWriter) bits(v uint32, n uint) {
	w.acc |= uint64(v) << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// code writes a Huffman code, which deflate stores most significant bit first.
func (w *bitWriter) code(c uint32, n uint) {
	var r uint32
	for range n {
		r = r<<1 | c&1
		c >>= 1
	}
	w.bits(r, n)
}

func (w *bitWriter) flush() {
	if w.nacc > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc, w.nacc = 0, 0
	}
}

// literal writes a byte with the fixed literal/length code.
func (w *bitWriter) literal(b byte) {
	if b < 144 {
		w.code(0x30+uint32(b), 8)
	} else {
		w.code(0x190+uint32(b)-144, 9)
	}
}

// symbol writes a length symbol (257 to 285) with the fixed code.
func (w *bitWriter) symbol(s int) {
	if s < 280 {
		w.code(uint32(s-256), 7)
	} else {
		w.code(0xc0+uint32(s-280), 8)
	}
}

// Length symbols 257..284 by base length and extra bits (285 is 258).
var lengthBase = [...]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227}

// Distance codes 0..29 by base distance; code c has (c/2)-1 extra bits from code 4 on.
var distBase = [...]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}

func (w *bitWriter) match(length, dist int) {
	if length == maxMatch {
		w.symbol(285)
	} else {
		c := len(lengthBase) - 1
		for int(lengthBase[c]) > length {
			c--
		}
		w.symbol(257 + c)
		if extra := lengthExtra(c); extra > 0 {
			w.bits(uint32(length-int(lengthBase[c])), extra)
		}
	}
	c := len(distBase) - 1
	for int(distBase[c]) > dist {
		c--
	}
	w.code(uint32(c), 5)
	if c >= 4 {
		w.bits(uint32(dist-int(distBase[c])), uint(c/2-1))
	}
}

// lengthExtra is the number of extra bits of length symbol 257+c.
func lengthExtra(c int) uint {
	if c < 8 {
		return 0
	}
	return uint(c/4 - 1)
}

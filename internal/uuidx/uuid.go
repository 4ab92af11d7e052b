// Package uuidx owns the few UUID operations Waymark needs: a random
// version-4 UUID for the installation id and the per-process session id, a
// name-based version-5 UUID (RFC 9562, SHA-1) for event ids that stay the same
// when an event is replayed, a check of the canonical text form, and the
// random bytes behind them (Random), which the uploader's one-time token
// uses too.
//
// It works on the canonical 36-character text form only and never parses the
// URN, braced or hyphen-less forms; it keeps no state and does no work at
// package init.
package uuidx

import (
	"crypto/fips140"
	"crypto/rand"
	"crypto/sha1"
	"fmt"
)

// Random fills b with bytes from the operating system's secure random
// source: the getrandom system call on Linux, crypto/rand elsewhere and in
// FIPS 140-3 mode (GODEBUG=fips140), whose approved generator it must be.
// On Linux a first crypto/rand read in a process also sets up its generator
// state, which costs a short-lived CLI more than the read itself.
func Random(b []byte) error {
	if !fips140.Enabled() && osRandom(b) {
		return nil
	}
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("uuidx: read random bytes: %w", err)
	}
	return nil
}

// hexDigits is a constant so that formatting needs no package-level table.
const hexDigits = "0123456789abcdef"

// NewV4 returns a new random (version 4, RFC 9562 variant) UUID in lowercase
// canonical form, read from Random.
func NewV4() (string, error) {
	var u [16]byte
	if err := Random(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // variant 10xx (RFC 9562)
	return format(u), nil
}

// V5 returns the name-based version-5 UUID of name in namespace, as RFC 9562
// defines it: the first 16 bytes of SHA-1(namespace bytes ‖ name) with the
// version and variant bits set, in lowercase canonical form. The same
// namespace and name always give the same UUID. namespace must be a UUID in
// canonical form (either case); otherwise V5 returns an error.
func V5(namespace, name string) (string, error) {
	ns, ok := parse(namespace)
	if !ok {
		return "", fmt.Errorf("uuidx: namespace %q is not a canonical UUID", namespace)
	}
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // variant 10xx (RFC 9562)
	return format(u), nil
}

// Valid reports whether s is a UUID in canonical text form: 36 characters,
// hyphens at positions 8, 13, 18 and 23, hexadecimal digits (either case)
// everywhere else. It does not look at the version or variant bits.
func Valid(s string) bool {
	_, ok := parse(s)
	return ok
}

// Parse decodes the canonical text form (either case) into its 16 bytes,
// and reports false for anything else.
func Parse[T string | []byte](s T) ([16]byte, bool) { return parse(s) }

// parse decodes the canonical text form into its 16 bytes.
func parse[T string | []byte](s T) (u [16]byte, ok bool) {
	if len(s) != 36 {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return u, false
			}
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, true
}

func unhex(c byte) (byte, bool) {
	v := hexValue[c]
	return v & 0x0f, v != 0
}

// hexValue maps a hex digit to its value plus 0x10 (so that zero means "not a digit"): one load
// per digit, for readers that parse an id per record.
var hexValue = func() (t [256]byte) {
	for c := range t {
		switch {
		case '0' <= c && c <= '9':
			t[c] = byte(c-'0') | 0x10
		case 'a' <= c && c <= 'f':
			t[c] = byte(c-'a'+10) | 0x10
		case 'A' <= c && c <= 'F':
			t[c] = byte(c-'A'+10) | 0x10
		}
	}
	return t
}()

// format writes u in lowercase canonical form.
func format(u [16]byte) string {
	var b [36]byte
	j := 0
	for i, c := range u {
		switch i {
		case 4, 6, 8, 10:
			b[j] = '-'
			j++
		}
		b[j] = hexDigits[c>>4]
		b[j+1] = hexDigits[c&0x0f]
		j += 2
	}
	return string(b[:])
}

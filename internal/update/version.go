package update

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// maxVersionLen bounds the text ParseVersion will look at; semantic versions
// are short, and a cap keeps hostile input cheap.
const maxVersionLen = 256

// Version is a semantic version as defined by semver 2.0.0. Build metadata
// is accepted and dropped, so versions that differ only in it are equal. The
// zero Version is 0.0.0.
type Version struct {
	major, minor, patch uint64
	pre                 string // dot-separated pre-release identifiers; "" for a release
}

// ParseVersion parses a semantic version "MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]"
// with an optional leading "v". All three numbers are required; numbers and
// numeric pre-release identifiers must not have leading zeros.
func ParseVersion(s string) (Version, error) {
	return parseVersion(s, false)
}

// parseVersion parses s; with partial set, "1" and "1.2" are accepted and the
// missing numbers are zero (a pre-release or build then is not allowed).
func parseVersion(s string, partial bool) (Version, error) {
	in := s
	if len(s) > maxVersionLen {
		return Version{}, fmt.Errorf("update: version is longer than %d bytes", maxVersionLen)
	}
	s = strings.TrimPrefix(s, "v")
	core, rest := s, ""
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		core, rest = s[:i], s[i:]
	}
	var nums [3]uint64
	parts := 0
	for {
		field, tail, more := strings.Cut(core, ".")
		if parts == 3 {
			return Version{}, fmt.Errorf("update: version %q has more than three numbers", in)
		}
		n, err := parseNumber(field)
		if err != nil {
			return Version{}, fmt.Errorf("update: version %q: %w", in, err)
		}
		nums[parts] = n
		parts++
		if !more {
			break
		}
		core = tail
	}
	if parts < 3 && (!partial || rest != "") {
		return Version{}, fmt.Errorf("update: version %q needs MAJOR.MINOR.PATCH", in)
	}
	v := Version{major: nums[0], minor: nums[1], patch: nums[2]}
	build, hasBuild := "", false
	if pre, ok := strings.CutPrefix(rest, "-"); ok {
		v.pre, build, hasBuild = strings.Cut(pre, "+")
		if err := checkIdentifiers(v.pre, true); err != nil {
			return Version{}, fmt.Errorf("update: version %q: pre-release: %w", in, err)
		}
	} else if b, ok := strings.CutPrefix(rest, "+"); ok {
		build, hasBuild = b, true
	}
	if hasBuild {
		if err := checkIdentifiers(build, false); err != nil {
			return Version{}, fmt.Errorf("update: version %q: build metadata: %w", in, err)
		}
	}
	return v, nil
}

func parseNumber(s string) (uint64, error) {
	if s == "" || !allDigits(s) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%q has a leading zero", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return n, nil
}

// checkIdentifiers validates dot-separated identifiers of [0-9A-Za-z-]; in a
// pre-release, numeric identifiers must not have leading zeros.
func checkIdentifiers(s string, pre bool) error {
	for {
		id, rest, more := strings.Cut(s, ".")
		if id == "" {
			return fmt.Errorf("empty identifier")
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return fmt.Errorf("identifier %q has a character other than [0-9A-Za-z-]", id)
			}
		}
		if pre && len(id) > 1 && id[0] == '0' && allDigits(id) {
			return fmt.Errorf("numeric identifier %q has a leading zero", id)
		}
		if !more {
			return nil
		}
		s = rest
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String returns the version in canonical form, without a leading "v" and
// without build metadata, for example "1.5.0-rc.1".
func (v Version) String() string {
	s := strconv.FormatUint(v.major, 10) + "." + strconv.FormatUint(v.minor, 10) + "." + strconv.FormatUint(v.patch, 10)
	if v.pre != "" {
		s += "-" + v.pre
	}
	return s
}

// Compare returns -1, 0 or +1 as a is lower than, equal to or higher than b
// in semver 2.0.0 precedence: numbers first, then a pre-release ranks below
// its release, identifiers compared one by one (numeric ones by value and
// below alphanumeric ones, alphanumeric ones in ASCII order, a shorter list
// below a longer one that it prefixes).
func Compare(a, b Version) int {
	if c := cmp.Compare(a.major, b.major); c != 0 {
		return c
	}
	if c := cmp.Compare(a.minor, b.minor); c != 0 {
		return c
	}
	if c := cmp.Compare(a.patch, b.patch); c != 0 {
		return c
	}
	return comparePre(a.pre, b.pre)
}

func comparePre(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	for {
		ai, arest, amore := strings.Cut(a, ".")
		bi, brest, bmore := strings.Cut(b, ".")
		if c := compareIdentifier(ai, bi); c != 0 {
			return c
		}
		switch {
		case !amore && !bmore:
			return 0
		case !amore:
			return -1
		case !bmore:
			return 1
		}
		a, b = arest, brest
	}
}

func compareIdentifier(a, b string) int {
	an, bn := allDigits(a), allDigits(b)
	switch {
	case an && bn:
		// No leading zeros, so the longer number is the larger; this also
		// orders numbers too big for uint64.
		if c := cmp.Compare(len(a), len(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

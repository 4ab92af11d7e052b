package update

import (
	"fmt"
	"strings"
)

// maxRangeLen bounds a range expression, as any string in a manifest.
const maxRangeLen = maxStringLen

// Matches reports whether v lies in rangeExpr, a space-separated conjunction
// of comparisons, each an operator (<, <=, >, >=, =) and a version: "<1.4.3",
// ">=1.0.0 <2.0.0", "=1.4.2". A bare version means "=". Space between an
// operator and its version is allowed ("< 1.4.3"). A version in a range may
// be partial, the missing numbers being zero: ">=1.2" is ">=1.2.0", and "=1.2"
// matches 1.2.0 only (there are no wildcards). Comparisons follow semver
// precedence, so "<1.4.3" contains 1.4.3-rc.1. A malformed expression, or an
// empty one, is an error.
func Matches(rangeExpr string, v Version) (bool, error) {
	terms, err := parseRange(rangeExpr)
	if err != nil {
		return false, err
	}
	for _, t := range terms {
		if !t.holds(v) {
			return false, nil
		}
	}
	return true, nil
}

type comparison struct {
	op string
	v  Version
}

func (c comparison) holds(v Version) bool {
	r := Compare(v, c.v)
	switch c.op {
	case "<":
		return r < 0
	case "<=":
		return r <= 0
	case ">":
		return r > 0
	case ">=":
		return r >= 0
	default: // "="
		return r == 0
	}
}

func parseRange(expr string) ([]comparison, error) {
	if len(expr) > maxRangeLen {
		return nil, fmt.Errorf("update: range is longer than %d bytes", maxRangeLen)
	}
	fields := strings.Fields(expr)
	if len(fields) == 0 {
		return nil, fmt.Errorf("update: empty range")
	}
	var terms []comparison
	for i := 0; i < len(fields); i++ {
		op, ver := splitOperator(fields[i])
		if ver == "" {
			// An operator standing alone takes the next field as its version.
			if i+1 == len(fields) {
				return nil, fmt.Errorf("update: range %q: operator %q has no version", expr, op)
			}
			i++
			ver = fields[i]
		}
		v, err := parseVersion(ver, true)
		if err != nil {
			return nil, fmt.Errorf("update: range %q: %w", expr, err)
		}
		terms = append(terms, comparison{op: op, v: v})
	}
	return terms, nil
}

// splitOperator splits a leading comparison operator off s; a field with
// none gets "=".
func splitOperator(s string) (op, rest string) {
	for _, op := range [...]string{"<=", ">=", "<", ">", "="} {
		if r, ok := strings.CutPrefix(s, op); ok {
			return op, r
		}
	}
	return "=", s
}

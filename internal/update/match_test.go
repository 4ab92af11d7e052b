package update

import (
	"strings"
	"testing"
)

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		expr, v string
		want    bool
	}{
		// <
		{"<1.4.3", "1.4.2", true},
		{"<1.4.3", "1.4.3", false},
		{"<1.4.3", "1.4.4", false},
		{"<1.4.3", "1.4.3-rc.1", true}, // a pre-release precedes its release
		{"<1.4.3", "0.0.1", true},
		// <=
		{"<=1.4.3", "1.4.3", true},
		{"<=1.4.3", "1.4.2", true},
		{"<=1.4.3", "1.4.4", false},
		{"<=1.4.3", "1.4.3+build.7", true},
		// >
		{">1.0.0", "1.0.1", true},
		{">1.0.0", "1.0.0", false},
		{">1.0.0", "1.0.0-rc.1", false},
		{">1.0.0-rc.1", "1.0.0-rc.2", true},
		{">1.0.0-rc.1", "1.0.0", true},
		// >=
		{">=1.2.0", "1.2.0", true},
		{">=1.2.0", "1.1.99", false},
		{">=1.2.0", "1.2.0-beta", false},
		// =
		{"=1.4.2", "1.4.2", true},
		{"=1.4.2", "1.4.3", false},
		{"=1.4.2", "1.4.2-rc.1", false},
		{"=1.4.2-rc.1", "1.4.2-rc.1", true},
		{"=1.4.2", "1.4.2+meta", true},
		// a bare version means =
		{"1.4.2", "1.4.2", true},
		{"1.4.2", "1.4.1", false},
		{"v1.4.2", "1.4.2", true},
		// partial versions are zero-filled
		{">=1.2", "1.2.0", true},
		{">=1.2", "1.1.9", false},
		{"<2", "1.99.99", true},
		{"<2", "2.0.0", false},
		{"=1.2", "1.2.0", true},
		{"=1.2", "1.2.1", false},
		{"1", "1.0.0", true},
		{"<v2.1", "2.0.5", true},
		// conjunctions
		{">1.0.0 <2.0.0", "1.5.0", true},
		{">1.0.0 <2.0.0", "1.0.0", false},
		{">1.0.0 <2.0.0", "2.0.0", false},
		{">=1.0.0 <=2.0.0", "2.0.0", true},
		{">=1.2 <1.4.3", "1.4.2", true},
		{">=1.2 <1.4.3", "1.1.0", false},
		{">=1.0.0   <2.0.0\t", "1.5.0", true}, // any white space separates
		// space between operator and version
		{"< 1.4.3", "1.4.2", true},
		{">= 1.0.0 < 2", "1.9.0", true},
		{">= 1.0.0 < 2", "2.0.0", false},
		// an empty intersection
		{">2.0.0 <1.0.0", "1.5.0", false},
	} {
		got, err := Matches(tc.expr, mustVersion(t, tc.v))
		if err != nil {
			t.Errorf("Matches(%q, %s): %v", tc.expr, tc.v, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Matches(%q, %s) = %v, want %v", tc.expr, tc.v, got, tc.want)
		}
	}
}

func TestMatchesMalformed(t *testing.T) {
	v := mustVersion(t, "1.4.2")
	for _, expr := range []string{
		"", "   ", "<", "< ", ">=", "<1.4.3 <", "==1.4.2", "=<1.4.2", "=>1.4.2",
		"!=1.4.2", "~1.4.2", "^1.4.2", "1.4.x", "1.x", "*", "1.4.2 || 2.0.0",
		">1.0.0,<2.0.0", "<1.2-rc.1", "<1.2+b", "<01.2.3", "<1.2.3.4", "<a.b.c",
		"<1.2.3-", "< < 1.2.3", "<" + strings.Repeat("1", 2000),
	} {
		if got, err := Matches(expr, v); err == nil {
			t.Errorf("Matches(%q) = %v, want an error", expr, got)
		} else if !strings.HasPrefix(err.Error(), "update: ") {
			t.Errorf("Matches(%q) error %q lacks the package prefix", expr, err)
		}
	}
}

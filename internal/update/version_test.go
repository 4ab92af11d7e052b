package update

import (
	"strings"
	"testing"
)

func mustVersion(t testing.TB, s string) Version {
	t.Helper()
	v, err := ParseVersion(s)
	if err != nil {
		t.Fatalf("ParseVersion(%q): %v", s, err)
	}
	return v
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"1.4.2", "1.4.2"},
		{"v1.4.2", "1.4.2"},
		{"0.0.0", "0.0.0"},
		{"1.0.0-alpha", "1.0.0-alpha"},
		{"1.0.0-alpha.1", "1.0.0-alpha.1"},
		{"1.0.0-0.3.7", "1.0.0-0.3.7"},
		{"1.0.0-x.7.z.92", "1.0.0-x.7.z.92"},
		{"1.0.0-x-y-z.--", "1.0.0-x-y-z.--"},
		{"1.0.0+20130313144700", "1.0.0"},
		{"1.0.0-beta+exp.sha.5114f85", "1.0.0-beta"},
		{"1.0.0+21AF26D3----117B344092BD", "1.0.0"},
		{"18446744073709551615.0.0", "18446744073709551615.0.0"},
	} {
		v, err := ParseVersion(tc.in)
		if err != nil {
			t.Errorf("ParseVersion(%q): %v", tc.in, err)
			continue
		}
		if got := v.String(); got != tc.want {
			t.Errorf("ParseVersion(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseVersionMalformed(t *testing.T) {
	for _, in := range []string{
		"", "v", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "-1.2.3",
		"1.2.3-", "1.2.3+", "1.2.3-01", "1.2.3-a..b", "1.2.3-a.", "1.2.3+a..b",
		"1.2.3-a_b", "1.2.3-é", "1.2.3 ", " 1.2.3", "vv1.2.3", "V1.2.3", "1.2.x",
		"1.2.3-rc+", "18446744073709551616.0.0", "a.b.c", "1..3", "1.2.-3",
		"1.2.3-" + strings.Repeat("a", 300),
	} {
		if v, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) = %v, want an error", in, v)
		} else if !strings.HasPrefix(err.Error(), "update: ") {
			t.Errorf("ParseVersion(%q) error %q lacks the package prefix", in, err)
		}
	}
}

func TestCompareOrder(t *testing.T) {
	// The precedence example of rule 11 of semver 2.0.0, plus numbers and build
	// metadata.
	ordered := []string{
		"0.9.99",
		"1.0.0-0",
		"1.0.0-2",
		"1.0.0-10",
		"1.0.0-99999999999999999999999",
		"1.0.0-alpha",
		"1.0.0-alpha.1",
		"1.0.0-alpha.beta",
		"1.0.0-beta",
		"1.0.0-beta.2",
		"1.0.0-beta.11",
		"1.0.0-rc.1",
		"1.0.0",
		"1.0.1",
		"1.2.0",
		"1.10.0",
		"2.0.0",
		"10.0.0",
	}
	for i := range ordered {
		for j := range ordered {
			a, b := mustVersion(t, ordered[i]), mustVersion(t, ordered[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestCompareIgnoresBuildAndV(t *testing.T) {
	for _, pair := range [][2]string{
		{"1.0.0+a", "1.0.0+b"},
		{"v1.0.0", "1.0.0"},
		{"1.0.0-rc.1+x", "v1.0.0-rc.1"},
	} {
		if c := Compare(mustVersion(t, pair[0]), mustVersion(t, pair[1])); c != 0 {
			t.Errorf("Compare(%s, %s) = %d, want 0", pair[0], pair[1], c)
		}
	}
}

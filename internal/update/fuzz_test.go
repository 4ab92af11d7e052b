package update

import (
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		goodManifest, `{}`, `null`, `{"latest":5}`, `{"alerts":"x"}`, `{"alerts":[null]}`,
		`{"alerts":[{"id":"a","affected":"<1","message":"m","url":"https://x"}]}`,
		`{"latest":"1.5.0\u001b"}`, "{\"latest\":\"\xff\"}", `{"x":[[[[[]]]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			if !reflect.DeepEqual(m, Manifest{}) {
				t.Fatalf("error %v with a non-zero manifest", err)
			}
			return
		}
		if len(m.Alerts) > maxAlerts {
			t.Fatalf("%d alerts", len(m.Alerts))
		}
		strs := []string{m.Latest, m.URL}
		for _, a := range m.Alerts {
			if a.ID == "" || a.Affected == "" || a.Message == "" {
				t.Fatalf("alert with an empty required field: %+v", a)
			}
			strs = append(strs, a.ID, a.Affected, a.Message, a.URL)
		}
		for _, s := range strs {
			if len(s) > maxStringLen || !printable(s) {
				t.Fatalf("unsafe string %q accepted", s)
			}
		}
		// What Parse accepts survives the cache's round trip.
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Parse(again)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip: %+v, %v; want %+v", m2, err, m)
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.4.2", "v1.0.0-rc.1+b.2", "1.0.0-0.3.7", "01.2.3", "1.2", "", "1.2.3-", "99999999999999999999.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			return
		}
		// The canonical form parses back to the same version.
		w, err := ParseVersion(v.String())
		if err != nil {
			t.Fatalf("String() = %q does not parse: %v", v.String(), err)
		}
		if w != v || Compare(v, w) != 0 {
			t.Fatalf("%q → %q → %+v, want %+v", s, v.String(), w, v)
		}
		// A version lies in its own exact range and not below itself.
		if in, err := Matches("="+v.String(), v); err != nil || !in {
			t.Fatalf("Matches(=%s) = %v, %v", v, in, err)
		}
		if in, err := Matches("<"+v.String(), v); err != nil || in {
			t.Fatalf("Matches(<%s) = %v, %v", v, in, err)
		}
	})
}

func FuzzMatches(f *testing.F) {
	for _, s := range [][2]string{
		{"<1.4.3", "1.4.2"}, {">=1.2 <2", "1.9.0-rc.1"}, {"< 1", "0.1.0"}, {"=1.2.3-a.1", "1.2.3-a.1"},
		{"", "1.0.0"}, {"<<1", "1.0.0"}, {">1.0.0 <", "1.0.0"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, expr, version string) {
		v, err := ParseVersion(version)
		if err != nil {
			return
		}
		in, err := Matches(expr, v)
		if err != nil {
			return
		}
		// A conjunction with itself changes nothing.
		in2, err := Matches(expr+" "+expr, v)
		if len(expr+" "+expr) <= maxRangeLen && (err != nil || in2 != in) {
			t.Fatalf("Matches(%q %q) = %v, %v; alone %v", expr, expr, in2, err, in)
		}
	})
}

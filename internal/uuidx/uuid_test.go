package uuidx

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestNewV4(t *testing.T) {
	seen := make(map[string]bool)
	for i := 0; i < 1000; i++ {
		s, err := NewV4()
		if err != nil {
			t.Fatal(err)
		}
		if !Valid(s) || s != strings.ToLower(s) {
			t.Fatalf("NewV4() = %q, not lowercase canonical", s)
		}
		u, err := uuid.Parse(s)
		if err != nil {
			t.Fatalf("google/uuid rejects %q: %v", s, err)
		}
		if u.Version() != 4 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("%q: version %d variant %v, want 4 RFC4122", s, u.Version(), u.Variant())
		}
		if seen[s] {
			t.Fatalf("NewV4 repeated %q", s)
		}
		seen[s] = true
	}
}

func TestV5MatchesGoogleUUID(t *testing.T) {
	namespaces := []string{
		uuid.NameSpaceDNS.String(),
		uuid.NameSpaceURL.String(),
		"3F2504E0-4F89-11D3-9A0C-0305E82C3301", // upper case is accepted
		"00000000-0000-0000-0000-000000000000",
	}
	names := []string{"", "first_run", "first_deploy", "www.example.com", "ünïcode ✓", strings.Repeat("x", 1000)}
	for _, ns := range namespaces {
		for _, name := range names {
			got, err := V5(ns, name)
			if err != nil {
				t.Fatalf("V5(%q, %q): %v", ns, name, err)
			}
			want := uuid.NewSHA1(uuid.MustParse(ns), []byte(name)).String()
			if got != want {
				t.Errorf("V5(%q, %q) = %s, want %s", ns, name, got, want)
			}
		}
	}
}

// TestV5KnownAnswer pins the RFC 9562 appendix A.4 example, independent of
// any library: DNS namespace, name "www.example.com".
func TestV5KnownAnswer(t *testing.T) {
	got, err := V5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if want := "2ed6657d-e927-568b-95e1-2665a8aea6a2"; got != want {
		t.Fatalf("V5 = %s, want %s", got, want)
	}
}

func TestV5BadNamespace(t *testing.T) {
	for _, ns := range []string{"", "not-a-uuid", "6ba7b810-9dad-11d1-80b4-00c04fd430c", "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}"} {
		if _, err := V5(ns, "x"); err == nil || !strings.HasPrefix(err.Error(), "uuidx: ") {
			t.Errorf("V5(%q): err = %v, want a uuidx: error", ns, err)
		}
	}
}

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c8", true},
		{"6BA7B810-9DAD-11D1-80B4-00C04FD430C8", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"", false},
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c", false},
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c8a", false},
		{"6ba7b8109dad11d180b400c04fd430c8", false},
		{"urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", false},
		{"{6ba7b810-9dad-11d1-80b4-00c04fd430c8}", false},
		{"6ba7b810_9dad-11d1-80b4-00c04fd430c8", false},
		{"6ba7b810-9dad-11d1-80b4-00c04fd430cg", false},
		{"6ba7b81-09dad-11d1-80b4-00c04fd430c8", false},
		{" 6ba7b810-9dad-11d1-80b4-00c04fd430c", false},
	} {
		if got := Valid(tc.s); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// FuzzValid cross-checks the parser with google/uuid on the canonical
// length, where both must agree exactly, and checks that V5 accepts exactly
// what Valid accepts.
func FuzzValid(f *testing.F) {
	f.Add("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "first_run")
	f.Add("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "")
	f.Add("6ba7b810-9dad-11d1-80b4-00c04fd430cg", "x")
	f.Add("urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", "y")
	f.Fuzz(func(t *testing.T, s, name string) {
		ok := Valid(s)
		if len(s) == 36 {
			_, err := uuid.Parse(s)
			if ok != (err == nil) {
				t.Fatalf("Valid(%q) = %v but google/uuid.Parse err = %v", s, ok, err)
			}
		} else if ok {
			t.Fatalf("Valid(%q) = true for length %d", s, len(s))
		}
		got, err := V5(s, name)
		if (err == nil) != ok {
			t.Fatalf("V5(%q) err = %v, Valid = %v", s, err, ok)
		}
		if ok {
			want := uuid.NewSHA1(uuid.MustParse(s), []byte(name)).String()
			if got != want {
				t.Fatalf("V5(%q, %q) = %s, want %s", s, name, got, want)
			}
		}
	})
}

// Random fills the whole buffer, and two reads differ.
func TestRandom(t *testing.T) {
	var a, b [32]byte
	if err := Random(a[:]); err != nil {
		t.Fatal(err)
	}
	if err := Random(b[:]); err != nil {
		t.Fatal(err)
	}
	if a == b || a == [32]byte{} {
		t.Fatalf("two reads gave %x and %x", a, b)
	}
	if !osRandom(a[:0]) {
		t.Fatal("an empty read failed")
	}
}

package scrub

import (
	"strings"
	"testing"
)

// fuzzUser turns arbitrary bytes into a plausible user name: 2 to 32 of
// [A-Za-z0-9._-], starting and ending with a letter or digit.
func fuzzUser(raw string) string {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	const inner = alnum + "._-"
	var b strings.Builder
	for i := 0; i < len(raw) && b.Len() < 32; i++ {
		set := inner
		if i == 0 || i == len(raw)-1 || b.Len() == 31 {
			set = alnum
		}
		b.WriteByte(set[int(raw[i])%len(set)])
	}
	for b.Len() < 2 {
		b.WriteByte('q')
	}
	return b.String()
}

// containsHome reports whether s spells home, without ASCII case and with /
// and \ alike. (Unicode folding would count look-alikes such as the Kelvin
// sign for "k", which spell some other path.)
func containsHome(s, home string) bool {
	norm := func(x string) string {
		b := []byte(x)
		for i, c := range b {
			b[i] = lower(c)
			if c == '\\' {
				b[i] = '/'
			}
		}
		return string(b)
	}
	return strings.Contains(norm(s), norm(home))
}

// userWord returns where user stands as a word in s, outside the
// placeholders, or -1.
func userWord(s, user string) int {
	s = strings.NewReplacer(userMark, "\x00", emailMark, "\x00", ipMark, "\x00", redactedMark, "\x00", truncatedMark, "\x00").Replace(s)
	for i := 0; i+len(user) <= len(s); i++ {
		if (i == 0 || !isWord(s[i-1])) && (i+len(user) == len(s) || !isWord(s[i+len(user)])) && strings.EqualFold(s[i:i+len(user)], user) {
			return i
		}
	}
	return -1
}

func FuzzString(f *testing.F) {
	f.Add(syntheticStack, "alice", "x", uint8(0))
	f.Add("user bob at /home/bob/x.go:1 bob@example.com 10.0.0.1", "bob", "/", uint8(1))
	f.Add(`C:\Users\Bob\x C:/users/bob/y "C:\\Users\\bob"`, "Bob", `\`, uint8(2))
	f.Add("https://bob:pw@h/bob?x=bob#bob file:///home/bob", "bob", "", uint8(3))
	f.Add("/home//bob ~/home/bob /HOME/BOB/ <user>bob</user>", "user", "bob", uint8(4))
	f.Fuzz(func(t *testing.T, text, rawUser, sep string, form uint8) {
		user := fuzzUser(rawUser)
		var home, root string
		switch form % 4 {
		case 0:
			home, root = "/home/"+user, "/home/"+user+"/src/acme"
		case 1:
			home, root = "/Users/"+user, "/opt/build"
		case 2:
			home, root = `C:\Users\`+user, `C:\Users\`+user+`\src\acme`
		default:
			home, root = "/var/lib/"+user+"/home", ""
		}
		// Sprinkle the canaries through the input.
		in := text + sep + home + "/" + text + sep + user + sep + strings.ToUpper(home) + text
		s := New(home, user, root)
		for _, input := range []string{text, in} {
			out := s.String(input)
			if len(out) > MaxLen {
				t.Fatalf("len %d > %d", len(out), MaxLen)
			}
			if containsHome(out, home) {
				t.Fatalf("home %q survived in %q (input %q)", home, out, input)
			}
			if i := userWord(out, user); i >= 0 {
				t.Fatalf("user %q survived at %d in %q (input %q)", user, i, out, input)
			}
		}
	})
}

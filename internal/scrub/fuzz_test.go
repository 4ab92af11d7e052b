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

// stripMarks removes the placeholders this package writes, so that what is
// left is only the input's own text.
func stripMarks(s string) string {
	return strings.NewReplacer(userMark, "\x00", hostMark, "\x00", emailMark, "\x00", ipMark, "\x00", redactedMark, "\x00", truncatedMark, "\x00").Replace(s)
}

// wordAt returns where word stands as a word in s, without case, outside
// the placeholders, or -1.
func wordAt(s, word string) int {
	s = stripMarks(s)
	for i := 0; i+len(word) <= len(s); i++ {
		if (i == 0 || !isWord(s[i-1])) && (i+len(word) == len(s) || !isWord(s[i+len(word)])) && strings.EqualFold(s[i:i+len(word)], word) {
			return i
		}
	}
	return -1
}

// fuzzSecret turns arbitrary bytes into a secret-looking value: 6 to 24 of
// [A-Za-z0-9].
func fuzzSecret(raw string) string {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b strings.Builder
	for i := 0; i < len(raw) && b.Len() < 24; i++ {
		b.WriteByte(alnum[int(raw[i])%len(alnum)])
	}
	for b.Len() < 6 {
		b.WriteByte('Z')
	}
	return b.String()
}

func FuzzString(f *testing.F) {
	f.Add(syntheticStack, "alice", "x", uint8(0))
	f.Add("user bob at /home/bob/x.go:1 bob@example.com 10.0.0.1", "bob", "/", uint8(1))
	f.Add(`C:\Users\Bob\x C:/users/bob/y "C:\\Users\\bob"`, "Bob", `\`, uint8(2))
	f.Add("https://bob:pw@h/bob?x=bob#bob file:///home/bob", "bob", "", uint8(3))
	f.Add("/home//bob ~/home/bob /HOME/BOB/ <user>bob</user>", "user", "bob", uint8(4))
	f.Add("password=x Bearer abcdefgh1 eyJabcdefgh.eyJx.y 4111 1111 1111 1111 AKIAIOSFODNN7EXAMPLE", "carol", " ", uint8(5))
	f.Add("-----BEGIN RSA PRIVATE KEY-----\nabc https://hooks.slack.com/a/b /Users/Carol Jones/x", "jones", "=", uint8(6))
	f.Fuzz(func(t *testing.T, text, rawUser, sep string, form uint8) {
		user := fuzzUser(rawUser)
		host := "hq" + strings.ToLower(fuzzUser(sep+rawUser)) + ".corp.example"
		short, _, _ := strings.Cut(host, ".")
		secret := fuzzSecret(rawUser + text)
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
		in := text + sep + home + "/" + text + sep + user + sep + strings.ToUpper(home) + text +
			sep + host + sep + strings.ToUpper(short) + sep + secret + text + secret
		s := NewWith(Options{Home: home, User: user, ModuleRoot: root, Host: host, Environ: []string{"ACME_API_TOKEN=" + secret}})
		for _, input := range []string{text, in} {
			out := s.String(input)
			if len(out) > MaxLen {
				t.Fatalf("len %d > %d", len(out), MaxLen)
			}
			if containsHome(out, home) {
				t.Fatalf("home %q survived in %q (input %q)", home, out, input)
			}
			if i := wordAt(out, user); i >= 0 {
				t.Fatalf("user %q survived at %d in %q (input %q)", user, i, out, input)
			}
			for _, h := range []string{host, short} {
				if i := wordAt(out, h); i >= 0 {
					t.Fatalf("host %q survived at %d in %q (input %q)", h, i, out, input)
				}
			}
			if strings.Contains(stripMarks(out), secret) {
				t.Fatalf("secret %q survived in %q (input %q)", secret, out, input)
			}
		}
	})
}

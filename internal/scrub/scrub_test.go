package scrub

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestStringCases(t *testing.T) {
	unix := New("/home/bob", "bob", "/home/bob/src/acme")
	mac := New("/Users/bob", "bob", "")
	win := New(`C:\Users\Bob`, "Bob", `C:\Users\Bob\src\acme`)
	none := New("", "", "")
	host := NewWith(Options{Host: "build-7.corp.example.com."})
	env := NewWith(Options{Environ: []string{"GITHUB_TOKEN=ghp_short1", "my_api_key= k3y-value ", "HOME=/root", "EDITOR=vim", "SHORT_TOKEN=abc", "NOEQUALS"}})
	for _, tc := range []struct {
		name string
		s    *Scrubber
		in   string
		want string
	}{
		// paths
		{"module path", unix, "\t/home/bob/src/acme/internal/cli/crash.go:42 +0x1d", "\tinternal/cli/crash.go:42 +0x1d"},
		{"module root alone", unix, "cd /home/bob/src/acme && go build", "cd . && go build"},
		{"path under home", unix, "open /home/bob/.config/acme/device_id: permission denied", "open device_id: permission denied"},
		{"home alone", unix, "HOME=/home/bob", "HOME=~"},
		{"home at a sentence's end", unix, "it is /home/bob.", "it is ~."},
		{"home with trailing slash", unix, "in /home/bob/ now", "in ~/ now"},
		{"outside path", unix, "/opt/build/x/foo.go:12", "foo.go:12"},
		{"goroot path", none, "\t/usr/local/go/src/runtime/panic.go:785 +0x132", "\tpanic.go:785 +0x132"},
		{"module cache path", unix, "/home/bob/go/pkg/mod/golang.org/x/sys@v0.49.0/unix/syscall.go:7", "syscall.go:7"},
		{"another user's home", unix, "/home/bobby/notes.txt", "notes.txt"},
		{"path in parentheses", none, "(/var/lib/x/y.db)", "(y.db)"},
		{"quoted path", none, `open "/etc/acme/conf.yaml": no such file`, `open "conf.yaml": no such file`},
		{"path then comma", none, "/a/b/c.go, /d/e.go", "c.go, e.go"},
		{"directory path", none, "in /srv/data/", "in data"},
		{"root alone", none, "cd / && ls", "cd / && ls"},
		{"relative paths stay", none, "./cmd/acme ../x/y internal/update/x.go", "./cmd/acme ../x/y internal/update/x.go"},
		{"macOS home", mac, "/Users/bob/Library/Caches/acme/x.log", "x.log"},
		{"macOS home case", mac, "/users/BOB/x.log", "x.log"},
		// Windows
		{"windows path", win, `C:\Users\Bob\AppData\Roaming\acme\cfg.json: denied`, `cfg.json: denied`},
		{"windows forward slashes", win, "\tC:/Users/Bob/go/pkg/mod/x@v1/y.go:12 +0x1d", "\ty.go:12 +0x1d"},
		{"windows module", win, "\tC:/Users/Bob/src/acme/main.go:9 +0x88", "\tmain.go:9 +0x88"},
		{"windows module subdir", win, `c:\users\bob\src\acme\internal\x.go:3`, `internal\x.go:3`},
		{"windows quoted escapes", win, `"C:\\Users\\Bob\\Desktop\\a.txt"`, `"a.txt"`},
		{"windows home alone", win, `USERPROFILE=C:\Users\Bob`, `USERPROFILE=~`},
		{"windows other drive", none, `D:\builds\agent\x.go:1`, `x.go:1`},
		{"windows UNC", none, `\\fileserver\share\team\x.txt`, `x.txt`},
		{"windows rooted", none, `\Windows\System32\drivers\etc\hosts`, `hosts`},
		{"frame file with spaces", mac, "main.f()\n\t/Users/bob/My Projects/a:b/x.go:12 +0x1d\n\t/opt/y z/w.go:3\r\n", "main.f()\n\tx.go:12 +0x1d\n\tw.go:3\r\n"},
		{"tab line that is no frame", none, "\t/a/b c:d", "\tb c:d"},
		{"escape is not a path", none, `line1\nline2 "\t"`, `line1\nline2 "\t"`},
		{"domain user", win, `CORP\Bob logged in`, `CORP\<user> logged in`},
		// the user name
		{"user as a word", unix, "user bob (Bob, BOB) bob's", "user <user> (<user>, <user>) <user>'s"},
		{"user inside words stays", unix, "bobcat kebob bob_x", "bobcat kebob bob_x"},
		{"user in a relative path", unix, "Users/bob/x", "Users/<user>/x"},
		{"user named like a placeholder", New("", "user", ""), "user <user> users", "<user> <user> users"},
		{"user with a dot", New("", "john.doe", ""), "john.doe and John.Doe and john", "<user> and <user> and john"},
		{"user with a space", New(`C:\Users\John Smith`, "John Smith", ""), `C:\Users\John Smith\x.txt by John Smith`, `x.txt by <user>`},
		// e-mail
		{"email", none, "mail bob.smith+tag@example.co.uk now", "mail <email> now"},
		{"email in brackets", none, "<bob@example.com>", "<<email>>"},
		{"git remote", none, "git@github.com:org/repo.git", "<email>:org/repo.git"},
		{"module version is no email", none, "golang.org/x/sys@v0.49.0 pkg@latest", "golang.org/x/sys@v0.49.0 pkg@latest"},
		// IP addresses
		{"ipv4", none, "dial tcp 192.168.1.20:8080: refused", "dial tcp <ip>:8080: refused"},
		{"ipv4 loopback", none, "127.0.0.1", "<ip>"},
		{"not ipv4", none, "v1.2.3.4 1.2.3.4.5 10.0.19041.1 1.2.3 256.1.1.1", "v1.2.3.4 1.2.3.4.5 10.0.19041.1 1.2.3 256.1.1.1"},
		{"ipv6", none, "from [fe80::1%eth0]:22 and 2001:db8::8a2e:370:7334 and ::1.", "from [<ip>]:22 and <ip> and <ip>."},
		{"ipv4 in ipv6", none, "::ffff:10.1.2.3", "<ip>"},
		{"not ipv6", none, "12:34:56 std::vector a:b:c main.go:42", "12:34:56 std::vector a:b:c main.go:42"},
		// URLs
		{"url userinfo and query", unix, "GET https://bob:s3cret@api.example.com:8443/v1/users/bob?token=abc#frag failed", "GET https://api.example.com:8443/v1/users/<user> failed"},
		{"url ip host", none, "postgres://u:p@10.0.0.1:5432/db?sslmode=disable.", "postgres://<ip>:5432/db."},
		{"url ipv6 host", none, "http://[::1]:4318/v1/logs", "http://<ip>:4318/v1/logs"},
		{"url plain", none, "see https://acme.dev/telemetry).", "see https://acme.dev/telemetry)."},
		{"url token in path", none, "https://x.dev/k/0123456789abcdef0123456789abcdef/y", "https://x.dev/k/<redacted>/y"},
		{"file url", unix, "file:///home/bob/notes/a.txt", "file://a.txt"},
		// tokens
		{"hex digest", none, "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 <redacted>"},
		{"github token", none, "token=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5", "token=<redacted>"},
		{"base64 with padding", none, "key: c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==!", "key: <redacted>!"},
		{"jwt after bearer", none, "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
			"Bearer <redacted>"},
		{"jwt alone", none, "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c end", "token <redacted> end"},
		{"short jwt", none, "jwt=x eyJhbGciOi.eyJzdWIi.c2ln!", "jwt=x <redacted>!"},
		{"uuid", none, "id 123e4567-e89b-12d3-a456-426614174000", "id <redacted>"},
		{"lowercase alnum key", none, "k 7f3kq9z2m4x8c1v6b5n0p7r3t9w2y4u8", "k <redacted>"},
		{"short hex stays", none, "0xc000012345 +0x1d {0x4a2e80?, 0x5c3a10?}", "0xc000012345 +0x1d {0x4a2e80?, 0x5c3a10?}"},
		{"long identifiers stay", none, "TestParseVersionPrereleaseOrderingRules com/SomeOrganisation/SomeRepository/internal/subpackage internal_update_manifest_test_helpers",
			"TestParseVersionPrereleaseOrderingRules com/SomeOrganisation/SomeRepository/internal/subpackage internal_update_manifest_test_helpers"},
		// host names, full and short
		{"host full and short", host, "dial build-7.corp.example.com:443 from build-7 (BUILD-7) on build-7s", "dial <host>:443 from <host> (<host>) on build-7s"},
		{"host in a url", host, "GET https://build-7.corp.example.com/x failed", "GET https://<host>/x failed"},
		{"host in a path", host, "/srv/build-7/x.log and Users/build-7/y", "x.log and Users/<host>/y"},
		// credentials
		{"bearer", none, "Authorization: Bearer abc123def456 sent", "Authorization: Bearer <redacted> sent"},
		{"basic", none, "Authorization: basic dXNlcjpwYXNz", "Authorization: basic <redacted>"},
		{"basic as a word", none, "basic setup done", "basic setup done"},
		{"password pair", none, "connect: password=hunter2 user=bob", "connect: password=<redacted> user=bob"},
		{"secret colon", none, "secret: s3cr3t, next", "secret: <redacted>, next"},
		{"json secret", none, `{"client_secret": "a b c", "id": 1}`, `{"client_secret": "<redacted>", "id": 1}`},
		{"env style", none, "DB_PASSWORD=p@ss:w0rd GITHUB_TOKEN=ghp_x1", "DB_PASSWORD=<redacted> GITHUB_TOKEN=<redacted>"},
		{"struct print", none, "{AccessToken:ya29.a0Af Expiry:2025} map[api_key:k1]", "{AccessToken:<redacted> Expiry:2025} map[api_key:<redacted>]"},
		{"secret-named files stay", none, "\tauth.go:42 +0x1d\n\ttoken_test.go:12", "\tauth.go:42 +0x1d\n\ttoken_test.go:12"},
		{"aws keys", none, "id AKIAIOSFODNN7EXAMPLE key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.", "id <redacted> key <redacted>."},
		{"pem block", none, "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\nafter", "before\n<redacted>\nafter"},
		{"pem block cut", none, "k: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE", "k: <redacted>"},
		{"public key stays", none, "-----BEGIN PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----"},
		{"card numbers", none, "cards 4111 1111 1111 1111, 4111-1111-1111-1111 and 5500005555555559.", "cards <redacted>, <redacted> and <redacted>."},
		{"not card numbers", none, "4111111111111112 1234567890123 v4111111111111111 2024-01-02 12:00", "4111111111111112 1234567890123 v4111111111111111 2024-01-02 12:00"},
		// webhook URLs, userinfo, query tokens
		{"slack webhook", none, "post https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx failed", "post https://hooks.slack.com/<redacted> failed"},
		{"discord webhook", none, "https://discord.com/api/webhooks/123456789012345678/AbC-dEf_123", "https://discord.com/<redacted>"},
		{"webhook path", none, "https://ci.example.com/hooks/build/abc123?x=1", "https://ci.example.com/hooks/<redacted>"},
		{"url userinfo", none, "https://deploy:pw@git.example.com/r.git", "https://git.example.com/r.git"},
		{"url query token", none, "https://api.example.com/v1/items?access_token=abc&x=1 done", "https://api.example.com/v1/items done"},
		// another user's home, with spaces
		{"windows home with space", none, `open C:\Users\Carol Jones\AppData\Roaming\x.txt: denied`, `open x.txt: denied`},
		{"linux home with space", none, "cat /home/carol jones/notes.txt", "cat notes.txt"},
		{"mac home with space", none, "/Users/Carol Jones/Desktop/a.txt and /Users/Carol Jones/", "a.txt and ~"},
		{"home folder alone", none, "open /home/dave: denied", "open ~: denied"},
		{"quoted windows home with space", none, `"C:\\Users\\Carol Jones\\x.txt"`, `"x.txt"`},
		// secret-looking environment variables
		{"env secret values", env, "token ghp_short1 and k3y-value, abc, vim in /opt/k3y-value/x", "token <redacted> and <redacted>, abc, vim in opt<redacted>x"},
		{"env secret in a struct", env, "{Name:acme Token:ghp_short1 Editor:vim}", "{Name:acme Token:<redacted> Editor:vim}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.String(tc.in); got != tc.want {
				t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		home, user, root          string
		wantHome, wantUser, wRoot string
	}{
		{"/home/bob/", " bob ", "/home/bob/src/acme/", "/home/bob", "bob", "/home/bob/src/acme"},
		{"/", "b", "/", "", "", ""},
		{`C:\`, ".bob.", `C:\`, "", "bob", ""},
		{"relative/home", "bob", "src/acme", "", "bob", ""},
		{"/home/bob", "bob", "/home/bob", "/home/bob", "bob", ""},      // root is home
		{"/home/bob", "bob", "/home", "/home/bob", "bob", ""},          // root above home
		{`C:\Users\Bob`, "Bob", `c:/users`, `C:\Users\Bob`, "Bob", ""}, // root above home, other spelling
		{"/home/bob", "bob", "/home/bobby", "/home/bob", "bob", "/home/bobby"},
		{"", "", "", "", "", ""},
	} {
		s := New(tc.home, tc.user, tc.root)
		if s.home != tc.wantHome || s.user != tc.wantUser || s.moduleRoot != tc.wRoot {
			t.Errorf("New(%q, %q, %q) = %+v, want home %q user %q root %q", tc.home, tc.user, tc.root, *s, tc.wantHome, tc.wantUser, tc.wRoot)
		}
	}
}

const syntheticStack = `panic: open /home/alice/.config/acme/telemetry/device_id: permission denied [recovered]
	panic: open /home/alice/.config/acme/telemetry/device_id: permission denied

goroutine 1 [running]:
github.com/acme/acme/internal/cli.crash({0x4a2e80?, 0x5c3a10?})
	/home/alice/src/acme/internal/cli/crash.go:42 +0x1d
github.com/acme/acme/internal/cli.Run(0xc000012345, {0xc00001e0c0, 0x2, 0x2})
	/home/alice/src/acme/internal/cli/run.go:17 +0x5e
golang.org/x/sys/unix.Open(...)
	/home/alice/go/pkg/mod/golang.org/x/sys@v0.49.0/unix/syscall_linux.go:1234 +0x88
main.main()
	/home/alice/src/acme/main.go:9 +0x25
created by main.main in goroutine 1
	/usr/local/go/src/runtime/proc.go:283 +0x28
`

const wantSyntheticStack = `panic: open device_id: permission denied [recovered]
	panic: open device_id: permission denied

goroutine 1 [running]:
github.com/acme/acme/internal/cli.crash({0x4a2e80?, 0x5c3a10?})
	internal/cli/crash.go:42 +0x1d
github.com/acme/acme/internal/cli.Run(0xc000012345, {0xc00001e0c0, 0x2, 0x2})
	internal/cli/run.go:17 +0x5e
golang.org/x/sys/unix.Open(...)
	syscall_linux.go:1234 +0x88
main.main()
	main.go:9 +0x25
created by main.main in goroutine 1
	proc.go:283 +0x28
`

func TestSyntheticStack(t *testing.T) {
	s := New("/home/alice", "alice", "/home/alice/src/acme")
	got := s.String(syntheticStack)
	if got != wantSyntheticStack {
		t.Errorf("got:\n%s\nwant:\n%s", got, wantSyntheticStack)
	}
	// The same stack as Windows prints it.
	win := strings.ReplaceAll(syntheticStack, "/home/alice", "C:/Users/Alice")
	win = strings.ReplaceAll(win, "/usr/local/go", "C:/Program Files/Go")
	ws := New(`C:\Users\Alice`, "Alice", `C:\Users\Alice\src\acme`)
	got = ws.String(win)
	// The frame's shape carries "C:/Program Files/Go/…" over its space.
	if got != wantSyntheticStack {
		t.Errorf("windows, got:\n%s\nwant:\n%s", got, wantSyntheticStack)
	}
	for _, canary := range []string{"alice", "Alice", "/home", "Users"} {
		if strings.Contains(got, canary) {
			t.Errorf("%q survived:\n%s", canary, got)
		}
	}
}

// TestRealStack scrubs a stack captured from a real panic in this test
// binary: every absolute path of this machine disappears, and the frames
// stay readable.
func TestRealStack(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	moduleRoot := filepath.Dir(filepath.Dir(filepath.Dir(file))) // …/internal/scrub/x.go → module root
	var stack string
	func() {
		defer func() {
			recover()
			stack = string(debug.Stack())
		}()
		panic("boom")
	}()
	s := New(filepath.Dir(moduleRoot), "nobody-here", moduleRoot)
	got := s.String(stack)
	t.Logf("scrubbed:\n%s", got)
	for _, want := range []string{
		"goroutine ",
		"runtime/debug.Stack()",
		"github.com/waymarkhq/waymark/internal/scrub.TestRealStack.func1(",
		"internal/scrub/scrub_test.go:",
		"stack.go:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q", want)
		}
	}
	goroot, _ := exec.Command("go", "env", "GOROOT").Output()
	for _, gone := range []string{moduleRoot, strings.TrimSpace(string(goroot)), filepath.Dir(moduleRoot)} {
		if gone != "" && strings.Contains(got, gone) {
			t.Errorf("%q survived", gone)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "/") {
			t.Errorf("absolute path survived: %q", l)
		}
	}
}

func TestLengthCap(t *testing.T) {
	s := New("/home/bob", "bob", "")
	line := "github.com/acme/acme/internal/cli.crash(...) /home/bob/x/y.go:12 bob\n"
	in := strings.Repeat(line, 2000)
	got := s.String(in)
	if len(got) > MaxLen {
		t.Fatalf("len = %d, want at most %d", len(got), MaxLen)
	}
	if !strings.HasSuffix(got, "\n<truncated>") {
		t.Errorf("no truncation mark: %q", got[len(got)-40:])
	}
	if strings.Contains(got, "/home/bob") || strings.Contains(got, " bob") {
		t.Error("canary survived")
	}
	// A cut never splits a word into something that reads as the user.
	s = New("", "bob", "")
	in = strings.Repeat("x", MaxLen-len("\n<truncated>")-3) + " bobby " + strings.Repeat("y", 100)
	got = s.String(in)
	if strings.HasSuffix(strings.TrimSuffix(got, "\n<truncated>"), "bob") {
		t.Errorf("cut made a user name: %q", got[len(got)-30:])
	}
	// Short input is returned whole.
	if got := s.String("hello"); got != "hello" {
		t.Errorf("String(hello) = %q", got)
	}
	if got := s.String(""); got != "" {
		t.Errorf("String(\"\") = %q", got)
	}
}

// TestLinear feeds inputs built to make a naive scanner quadratic.
func TestLinear(t *testing.T) {
	var environ []string
	for i := range maxSecrets {
		environ = append(environ, fmt.Sprintf("K%d_TOKEN=%s%d", i, strings.Repeat("a", maxSecret-8), i))
	}
	s := NewWith(Options{Home: "/home/bob", User: "bob", ModuleRoot: "/home/bob/src", Host: "build-7.example.com", Environ: environ})
	for _, unit := range []string{"a-", "a.", "a+", "1.", "a:", "/", `\`, "a@", "~/", "/home/bob", "ab", "a-b.c@", "0:",
		"password-", "token=", "eyJabcdefgh-", "eyJabcdefgh.", "Bearer ", "basic\t", "/home/a ", "/Users/a b ", "-----BEGIN ", "-----BEGIN RSA PRIVATE KEY-----", "4111 ", "1-", "AKIA", "https://hooks.x/", "auth:\"", "secret=\"\\", "a", "build-7.", "<redacted>a"} {
		in := strings.Repeat(unit, maxInput/len(unit))
		start := time.Now()
		out := s.String(in)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%q×%d took %v", unit, len(in)/len(unit), d)
		}
		if len(out) > MaxLen {
			t.Errorf("%q: len %d", unit, len(out))
		}
	}
}

func TestConcurrent(t *testing.T) {
	s := New("/home/bob", "bob", "/home/bob/src/acme")
	done := make(chan string)
	for range 8 {
		go func() { done <- s.String(syntheticStack) }()
	}
	first := <-done
	for range 7 {
		if got := <-done; got != first {
			t.Error("results differ between goroutines")
		}
	}
}

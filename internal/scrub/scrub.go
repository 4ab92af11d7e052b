package scrub

import (
	"net/netip"
	"sort"
	"strings"
)

const (
	// maxInput is how much of the input String looks at; a report's useful
	// part, the panicking goroutine, comes first.
	maxInput = 64 << 10
	// MaxLen is the most String returns, in bytes.
	MaxLen = 8 << 10
)

// The placeholders that replace what is removed.
const (
	userMark      = "<user>"
	hostMark      = "<host>"
	emailMark     = "<email>"
	ipMark        = "<ip>"
	redactedMark  = "<redacted>"
	truncatedMark = "\n<truncated>"
)

// Scrubber removes personal data from error reports. It is safe for
// concurrent use.
type Scrubber struct {
	home, user, moduleRoot string
	// hosts holds the host name and its first label, when they are worth
	// looking for; secrets the values to redact, longest first.
	hosts   []string
	secrets []string
}

// Options is what a Scrubber looks for beyond what it finds by shape. The
// caller reads each once, from the process it runs in; any may be empty.
type Options struct {
	// Home is the home directory; it becomes "~" wherever it is spelled.
	Home string
	// User is the user name; it becomes "<user>" wherever it stands as a word.
	User string
	// ModuleRoot is the directory of the program's source; paths in it
	// become relative to it.
	ModuleRoot string
	// Host is the host name (os.Hostname). It and its first label ("build-7"
	// of "build-7.corp.example.com") become "<host>" wherever they stand as
	// words, without case. Names shorter than three bytes are ignored.
	Host string
	// Environ is the process's environment, as "NAME=value" strings
	// (os.Environ). The value of every variable whose name holds TOKEN,
	// SECRET, KEY, PASSWORD, PASSWD, AUTH or CREDENTIAL (in any case) becomes
	// "<redacted>" wherever it appears, if it is at least six bytes long
	// (shorter values are too often common words). Other variables are not
	// kept.
	Environ []string
}

// secretNames are the parts of an environment variable name that mark its
// value as a secret.
var secretNames = [...]string{"TOKEN", "SECRET", "KEY", "PASSWORD", "PASSWD", "AUTH", "CREDENTIAL"}

const (
	// minSecret and maxSecret bound the length of an environment value that
	// is looked for; maxSecrets bounds how many.
	minSecret  = 6
	maxSecret  = 4 << 10
	maxSecrets = 256
	// minHost is the shortest host name or label looked for.
	minHost = 3
)

// New returns a Scrubber for the given home directory, user name and module
// root, which the caller reads once (for example from os.UserHomeDir,
// os/user and the build). Any of them may be empty. A home or module root
// that is not absolute, or is a file-system root such as "/" or `C:\`, is
// ignored, as is a module root that is the home directory or above it (it
// would turn every home path into a relative one). A user name is trimmed of
// leading and trailing punctuation, and ignored if shorter than two bytes.
func New(home, user, moduleRoot string) *Scrubber {
	return NewWith(Options{Home: home, User: user, ModuleRoot: moduleRoot})
}

// NewWith returns a Scrubber for o. Home, User and ModuleRoot are treated as
// New treats them; see Options for Host and Environ.
func NewWith(o Options) *Scrubber {
	s := &Scrubber{home: cleanRoot(o.Home), moduleRoot: cleanRoot(o.ModuleRoot)}
	s.user = strings.TrimFunc(strings.TrimSpace(o.User), func(r rune) bool {
		return r < 0x80 && !isWord(byte(r))
	})
	if len(s.user) < 2 {
		s.user = ""
	}
	if s.home != "" && s.moduleRoot != "" && hasRoot(s.home, s.moduleRoot) {
		s.moduleRoot = ""
	}
	host := strings.Trim(strings.TrimSpace(o.Host), ".")
	if len(host) >= minHost {
		s.hosts = append(s.hosts, host)
		if short, _, ok := strings.Cut(host, "."); ok && len(short) >= minHost {
			s.hosts = append(s.hosts, short)
		}
	}
	s.secrets = secretValues(o.Environ)
	return s
}

// secretValues returns the values of environ's secret-looking variables
// that are worth looking for, without duplicates, longest first.
func secretValues(environ []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		value = strings.TrimSpace(value)
		if !ok || len(value) < minSecret || len(value) > maxSecret || seen[value] || !secretName(name) {
			continue
		}
		seen[value] = true
		out = append(out, value)
		if len(out) == maxSecrets {
			break
		}
	}
	// Longest first, so that a value holding another is removed whole.
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// secretName reports whether an environment variable's name marks its value
// as a secret.
func secretName(name string) bool {
	upper := strings.ToUpper(name)
	for _, part := range secretNames {
		if strings.Contains(upper, part) {
			return true
		}
	}
	return false
}

// String returns in scrubbed, at most MaxLen bytes long (a longer result is
// cut at a word boundary and ends in "\n<truncated>"; input beyond 64 KiB is
// not looked at). In order:
//
//   - the values of the secret-looking environment variables (Options)
//     become "<redacted>", wherever they appear;
//   - PEM private-key blocks ("-----BEGIN … PRIVATE KEY-----" to the
//     matching END line, or to the end of the text) become "<redacted>";
//   - paths in the module root become module-relative
//     ("/home/bob/src/acme/internal/x.go:12" → "internal/x.go:12");
//   - other absolute paths, Unix or Windows, with either separator and
//     including those under the home directory, keep only their base name
//     ("/opt/build/x/foo.go:12" → "foo.go:12", `C:\Users\bob\x.txt` →
//     "x.txt"); the home directory alone becomes "~", and so does another
//     user's home folder (/home/…, /Users/…, C:\Users\…), also when the
//     folder's name holds spaces ("/home/carol jones/a.txt" → "a.txt");
//   - URLs lose their userinfo, query and fragment, and an IP host
//     ("https://u:p@10.0.0.1/a?t=1" → "https://<ip>/a"); a webhook URL (a
//     host or path segment naming a hook, or Discord) loses its path from
//     the hook on ("https://hooks.slack.com/<redacted>"); a file URL keeps
//     only its base name;
//   - credentials become "<redacted>": the value after "Bearer" or "Basic",
//     the value of a key=value or key: value pair whose key names a secret
//     (password, passwd, pwd, secret, token, api key, access key, private
//     key, credential, auth, cookie), JSON Web Tokens, AWS access key ids,
//     and card numbers (13 to 19 digits, spaces or dashes between them,
//     that pass the Luhn check);
//   - e-mail addresses become "<email>", IPv4 and IPv6 addresses "<ip>";
//   - runs of 32 or more characters from the base64 (or URL-safe base64)
//     alphabet that look random (all hex, or a mix of letters and digits
//     that changes character class often) become "<redacted>";
//   - whatever still spells the home directory becomes "~", compared without
//     case and with / and \ alike;
//   - the user name and the host name (full and short), without case,
//     wherever they stand as a word or path element, become "<user>" and
//     "<host>".
//
// Function names, file:line of base names and goroutine headers of a Go
// stack trace are left as they are; on a frame's file line ("\t<file>:<n>")
// the whole file name goes, even when it holds spaces ("C:/Program Files/…").
// Elsewhere a path ends at white space, so the part of a path after a space
// may remain, relative and without the home directory, user or host name.
func (s *Scrubber) String(in string) string {
	text := cut(in, maxInput, "")
	text = replaceSecrets(text, s.secrets)
	text = removePrivateKeys(text)
	text = replaceRoot(text, s.moduleRoot, true)
	text = replaceRoot(text, s.home, false)
	var b strings.Builder
	b.Grow(len(text))
	scan(text, findAll, &b)
	text = b.String()
	// No step can bring back what another removed; the check that a
	// further round changes nothing is cheap insurance.
	for range 3 {
		next := replaceWord(removeHome(text, s.home), s.user, userMark)
		for _, h := range s.hosts {
			next = replaceWord(next, h, hostMark)
		}
		next = replaceSecrets(next, s.secrets)
		if next == text {
			break
		}
		text = next
	}
	return cut(text, MaxLen, truncatedMark)
}

// cut shortens s to at most max bytes including marker, without splitting a
// word (and so never a UTF-8 sequence, whose bytes all count as word bytes).
func cut(s string, max int, marker string) string {
	if len(s) <= max {
		return s
	}
	n := max - len(marker)
	for n > 0 && isWord(s[n-1]) && isWord(s[n]) {
		n--
	}
	return s[:n] + marker
}

// Byte classes. Bytes of multi-byte UTF-8 sequences count as word bytes, so
// that a name in any script is one word.
func isSep(c byte) bool    { return c == '/' || c == '\\' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool  { return isLetter(c) || isDigit(c) }
func isWord(c byte) bool   { return isAlnum(c) || c == '_' || c >= 0x80 }
func isHex(c byte) bool    { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

// isNameChar reports whether c can continue a file name, so that a path
// match ending before it would cut a name in two.
func isNameChar(c byte) bool { return isWord(c) || strings.IndexByte(".-~$@+", c) >= 0 }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// cleanRoot returns p without trailing separators if it is an absolute path
// below a file-system root, and "" otherwise.
func cleanRoot(p string) string {
	p = strings.TrimRight(strings.TrimSpace(p), `/\`)
	body := p
	switch {
	case len(p) >= 3 && isLetter(p[0]) && p[1] == ':' && isSep(p[2]):
		body = p[3:]
	case len(p) >= 1 && isSep(p[0]):
		body = p[1:]
	default:
		return ""
	}
	if strings.Trim(body, `/\`) == "" {
		return ""
	}
	return p
}

// matchRoot returns the length of the text at s[i:] that spells root, ASCII
// letters compared without case, / and \ alike, and each run of separators
// inside root matching a run in s (as in "C:\\Users\\bob", quoted); or -1.
func matchRoot(s string, i int, root string) int {
	j := i
	// Leading separators match one for one, so that "\\server" stays UNC
	// and "file:///home" is not read as "/home" from its first slash.
	k := 0
	for ; k < len(root) && isSep(root[k]); k++ {
		if j >= len(s) || !isSep(s[j]) {
			return -1
		}
		j++
	}
	for ; k < len(root); k++ {
		c := root[k]
		if isSep(c) {
			if j >= len(s) || !isSep(s[j]) {
				return -1
			}
			for j < len(s) && isSep(s[j]) {
				j++
			}
			for k+1 < len(root) && isSep(root[k+1]) {
				k++
			}
			continue
		}
		if j >= len(s) || lower(s[j]) != lower(c) {
			return -1
		}
		j++
	}
	return j - i
}

// hasRoot reports whether path is root or lies below it.
func hasRoot(path, root string) bool {
	n := matchRoot(path, 0, root)
	return n >= 0 && (n == len(path) || isSep(path[n]))
}

// replaceRoot rewrites the paths in s that start with root, where root is a
// whole path (not the tail of a longer one, not cut inside a name). With
// module set, root and its separator are removed, making the path relative
// (root alone becomes "."); otherwise root becomes "~".
func replaceRoot(s, root string, module bool) string {
	if root == "" {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if i > 0 && (isNameChar(s[i-1]) || isSep(s[i-1])) {
			continue
		}
		if lower(s[i]) != lower(root[0]) && !(isSep(s[i]) && isSep(root[0])) {
			continue
		}
		n := matchRoot(s, i, root)
		if n < 0 {
			continue
		}
		j := i + n
		if j < len(s) && !isSep(s[j]) && isNameChar(s[j]) && !endsSentence(s, j) {
			continue
		}
		b.WriteString(s[last:i])
		if module {
			for j < len(s) && isSep(s[j]) {
				j++
			}
			if j == len(s) || !isNameChar(s[j]) {
				b.WriteByte('.')
			}
		} else {
			b.WriteByte('~')
		}
		last = j
		i = j - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// endsSentence reports whether s[j] is a full stop after a path rather than
// part of a name: a '.' at the end or before a byte no name contains.
func endsSentence(s string, j int) bool {
	return s[j] == '.' && (j+1 == len(s) || !isNameChar(s[j+1]) && !isSep(s[j+1]))
}

// removeHome replaces every occurrence of home in s, wherever it stands, by
// "~", until none is left.
func removeHome(s, home string) string {
	if home == "" {
		return s
	}
	for {
		var b strings.Builder
		last := 0
		for i := 0; i < len(s); i++ {
			if n := matchRoot(s, i, home); n > 0 {
				b.WriteString(s[last:i])
				b.WriteByte('~')
				last = i + n
				i += n - 1
			}
		}
		if last == 0 {
			return s
		}
		b.WriteString(s[last:])
		s = b.String()
	}
}

// replaceWord replaces word, compared without case, wherever it stands as a
// word, by mark, skipping the placeholders this package writes.
func replaceWord(s, word, mark string) string {
	if word == "" {
		return s
	}
	n := len(word)
	var b strings.Builder
	last := 0
	for i := 0; i+n <= len(s); i++ {
		if s[i] == '<' {
			if m := markAt(s, i); m > 0 {
				i += m - 1
				continue
			}
		}
		if (i > 0 && isWord(s[i-1])) || (i+n < len(s) && isWord(s[i+n])) || !strings.EqualFold(s[i:i+n], word) {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(mark)
		last = i + n
		i += n - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// replaceSecrets replaces every occurrence of each secret (longest first) by
// "<redacted>", leaving the placeholders this package writes as they are.
func replaceSecrets(s string, secrets []string) string {
	for _, secret := range secrets {
		var b strings.Builder
		last := 0
		for p := 0; ; {
			k := strings.Index(s[p:], secret)
			if k < 0 {
				break
			}
			k += p
			if end := markAround(s, k); end > 0 {
				p = end
				continue
			}
			b.WriteString(s[last:k])
			b.WriteString(redactedMark)
			last = k + len(secret)
			p = last
		}
		if last > 0 {
			b.WriteString(s[last:])
			s = b.String()
		}
	}
	return s
}

// markAround returns where the placeholder that holds s[k] ends, or 0 when
// s[k] is in none.
func markAround(s string, k int) int {
	for j := k; j >= 0 && k-j < len(redactedMark); j-- {
		if s[j] == '<' {
			if n := markAt(s, j); n > 0 && j+n > k {
				return j + n
			}
		}
	}
	return 0
}

// removePrivateKeys replaces each PEM private-key block, from its BEGIN line
// to its END line or, when that is missing, to the end of s, by
// "<redacted>".
func removePrivateKeys(s string) string {
	const begin, end, tail = "-----BEGIN ", "-----END ", "PRIVATE KEY-----"
	var b strings.Builder
	last, from := 0, 0
	for {
		i := strings.Index(s[from:], begin)
		if i < 0 {
			break
		}
		i += from
		label := i + len(begin)
		// The label is upper-case words ("RSA PRIVATE KEY", "ENCRYPTED
		// PRIVATE KEY", "OPENSSH PRIVATE KEY").
		j := label
		for j < len(s) && j-label < 64 && (s[j] >= 'A' && s[j] <= 'Z' || isDigit(s[j]) || s[j] == ' ') {
			j++
		}
		if !strings.HasSuffix(s[label:j], "PRIVATE KEY") || !strings.HasPrefix(s[j:], "-----") {
			from = label
			continue
		}
		stop := len(s)
		if k := strings.Index(s[j:], end); k >= 0 {
			if t := strings.Index(s[j+k:], tail); t >= 0 {
				stop = j + k + t + len(tail)
			}
		}
		b.WriteString(s[last:i])
		b.WriteString(redactedMark)
		last, from = stop, stop
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// markAt returns the length of the placeholder at s[i:], or 0.
func markAt(s string, i int) int {
	for _, m := range [...]string{userMark, hostMark, emailMark, ipMark, redactedMark} {
		if strings.HasPrefix(s[i:], m) {
			return len(m)
		}
	}
	return 0
}

// What scan looks for.
const (
	findURL = 1 << iota
	findPath
	findEmail
	findIP
	findToken
	findSecret // credentials: see (*scanner).secret
	findAll    = findURL | findPath | findEmail | findIP | findToken | findSecret
)

// scanner finds the things String removes. Each is tried where a word may
// start; no*, set when a try fails, mark how far no later try inside the
// same run can succeed either, which keeps the scan linear.
type scanner struct {
	s       string
	b       *strings.Builder
	find    int
	noURL   int
	noEmail int
	noToken int
	noPair  int
	noJWT   int
}

// scan writes s to b with what find names replaced.
func scan(s string, find int, b *strings.Builder) {
	sc := scanner{s: s, b: b, find: find}
	for i := 0; i < len(s); {
		if i == 0 || !isWord(s[i-1]) {
			if n := sc.at(i); n > 0 {
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
}

// at tries each finder at s[i:]; it writes the replacement and returns the
// length consumed, or returns 0.
func (sc *scanner) at(i int) int {
	if sc.find&findURL != 0 && i >= sc.noURL {
		if n := sc.url(i); n > 0 {
			return n
		}
	}
	if sc.find&findSecret != 0 {
		if n := sc.secret(i); n > 0 {
			return n
		}
	}
	if sc.find&findPath != 0 {
		if n := sc.path(i); n > 0 {
			return n
		}
	}
	if sc.find&findEmail != 0 && i >= sc.noEmail {
		if n := sc.email(i); n > 0 {
			return n
		}
	}
	if sc.find&findIP != 0 {
		n := ipv4(sc.s, i)
		if n == 0 {
			n = ipv6(sc.s, i)
		}
		if n > 0 {
			sc.b.WriteString(ipMark)
			return n
		}
	}
	if sc.find&findSecret != 0 {
		if n := cardNumber(sc.s, i); n > 0 {
			sc.b.WriteString(redactedMark)
			return n
		}
	}
	if sc.find&findToken != 0 && i >= sc.noToken {
		if n := sc.token(i); n > 0 {
			return n
		}
	}
	return 0
}

func isSchemeChar(c byte) bool { return isAlnum(c) || c == '+' || c == '-' || c == '.' }

func urlStop(c byte) bool {
	return c <= ' ' || c == 0x7f || strings.IndexByte("\"'`<>{}|\\^", c) >= 0
}

func (sc *scanner) url(i int) int {
	s := sc.s
	j := i
	for j < len(s) && isSchemeChar(s[j]) {
		j++
	}
	if j == i || !strings.HasPrefix(s[j:], "://") {
		sc.noURL = j
		return 0
	}
	scheme := s[i:j]
	p := j + len("://")
	e := p
	for e < len(s) && !urlStop(s[e]) {
		e++
	}
	for e > p && strings.IndexByte(".,;:!?)]", s[e-1]) >= 0 {
		e--
	}
	rest := s[p:e]
	sc.b.WriteString(scheme)
	sc.b.WriteString("://")
	if strings.EqualFold(scheme, "file") {
		if k := strings.IndexAny(rest, "?#"); k >= 0 {
			rest = rest[:k]
		}
		sc.writeBase(rest)
		return e - i
	}
	auth, tail := rest, ""
	if k := strings.IndexAny(rest, "/?#"); k >= 0 {
		auth, tail = rest[:k], rest[k:]
	}
	if k := strings.LastIndexByte(auth, '@'); k >= 0 {
		auth = auth[k+1:]
	}
	host, port := auth, ""
	if strings.HasPrefix(auth, "[") {
		if k := strings.IndexByte(auth, ']'); k >= 0 {
			host, port = auth[1:k], auth[k+1:]
		}
	} else if k := strings.LastIndexByte(auth, ':'); k >= 0 && allDigits(auth[k+1:]) {
		host, port = auth[:k], auth[k:]
	}
	if _, err := netip.ParseAddr(host); err == nil {
		sc.b.WriteString(ipMark)
		sc.b.WriteString(port)
	} else {
		scan(auth, findEmail|findIP|findToken|findSecret, sc.b)
	}
	if k := strings.IndexAny(tail, "?#"); k >= 0 {
		tail = tail[:k]
	}
	// A webhook's path is its secret (Slack's hooks.slack.com/services/…,
	// Discord's /api/webhooks/…): it goes from the hook on.
	hook := isHook(host) || strings.Contains(strings.ToLower(host), "discord")
	segs := strings.Split(tail, "/")
	// Segment by segment, so that a token in the path does not take the
	// whole path with it.
	for k, seg := range segs {
		if k > 0 {
			sc.b.WriteByte('/')
		}
		if hook && k > 0 {
			if seg != "" || k < len(segs)-1 {
				sc.b.WriteString(redactedMark)
			}
			break
		}
		scan(seg, findEmail|findIP|findToken|findSecret, sc.b)
		hook = hook || isHook(seg)
	}
	return e - i
}

// isHook reports whether a URL's host or path segment names a (web)hook.
func isHook(s string) bool { return strings.Contains(strings.ToLower(s), "hook") }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func pathStop(c byte) bool {
	return c <= ' ' || c == 0x7f || strings.IndexByte("\"'`<>|?*()[]{},;:=", c) >= 0
}

// path matches an absolute path: /…, \…\…, \\server\…, ~/… (a home that
// replaceRoot found) or a drive path C:\… or C:/….
func (sc *scanner) path(i int) int {
	s := sc.s
	if i > 0 && (isNameChar(s[i-1]) || isSep(s[i-1])) {
		return 0
	}
	var body int
	switch c := s[i]; {
	case isSep(c):
		body = i + 1
	case c == '~' && i+1 < len(s) && isSep(s[i+1]):
		body = i + 2
	case isLetter(c) && i+2 < len(s) && s[i+1] == ':' && isSep(s[i+2]):
		body = i + 3
	default:
		return 0
	}
	e := frameFileEnd(s, i)
	folder := -1 // where a home folder's name ends, if the path is in one
	if e < 0 {
		e = body
		if end, spaced := homeFolder(s, body); end > 0 {
			folder = end
			if spaced {
				e = end
			}
		}
		for e < len(s) && !pathStop(s[e]) {
			e++
		}
		for e > body && s[e-1] == '.' { // the full stop of a sentence
			e--
		}
	}
	if e == body {
		return 0
	}
	p := s[i:e]
	// A lone backslash is more often an escape ("\n") than a path.
	if s[i] == '\\' && !strings.HasPrefix(p, `\\`) && strings.Count(p, `\`)+strings.Count(p, "/") < 2 {
		return 0
	}
	if folder > 0 && i+len(strings.TrimRight(p, `/\`)) <= folder {
		// Someone's home folder itself: its name is the user's.
		sc.b.WriteByte('~')
		return e - i
	}
	sc.writeBase(p)
	return e - i
}

// homeFolder returns where the name of a user's home folder ends when
// s[body:] is the inside of an absolute path in one (home/<name>,
// Users/<name>), or 0. Such a name may hold spaces ("Carol Jones"): spaced
// tells that the name runs over spaces to a separator on the same line.
func homeFolder(s string, body int) (end int, spaced bool) {
	j := body
	for j < len(s) && isSep(s[j]) {
		j++
	}
	switch {
	case hasFoldPrefix(s[j:], "home"):
		j += len("home")
	case hasFoldPrefix(s[j:], "users"):
		j += len("users")
	default:
		return 0, false
	}
	if j >= len(s) || !isSep(s[j]) {
		return 0, false
	}
	for j < len(s) && isSep(s[j]) {
		j++
	}
	start := j
	for j < len(s) && !pathStop(s[j]) && !isSep(s[j]) {
		j++
	}
	if j == start {
		return 0, false
	}
	// Over spaces, up to 64 bytes, to a separator before the line ends.
	for k := j; k < len(s) && k-start <= 64; k++ {
		switch c := s[k]; {
		case isSep(c):
			if strings.TrimRight(s[start:k], " ") != s[start:k] {
				return j, false
			}
			return k, k > j
		case c != ' ' && pathStop(c):
			return j, false
		}
	}
	return j, false
}

// frameFileEnd returns where the file name ends when s[i:] is the file line
// of a Go stack frame, "\t<file>:<line>[ +0x…]", or -1. The frame's shape
// tells where the name ends even when it holds spaces or colons
// ("C:/Program Files/Go/src/runtime/proc.go:283 +0x28").
func frameFileEnd(s string, i int) int {
	if i == 0 || s[i-1] != '\t' || i > 1 && s[i-2] != '\n' {
		return -1
	}
	line := s[i:]
	if k := strings.IndexByte(line, '\n'); k >= 0 {
		line = line[:k]
	}
	line = strings.TrimSuffix(line, "\r")
	if k := strings.LastIndex(line, " +0x"); k >= 0 {
		line = line[:k]
	}
	colon := strings.LastIndexByte(line, ':')
	if colon <= 0 || colon == len(line)-1 || !allDigits(line[colon+1:]) {
		return -1
	}
	for j := 0; j < colon; j++ {
		if line[j] < ' ' || line[j] == 0x7f {
			return -1
		}
	}
	return i + colon
}

// writeBase writes the base name of path p, itself scanned for addresses and
// tokens.
func (sc *scanner) writeBase(p string) {
	q := strings.TrimRight(p, `/\`)
	base := q[strings.LastIndexAny(q, `/\`)+1:]
	if base == "" {
		sc.b.WriteString(p)
		return
	}
	scan(base, findEmail|findIP|findToken, sc.b)
}

func isLocalChar(c byte) bool { return isWord(c) || strings.IndexByte(".%+-", c) >= 0 }

func (sc *scanner) email(i int) int {
	s := sc.s
	j := i
	for j < len(s) && isLocalChar(s[j]) {
		j++
	}
	if j == i || j >= len(s) || s[j] != '@' {
		sc.noEmail = j
		return 0
	}
	k := j + 1
	for k < len(s) && (isAlnum(s[k]) || s[k] >= 0x80 || s[k] == '-' || s[k] == '.') {
		k++
	}
	for k > j+1 && (s[k-1] == '.' || s[k-1] == '-') {
		k--
	}
	if !isDomain(s[j+1 : k]) {
		sc.noEmail = j
		return 0
	}
	sc.b.WriteString(emailMark)
	return k - i
}

// isDomain reports whether d looks like a host name in an e-mail address:
// two labels or more, the last with a letter. This keeps module versions
// ("sys@v0.49.0") out.
func isDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" {
			return false
		}
	}
	tld := labels[len(labels)-1]
	for i := 0; i < len(tld); i++ {
		if isLetter(tld[i]) || tld[i] >= 0x80 {
			return len(tld) >= 2
		}
	}
	return false
}

// ipv4 returns the length of a dotted-quad IPv4 address at s[i:] that is not
// part of a longer dotted number (a version such as 1.2.3.4.5), or 0.
func ipv4(s string, i int) int {
	if i > 0 && s[i-1] == '.' {
		return 0
	}
	j := i
	for part := 0; part < 4; part++ {
		if part > 0 {
			if j >= len(s) || s[j] != '.' {
				return 0
			}
			j++
		}
		start, n := j, 0
		for j < len(s) && j-start < 3 && isDigit(s[j]) {
			n = n*10 + int(s[j]-'0')
			j++
		}
		if j == start || n > 255 {
			return 0
		}
	}
	if j < len(s) && (isWord(s[j]) || s[j] == '.' && j+1 < len(s) && isDigit(s[j+1])) {
		return 0
	}
	return j - i
}

// ipv6 returns the length of an IPv6 address (with an optional zone) at
// s[i:], or 0.
func ipv6(s string, i int) int {
	if !isHex(s[i]) && s[i] != ':' || i > 0 && (s[i-1] == ':' || s[i-1] == '.') {
		return 0
	}
	const maxLen = len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")
	j, colons := i, 0
	for j < len(s) && j-i <= maxLen && (isHex(s[j]) || s[j] == ':' || s[j] == '.') {
		if s[j] == ':' {
			colons++
		}
		j++
	}
	if colons < 2 {
		return 0
	}
	var ends [3]int
	n := 0
	if j < len(s) && s[j] == '%' {
		z := j + 1
		for z < len(s) && z-j <= 32 && (isWord(s[z]) && s[z] < 0x80 || s[z] == '-' || s[z] == '.') {
			z++
		}
		if z > j+1 {
			ends[n], n = z, n+1
		}
	}
	ends[n], n = j, n+1
	if t := len(strings.TrimRight(s[i:j], ":.")); t < j-i {
		ends[n], n = i+t, n+1
	}
	for _, e := range ends[:n] {
		if e < len(s) && isWord(s[e]) {
			continue
		}
		if a, err := netip.ParseAddr(s[i:e]); err == nil && a.Is6() {
			return e - i
		}
	}
	return 0
}

func isB64(c byte) bool { return isAlnum(c) || c == '+' || c == '/' || c == '_' || c == '-' }

// token matches a run of at least 32 base64 characters (and its padding)
// that looksRandom.
func (sc *scanner) token(i int) int {
	s := sc.s
	j := i
	for j < len(s) && isB64(s[j]) {
		j++
	}
	if j-i < 32 || !looksRandom(s[i:j]) {
		sc.noToken = j
		return 0
	}
	for k := 0; k < 2 && j < len(s) && s[j] == '='; k++ {
		j++
	}
	sc.b.WriteString(redactedMark)
	return j - i
}

// looksRandom tells a key, hash or encoded blob from a long identifier or
// relative path: all hex digits (dashes allowed, as in a UUID); or letters
// with digits making up a fifth or more; or at least two of upper case,
// lower case and digits with the class changing at 40% or more of the
// characters, where words change it far less often.
func looksRandom(t string) bool {
	var upper, lower, digit, hex, dash, changes int
	prev := -1
	for i := 0; i < len(t); i++ {
		c := t[i]
		class := 3
		switch {
		case c >= 'A' && c <= 'Z':
			upper, class = upper+1, 0
		case c >= 'a' && c <= 'z':
			lower, class = lower+1, 1
		case isDigit(c):
			digit, class = digit+1, 2
		case c == '-':
			dash++
		}
		if isHex(c) {
			hex++
		}
		if prev >= 0 && class != prev {
			changes++
		}
		prev = class
	}
	if hex >= 32 && hex+dash == len(t) {
		return true
	}
	if upper+lower > 0 && digit*5 >= len(t) {
		return true
	}
	kinds := 0
	for _, n := range [...]int{upper, lower, digit} {
		if n > 0 {
			kinds++
		}
	}
	return kinds >= 2 && changes*5 >= len(t)*2
}

// secretKeys are the parts of a key that make its value a secret in a
// key=value or key: value pair, lower case.
var secretKeys = [...]string{"password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key",
	"accesskey", "access_key", "access-key", "privatekey", "private_key", "private-key", "credential", "auth", "cookie"}

// awsKeyPrefixes start AWS access key ids (AKIA…) and other AWS unique ids.
var awsKeyPrefixes = [...]string{"AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"}

func isKeyChar(c byte) bool          { return isAlnum(c) || c == '_' || c == '-' }
func isB64URL(c byte) bool           { return isAlnum(c) || c == '_' || c == '-' }
func isCredChar(c byte) bool         { return isAlnum(c) || strings.IndexByte("._~+/=-", c) >= 0 }
func isBlank(c byte) bool            { return c == ' ' || c == '\t' }
func valueStop(c byte) bool          { return c <= ' ' || c == 0x7f || strings.IndexByte(",;&)]}\"'<>", c) >= 0 }
func hasFoldPrefix(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }

// secret matches a credential at s[i:] and writes it with the secret part
// replaced: the value after "Bearer " or "Basic " (8 characters or more), a
// key=value or key: value pair whose key names a secret (the value quoted
// or up to white space or punctuation), a JSON Web Token, or an AWS key id.
func (sc *scanner) secret(i int) int {
	s := sc.s
	for _, scheme := range [...]string{"bearer", "basic"} {
		if !hasFoldPrefix(s[i:], scheme) {
			continue
		}
		j := i + len(scheme)
		k := j
		for k < len(s) && isBlank(s[k]) {
			k++
		}
		e := k
		for e < len(s) && isCredChar(s[e]) {
			e++
		}
		if k > j && e-k >= 8 && (e == len(s) || !isWord(s[e])) {
			sc.b.WriteString(s[i:k])
			sc.b.WriteString(redactedMark)
			return e - i
		}
	}
	if n := sc.jwt(i); n > 0 {
		sc.b.WriteString(redactedMark)
		return n
	}
	if n := awsKey(s, i); n > 0 {
		sc.b.WriteString(redactedMark)
		return n
	}
	return sc.pair(i)
}

// pair matches key=value or key: value (also "key": "value") where the key
// names a secret, and writes the key with the value replaced.
func (sc *scanner) pair(i int) int {
	s := sc.s
	if i < sc.noPair {
		return 0
	}
	j := i
	for j < len(s) && isKeyChar(s[j]) {
		j++
	}
	key := strings.ToLower(s[i:j])
	named := false
	for _, k := range secretKeys {
		if strings.Contains(key, k) {
			named = true
			break
		}
	}
	if !named {
		sc.noPair = j
		return 0
	}
	k := j
	if k < len(s) && (s[k] == '"' || s[k] == '\'') {
		k++
	}
	for k < len(s) && isBlank(s[k]) {
		k++
	}
	if k >= len(s) || (s[k] != '=' && s[k] != ':') || strings.HasPrefix(s[k:], "://") {
		sc.noPair = j
		return 0
	}
	k++
	for k < len(s) && isBlank(s[k]) {
		k++
	}
	v, e := k, k
	if e < len(s) && (s[e] == '"' || s[e] == '\'') {
		q := s[e]
		e++
		for e < len(s) && s[e] != q && s[e] != '\n' && e-v < 1024 {
			if s[e] == '\\' && e+1 < len(s) {
				e++
			}
			e++
		}
		if e < len(s) && s[e] == q {
			e++
		}
	} else {
		for e < len(s) && !valueStop(s[e]) {
			e++
		}
	}
	if e == v {
		sc.noPair = j
		return 0
	}
	if hasFoldPrefix(s[v:], "bearer ") || hasFoldPrefix(s[v:], "basic ") {
		// "Authorization: Bearer …": the scheme stays, its value goes.
		sc.b.WriteString(s[i:v])
		return v - i
	}
	sc.b.WriteString(s[i:v])
	if s[v] == '"' || s[v] == '\'' {
		sc.b.WriteByte(s[v])
		sc.b.WriteString(redactedMark)
		if e-1 > v && s[e-1] == s[v] {
			sc.b.WriteByte(s[v])
		}
	} else {
		sc.b.WriteString(redactedMark)
	}
	return e - i
}

// jwt matches a JSON Web Token: "eyJ…" and one or two more dot-separated
// base64url parts.
func (sc *scanner) jwt(i int) int {
	s := sc.s
	if i < sc.noJWT || !strings.HasPrefix(s[i:], "eyJ") {
		return 0
	}
	j := i
	for j < len(s) && isB64URL(s[j]) {
		j++
	}
	if j-i < 8 || j >= len(s) || s[j] != '.' {
		sc.noJWT = j
		return 0
	}
	k := j + 1
	for k < len(s) && isB64URL(s[k]) {
		k++
	}
	if k-j-1 < 4 {
		sc.noJWT = j
		return 0
	}
	if k < len(s) && s[k] == '.' {
		k++
		for k < len(s) && isB64URL(s[k]) {
			k++
		}
	}
	return k - i
}

// awsKey returns the length of an AWS access key id at s[i:] (a known
// four-letter prefix and 16 upper-case letters or digits), or 0.
func awsKey(s string, i int) int {
	const n = 20
	if len(s)-i < n || (i+n < len(s) && isWord(s[i+n])) {
		return 0
	}
	prefix := false
	for _, p := range awsKeyPrefixes {
		if strings.HasPrefix(s[i:], p) {
			prefix = true
			break
		}
	}
	if !prefix {
		return 0
	}
	for k := i + 4; k < i+n; k++ {
		if !(s[k] >= 'A' && s[k] <= 'Z' || isDigit(s[k])) {
			return 0
		}
	}
	return n
}

// cardNumber returns the length of a payment card number at s[i:]: 13 to 19
// digits, single spaces or dashes allowed between them, passing the Luhn
// check, and not part of a longer number; or 0.
func cardNumber(s string, i int) int {
	if !isDigit(s[i]) || i > 0 && (s[i-1] == '.' || s[i-1] == '-') {
		return 0
	}
	var digits [20]byte
	n, j, end := 0, i, i
	for j < len(s) && n < len(digits) {
		if isDigit(s[j]) {
			digits[n] = s[j] - '0'
			n++
			j++
			end = j
			continue
		}
		if (s[j] == ' ' || s[j] == '-') && j+1 < len(s) && isDigit(s[j+1]) && j > i {
			j++
			continue
		}
		break
	}
	if n < 13 || n > 19 || end < len(s) && (isWord(s[end]) || s[end] == '.' && end+1 < len(s) && isDigit(s[end+1])) {
		return 0
	}
	sum := 0
	for k := 0; k < n; k++ {
		d := int(digits[n-1-k])
		if k%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	if sum%10 != 0 {
		return 0
	}
	return end - i
}

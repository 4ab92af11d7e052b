package scrub

import (
	"net/netip"
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
	emailMark     = "<email>"
	ipMark        = "<ip>"
	redactedMark  = "<redacted>"
	truncatedMark = "\n<truncated>"
)

// Scrubber removes personal data from error reports. It is safe for
// concurrent use.
type Scrubber struct {
	home, user, moduleRoot string
}

// New returns a Scrubber for the given home directory, user name and module
// root, which the caller reads once (for example from os.UserHomeDir,
// os/user and the build). Any of them may be empty. A home or module root
// that is not absolute, or is a file-system root such as "/" or `C:\`, is
// ignored, as is a module root that is the home directory or above it (it
// would turn every home path into a relative one). A user name is trimmed of
// leading and trailing punctuation, and ignored if shorter than two bytes.
func New(home, user, moduleRoot string) *Scrubber {
	s := &Scrubber{home: cleanRoot(home), moduleRoot: cleanRoot(moduleRoot)}
	s.user = strings.TrimFunc(strings.TrimSpace(user), func(r rune) bool {
		return r < 0x80 && !isWord(byte(r))
	})
	if len(s.user) < 2 {
		s.user = ""
	}
	if s.home != "" && s.moduleRoot != "" && hasRoot(s.home, s.moduleRoot) {
		s.moduleRoot = ""
	}
	return s
}

// String returns in scrubbed, at most MaxLen bytes long (a longer result is
// cut at a word boundary and ends in "\n<truncated>"; input beyond 64 KiB is
// not looked at). In order:
//
//   - paths in the module root become module-relative
//     ("/home/bob/src/acme/internal/x.go:12" → "internal/x.go:12");
//   - other absolute paths, Unix or Windows, with either separator and
//     including those under the home directory, keep only their base name
//     ("/opt/build/x/foo.go:12" → "foo.go:12", `C:\Users\bob\x.txt` →
//     "x.txt"); the home directory alone becomes "~";
//   - URLs lose their userinfo, query and fragment, and an IP host
//     ("https://u:p@10.0.0.1/a?t=1" → "https://<ip>/a"); a file URL keeps
//     only its base name;
//   - e-mail addresses become "<email>", IPv4 and IPv6 addresses "<ip>";
//   - runs of 32 or more characters from the base64 (or URL-safe base64)
//     alphabet that look random (all hex, or a mix of letters and digits
//     that changes character class often) become "<redacted>";
//   - whatever still spells the home directory becomes "~", compared without
//     case and with / and \ alike;
//   - the user name, without case, wherever it stands as a word or path
//     element, becomes "<user>".
//
// Function names, file:line of base names and goroutine headers of a Go
// stack trace are left as they are; on a frame's file line ("\t<file>:<n>")
// the whole file name goes, even when it holds spaces ("C:/Program Files/…").
// Elsewhere a path ends at white space, so the part of a path after a space
// may remain, relative and without the home directory or user name.
func (s *Scrubber) String(in string) string {
	text := cut(in, maxInput, "")
	text = replaceRoot(text, s.moduleRoot, true)
	text = replaceRoot(text, s.home, false)
	var b strings.Builder
	b.Grow(len(text))
	scan(text, findAll, &b)
	text = b.String()
	// Neither step can bring back what the other removed; the check that
	// a further round changes nothing is cheap insurance.
	for range 3 {
		next := replaceUser(removeHome(text, s.home), s.user)
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

// replaceUser replaces user, compared without case, wherever it stands as a
// word, skipping the placeholders this package writes.
func replaceUser(s, user string) string {
	if user == "" {
		return s
	}
	n := len(user)
	var b strings.Builder
	last := 0
	for i := 0; i+n <= len(s); i++ {
		if s[i] == '<' {
			if m := markAt(s, i); m > 0 {
				i += m - 1
				continue
			}
		}
		if (i > 0 && isWord(s[i-1])) || (i+n < len(s) && isWord(s[i+n])) || !strings.EqualFold(s[i:i+n], user) {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(userMark)
		last = i + n
		i += n - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// markAt returns the length of the placeholder at s[i:], or 0.
func markAt(s string, i int) int {
	for _, m := range [...]string{userMark, emailMark, ipMark, redactedMark} {
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
	findAll = findURL | findPath | findEmail | findIP | findToken
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
		scan(auth, findEmail|findIP|findToken, sc.b)
	}
	if k := strings.IndexAny(tail, "?#"); k >= 0 {
		tail = tail[:k]
	}
	// Segment by segment, so that a token in the path does not take the
	// whole path with it.
	for k, seg := range strings.Split(tail, "/") {
		if k > 0 {
			sc.b.WriteByte('/')
		}
		scan(seg, findEmail|findIP|findToken, sc.b)
	}
	return e - i
}

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
	if e < 0 {
		e = body
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
	sc.writeBase(p)
	return e - i
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

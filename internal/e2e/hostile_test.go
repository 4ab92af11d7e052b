package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// The black-box proof that the user's disk and the network are
// hostile ground, and nothing found there may hang, crash, slow or hijack
// the host program, nor make Waymark touch anything it did not make. This
// file holds the portable pieces (a relative state dir, a forged uploader
// variable, a hostile manifest, a hostile reason phrase);
// hostile_linux_test.go holds those that need FIFOs, mounts, flock(2),
// inotify or another user, upgrade_test.go the adoption of old state dirs,
// and bench/cmd/spoolcost the cost of a 100 000-entry spool.

const deployed = "Deployed.\n"

// lingerLimit is how long after the last run a Waymark process may live.
const lingerLimit = 15 * time.Second

var binSeq atomic.Int32

// hostileBin names a privateAcme copy uniquely within its first 15 bytes,
// the command name procsOf matches zombies by, so that one test's processes
// are never mistaken for another's.
func hostileBin() string {
	return fmt.Sprintf("acme-i8-%03d", binSeq.Add(1))
}

// runWithin runs cmd and kills it if it has not exited within limit. Unlike
// Install.Run, a hang is a result here (hung), not the end of the test, so
// a test can say which file made it hang.
func runWithin(t *testing.T, cmd *exec.Cmd, limit time.Duration) (r Result, hung bool) {
	t.Helper()
	var so, se bytes.Buffer
	var start time.Time
	for attempt := 0; ; attempt++ {
		// A fresh copy of the binary can be "busy" for a moment: a process
		// forked elsewhere in this test binary while the copy was being
		// written holds its descriptor until it execs (golang/go#22315).
		c := exec.Command(cmd.Path, cmd.Args[1:]...)
		c.Env, c.Dir, c.SysProcAttr = cmd.Env, cmd.Dir, cmd.SysProcAttr
		c.Stdout, c.Stderr = &so, &se
		// A grandchild that kept our pipes open must not hold Wait either.
		c.WaitDelay = 2 * time.Second
		start = time.Now()
		err := c.Start()
		if errors.Is(err, syscall.ETXTBSY) && attempt < 50 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		cmd = c
		break
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(limit):
		hung = true
		cmd.Process.Kill()
		select {
		case err = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%v: not reaped 5 s after SIGKILL", cmd.Args)
		}
	}
	r = Result{Stdout: so.String(), Stderr: se.String(), Elapsed: time.Since(start)}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return r, hung
}

// hostRun runs a host command (acme hello or deploy) with bin in in's
// environment and holds it to the host contract: exit 0, stdout exactly
// want, nothing on stderr, within limit.
func hostRun(t *testing.T, in *Install, bin string, env []string, limit time.Duration, want string, args ...string) Result {
	t.Helper()
	r, hung := runWithin(t, in.Cmd(bin, env, args...), limit)
	if hung {
		t.Fatalf("acme %s (env %q) did not exit within %v (killed); stdout %q, stderr %q", strings.Join(args, " "), env, limit, r.Stdout, r.Stderr)
	}
	if r.Code != 0 || r.Stdout != want || r.Stderr != "" {
		t.Fatalf("acme %s (env %q): exit %d, stdout %q, stderr %q; want exit 0, stdout %q, no stderr",
			strings.Join(args, " "), env, r.Code, r.Stdout, r.Stderr, want)
	}
	return r
}

// telemetryRun runs `acme telemetry ARGS` with bin, which may refuse (any
// exit code) but must answer within limit.
func telemetryRun(t *testing.T, in *Install, bin string, env []string, limit time.Duration, args ...string) Result {
	t.Helper()
	r, hung := runWithin(t, in.Cmd(bin, env, append([]string{"telemetry"}, args...)...), limit)
	if hung {
		t.Fatalf("acme telemetry %s (env %q) did not answer within %v (killed); stdout %q, stderr %q", strings.Join(args, " "), env, limit, r.Stdout, r.Stderr)
	}
	return r
}

// requireNoneLeft fails if a process of bin (a privateAcme copy, so the
// uploaders it started are told apart from other tests') is still alive, or
// a zombie, lingerLimit after last.
func requireNoneLeft(t *testing.T, bin string, last time.Time) {
	t.Helper()
	var left []string
	for {
		if left = procsOf(bin); len(left) == 0 {
			return
		}
		if time.Since(last) > lingerLimit {
			t.Fatalf("%v after the last run, processes of %s remain: %v", lingerLimit, filepath.Base(bin), left)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitIdle waits (at most lingerLimit) until no process of bin runs: the
// uploader a run started has done whatever it was going to do.
func waitIdle(t *testing.T, bin string) {
	t.Helper()
	requireNoneLeft(t, bin, time.Now())
}

// brief is the part of a status worth printing in a failure.
func brief(st map[string]any) string {
	var b strings.Builder
	for _, k := range []string{"mode", "rule", "reason", "device_id", "pending", "milestones", "last_error", "delivery", "warnings"} {
		fmt.Fprintf(&b, "%s=%v; ", k, st[k])
	}
	return b.String()
}

// hashOf is the SHA-256 of a file's content, for "unchanged" checks.
func hashOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// entryState is one entry of a snapshot: what Lstat says, the link target
// and the content hash of a regular file.
type entryState struct {
	Mode  os.FileMode
	Size  int64
	MTime time.Time
	Link  string
	Hash  string
}

func (e entryState) String() string {
	return fmt.Sprintf("%v size %d mtime %s link %q sha256 %.12s", e.Mode, e.Size, e.MTime.Format(time.RFC3339Nano), e.Link, e.Hash)
}

// snapshot records every entry under dir without following any symlink.
// It reads regular files, so take it outside any watch of dir.
func snapshot(t *testing.T, dir string) map[string]entryState {
	t.Helper()
	out := map[string]entryState{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		e := entryState{Mode: fi.Mode(), Size: fi.Size(), MTime: fi.ModTime()}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			e.Link, _ = os.Readlink(p)
		case fi.Mode().IsRegular():
			e.Hash = hashOf(t, p)
		}
		if fi.IsDir() {
			e.Size, e.MTime = 0, time.Time{} // a listing is not a change
		}
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", dir, err)
	}
	return out
}

// diffSnapshots lists what changed between two snapshots.
func diffSnapshots(before, after map[string]entryState) []string {
	var out []string
	for k, b := range before {
		a, ok := after[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: deleted (was %v)", k, b))
		case a != b:
			out = append(out, fmt.Sprintf("%s: changed from %v to %v", k, b, a))
		}
	}
	for k, a := range after {
		if _, ok := before[k]; !ok {
			out = append(out, fmt.Sprintf("%s: created (%v)", k, a))
		}
	}
	sort.Strings(out)
	return out
}

// writeFiles creates files (relative path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string, perm os.FileMode) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), perm); err != nil {
			t.Fatal(err)
		}
	}
}

// badRune reports a rune that must never reach a terminal from text that
// came off the network or the disk: C0 and C1 controls (ESC, BEL, CR...),
// DEL, bidirectional overrides and isolates, and invalid UTF-8. allowLF
// admits the newline and tab that separate lines of the text status.
func badRune(r rune, allowLF bool) bool {
	switch {
	case allowLF && (r == '\n' || r == '\t'):
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, r == utf8.RuneError:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// badRunes returns the unprintable runes of s, quoted.
func badRunes(s string, allowLF bool) []string {
	var out []string
	for _, r := range s {
		if badRune(r, allowLF) {
			out = append(out, fmt.Sprintf("%U", r))
		}
	}
	return out
}

// jsonStrings calls f with the path and value of every string (keys
// included) in a decoded JSON value.
func jsonStrings(v any, path string, f func(path, s string)) {
	switch x := v.(type) {
	case string:
		f(path, x)
	case []any:
		for i, e := range x {
			jsonStrings(e, fmt.Sprintf("%s[%d]", path, i), f)
		}
	case map[string]any:
		for k, e := range x {
			f(path+"{key}", k)
			jsonStrings(e, path+"."+k, f)
		}
	}
}

// ACME_TELEMETRY_DIR relative to the working directory of
// the run. The state dir is made absolute once, so the detached uploader
// (which runs elsewhere) drains the same spool: first_run arrives under the
// installation id that status shows, nothing stays pending, and nothing is
// written outside that folder, in HOME or relative to the uploader's
// working directory.
func TestRelativeStateDirIsOneFolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stray-folder check assumes the uploader's unix working directory, /")
	}
	t.Parallel()
	col := newCollector(t)
	in := newInstall(t, col.URL)
	bin := privateAcme(t, hostileBin())
	top := fmt.Sprintf("waymark-e2e-rel-%d", time.Now().UnixNano())
	rel := filepath.Join(top, "state")
	// Where an uploader that resolved the relative path from its own working
	// directory (/ for 0.1.0) would have written.
	stray := filepath.Join("/", top)
	t.Cleanup(func() { os.RemoveAll(stray) })
	in.Env = []string{"ACME_TELEMETRY_DIR=" + rel} // every run's working directory is in.Home
	abs := filepath.Join(in.Home, rel)

	hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
	last := time.Now()
	st := statusJSON(t, in, nil)
	if got, _ := st["state_dir"].(string); !samePath(got, abs) {
		t.Errorf("status state_dir %v, want %s (the relative dir made absolute against the run's working directory)", st["state_dir"], abs)
	}
	id, _ := st["device_id"].(string)
	if !uuidV4.MatchString(id) {
		t.Fatalf("status device_id %v after a first run, want a UUIDv4: %v", st["device_id"], st)
	}
	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) > 0 }) {
		t.Errorf("first_run never arrived: the uploader did not drain %s; status %v", abs, brief(statusJSON(t, in, nil)))
	} else if got := col.Named("waymark.milestone")[0].Resource["app.installation.id"]; got != id {
		t.Errorf("milestone carries app.installation.id %q, want %q from %s", got, id, abs)
	}
	if st, ok := waitStatus(t, in, 10*time.Second, func(st map[string]any) bool { return nothingPending(st) }); !ok {
		t.Errorf("events still pending in %s: %s", abs, brief(st))
	}
	requireNoneLeft(t, bin, last)
	if _, err := os.Lstat(stray); err == nil {
		t.Errorf("%s exists: a process resolved the relative state dir against / (its files: %v)", stray, files(t, stray))
	}
	for _, f := range files(t, in.Home) {
		if f != top && f != rel && !strings.HasPrefix(f, rel+string(filepath.Separator)) {
			t.Errorf("written outside the state dir %s: %s", rel, f)
		}
	}
	if fs := files(t, abs); len(fs) == 0 {
		t.Errorf("nothing in the state dir %s", abs)
	}
}

// samePath reports whether a and b name the same absolute path once
// symlinks in them are resolved (os.Getwd may give the physical path).
func samePath(a, b string) bool {
	if !filepath.IsAbs(a) || !filepath.IsAbs(b) {
		return false
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// WAYMARK_UPLOAD_CHILD in the environment, set to the
// product or anything else, never turns a host run into an uploader: `acme
// deploy` deploys (exit 0, "Deployed.", nothing on stderr) and records its
// milestone as any host run would; with DO_NOT_TRACK=1 it still deploys and
// nothing is sent.
func TestForgedUploadChildStillDeploys(t *testing.T) {
	values := []string{
		"acme", "ACME", "acme ", "acmectl", "1", "true", "yes", "",
		"acme:" + strings.Repeat("0", 32),
		"acme:" + strings.Repeat("a", 64),
		strings.Repeat("f", 64),
		"acme/" + "0123456789abcdef0123456789abcdef",
	}
	for _, v := range values {
		t.Run(fmt.Sprintf("%q", v), func(t *testing.T) {
			t.Parallel()
			col := newCollector(t)
			in := newInstall(t, col.URL)
			bin := privateAcme(t, hostileBin())
			env := []string{"WAYMARK_UPLOAD_CHILD=" + v}
			hostRun(t, in, bin, env, 30*time.Second, deployed, "deploy")
			hostRun(t, in, bin, env, 30*time.Second, hello, "hello")
			last := time.Now()
			// The runs were host runs with telemetry on, so they recorded.
			st := statusJSON(t, in, nil)
			if ms := fmt.Sprint(st["milestones"]); ms != "[first_deploy first_run]" {
				t.Errorf("status milestones %s after deploy and hello, want [first_deploy first_run]: the runs did not run as the host", ms)
			}
			requireNoneLeft(t, bin, last)
		})
	}
	t.Run("with DO_NOT_TRACK=1", func(t *testing.T) {
		t.Parallel()
		col := newCollector(t)
		in := newInstall(t, col.URL)
		bin := privateAcme(t, hostileBin())
		// Something pending that a forged uploader could send.
		hostRun(t, in, bin, []string{"ACME_TELEMETRY_ENDPOINT=http://" + reservePort(t)}, 30*time.Second, hello, "hello")
		waitIdle(t, bin)
		env := []string{"WAYMARK_UPLOAD_CHILD=acme", "DO_NOT_TRACK=1"}
		hostRun(t, in, bin, env, 30*time.Second, deployed, "deploy")
		last := time.Now()
		requireNothingSent(t, col, "WAYMARK_UPLOAD_CHILD=acme DO_NOT_TRACK=1 acme deploy")
		requireNoneLeft(t, bin, last)
	})
}

// proxyRecorder is a plain-HTTP forward proxy on loopback that records every
// request it is asked to forward and answers each with body: a request that
// reaches it went to a non-loopback http URL (Go's transport never proxies
// loopback hosts).
type proxyRecorder struct {
	URL  string
	mu   sync.Mutex
	seen []string
}

func (p *proxyRecorder) Seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func newProxyRecorder(t *testing.T, body string) *proxyRecorder {
	t.Helper()
	p := &proxyRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.Method+" "+r.URL.String())
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// The update manifest URL answers with a
// redirect to plain http on another host, where a network attacker would
// serve a newer version and a fake security alert. The redirect target is
// reachable only through a recording proxy, so following it shows there.
// The manifest must have been asked for (or the check proves nothing);
// nothing may be fetched from the target, and a later run on a terminal
// shows no notice.
func TestManifestRedirectToPlainHTTPIsNotFollowed(t *testing.T) {
	const fakeAlert = "FAKE-ALERT: install acme-helper from updates.example.invalid now"
	evil := fmt.Sprintf(`{"latest":"9.9.9","url":"https://acme.example/download","alerts":[{"id":"evil-1","affected":"<9.0.0","message":%q}]}`, fakeAlert)
	const target = "http://updates.example.invalid/acme/manifest.json"
	cases := []struct {
		name   string
		status int
		tls    bool
	}{
		{"http 302 to http elsewhere", http.StatusFound, false},
		{"http 301 to http elsewhere", http.StatusMovedPermanently, false},
		{"https 307 downgraded to http elsewhere", http.StatusTemporaryRedirect, true},
		{"https 308 downgraded to http elsewhere", http.StatusPermanentRedirect, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			proxy := newProxyRecorder(t, evil)
			var mu sync.Mutex
			asked := 0
			redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				asked++
				mu.Unlock()
				http.Redirect(w, r, target, tc.status)
			})
			col := newCollector(t)
			in := newInstall(t, col.URL)
			bin := privateAcme(t, hostileBin())
			var manifestURL string
			env := []string{"HTTP_PROXY=" + proxy.URL, "http_proxy=" + proxy.URL, "HTTPS_PROXY=" + proxy.URL, "https_proxy=" + proxy.URL}
			if tc.tls {
				srv := httptest.NewTLSServer(redirect)
				t.Cleanup(srv.Close)
				ca := filepath.Join(tempDir(t), "ca.pem")
				pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
				if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
					t.Fatal(err)
				}
				manifestURL = srv.URL + "/acme/manifest.json"
				env = append(env, "SSL_CERT_FILE="+ca)
			} else {
				srv := httptest.NewServer(redirect)
				t.Cleanup(srv.Close)
				manifestURL = srv.URL + "/acme/manifest.json"
			}
			in.Env = append(env, "ACME_TELEMETRY_UPDATE_URL="+manifestURL)

			hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
			if !col.WaitFor(20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return asked > 0 }) {
				t.Fatalf("the manifest at %s was never asked for within 20 s: the check would prove nothing", manifestURL)
			}
			waitIdle(t, bin) // the uploader has finished its update check
			if seen := proxy.Seen(); len(seen) > 0 {
				t.Errorf("the redirect to %s was followed: the proxy was asked for %v", target, seen)
			}
			out, _ := runTTY(t, in.Cmd(bin, nil, "hello"), "", "")
			if strings.Contains(out, "9.9.9") || strings.Contains(out, "FAKE-ALERT") {
				t.Errorf("a run on a terminal shows what the redirect target served:\n%s", out)
			}
			requireNoneLeft(t, bin, time.Now())
		})
	}
}

// evilPhrase is an HTTP reason phrase that repaints the terminal, rings its
// bell, sets its title and reverses the text after it.
const evilPhrase = "Service \x1b[31mUnavailable\x1b[0m\x07 \x1b]0;pwned\x07 \u202eexe.txt \x1b[2J"

// serveEvilStatus answers one HTTP request (or CONNECT) read from c with
// status and evilPhrase as its reason phrase.
func serveEvilStatus(c net.Conn, status int) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return
	}
	io.Copy(io.Discard, io.LimitReader(req.Body, 8<<20))
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status, evilPhrase)
}

// A delivery fails with a status line
// whose reason phrase holds escape sequences, BEL and U+202E, from the
// endpoint itself or from the proxy in front of it (an https endpoint
// reached through HTTPS_PROXY, whose CONNECT is refused). Once the failure
// is recorded, `telemetry status` and `status --json` show it in
// top-level last_error, and neither holds a control or bidi character.
func TestReasonPhraseIsPrintedSafely(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(t *testing.T, raw *rawEndpoint) (endpoint string, env []string)
		status int
		who    string
	}{
		{"endpoint 503", func(t *testing.T, raw *rawEndpoint) (string, []string) {
			return raw.URL, nil
		}, http.StatusServiceUnavailable, "endpoint"},
		{"proxy refuses CONNECT", func(t *testing.T, raw *rawEndpoint) (string, []string) {
			return "https://telemetry.example.invalid", []string{"HTTPS_PROXY=" + raw.URL, "https_proxy=" + raw.URL}
		}, http.StatusForbidden, "proxy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := newRawEndpoint(t, func(c net.Conn) { serveEvilStatus(c, tc.status) })
			endpoint, env := tc.setup(t, raw)
			in := newInstall(t, endpoint)
			in.Env = env
			bin := privateAcme(t, hostileBin())
			hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
			st, ok := waitStatus(t, in, 20*time.Second, func(st map[string]any) bool {
				return raw.Accepted() > 0 && (st["last_error"] != nil || num(st, "delivery.failures") >= 1)
			})
			if !ok {
				t.Fatalf("no delivery failure recorded within 20 s (%s contacted %d times): %v", tc.who, raw.Accepted(), st)
			}
			waitIdle(t, bin)
			rawJSON := in.MustRun(nil, "telemetry", "status", "--json").Stdout
			var full map[string]any
			if err := json.Unmarshal([]byte(rawJSON), &full); err != nil {
				t.Fatalf("status --json: %v\n%s", err, rawJSON)
			}
			le, present := full["last_error"]
			if !present {
				t.Errorf("status --json has no top-level last_error key")
			} else if s, _ := le.(string); s == "" {
				t.Errorf("status --json last_error is %v after a failed delivery, want the failure as text", le)
			}
			jsonStrings(full, "", func(path, s string) {
				if bad := badRunes(s, false); len(bad) > 0 {
					t.Errorf("status --json %s holds unprintable %v: %q", path, bad, s)
				}
			})
			text := in.MustRun(nil, "telemetry", "status")
			if bad := badRunes(text.Stdout+text.Stderr, true); len(bad) > 0 {
				t.Errorf("telemetry status prints unprintable %v:\n%q", bad, text.Stdout+text.Stderr)
			}
			requireNoneLeft(t, bin, time.Now())
		})
	}
}

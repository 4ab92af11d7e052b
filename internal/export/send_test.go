package export

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// captured is one request as a test server saw it.
type captured struct {
	Method, Path string
	Header       http.Header
	Body         []byte // decompressed
	GzipErr      error
}

// recorder is an OTLP/HTTP stand-in that records requests and answers with
// a fixed status.
type recorder struct {
	mu     sync.Mutex
	reqs   []captured
	status int
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := captured{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
	zr, err := gzip.NewReader(r.Body)
	if err == nil {
		c.Body, err = io.ReadAll(zr)
	}
	c.GzipErr = err
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, c)
	status := rec.status
	rec.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
}

func (rec *recorder) requests() []captured {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]captured(nil), rec.reqs...)
}

func newSender(t *testing.T, endpoint string, timeout time.Duration) *Sender {
	t.Helper()
	s, err := NewSender(endpoint, false, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendDeliversGzippedProtobuf(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	for _, tc := range []struct {
		base string
		sig  Signal
		path string
	}{
		{srv.URL, Logs, "/v1/logs"},
		{srv.URL + "/", Metrics, "/v1/metrics"},
		{srv.URL + "/otlp/", Logs, "/otlp/v1/logs"},
	} {
		body := []byte("\x0a\x03abc payload " + tc.path)
		if err := newSender(t, tc.base, time.Second).Send(context.Background(), tc.sig, body); err != nil {
			t.Fatalf("%s: %v", tc.base, err)
		}
		reqs := rec.requests()
		c := reqs[len(reqs)-1]
		if c.Method != http.MethodPost || c.Path != tc.path {
			t.Errorf("%s %s, want POST %s", c.Method, c.Path, tc.path)
		}
		if c.GzipErr != nil || !bytes.Equal(c.Body, body) {
			t.Errorf("body %q (gzip: %v), want %q", c.Body, c.GzipErr, body)
		}
		if got := c.Header.Get("Content-Type"); got != "application/x-protobuf" {
			t.Errorf("Content-Type %q", got)
		}
		if got := c.Header.Get("Content-Encoding"); got != "gzip" {
			t.Errorf("Content-Encoding %q", got)
		}
		ua := c.Header.Get("User-Agent")
		if !regexp.MustCompile(`^waymark/[0-9A-Za-z.+-]+$`).MatchString(ua) {
			t.Errorf("User-Agent %q, want waymark/<version> and nothing else", ua)
		}
		host, _ := os.Hostname()
		for k, vs := range c.Header {
			for _, v := range vs {
				if host != "" && strings.Contains(v, host) {
					t.Errorf("header %s carries the host name: %q", k, v)
				}
			}
		}
	}
}

func TestSendClassifiesStatus(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   error
	}{
		{200, nil}, {202, nil}, {204, nil},
		{400, ErrRejected}, {401, ErrRejected}, {403, ErrRejected}, {404, ErrRejected}, {413, ErrRejected}, {415, ErrRejected},
		{408, ErrRetry}, {429, ErrRetry}, {500, ErrRetry}, {502, ErrRetry}, {503, ErrRetry},
		{301, ErrRetry}, {302, ErrRetry}, {307, ErrRetry}, {308, ErrRetry},
	} {
		rec := &recorder{status: tc.status}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path == "/ok/v1/logs":
				// A followed redirect lands here, on a 200.
			case tc.status >= 300 && tc.status < 400:
				http.Redirect(w, r, "/ok/v1/logs", tc.status)
			default:
				rec.ServeHTTP(w, r)
			}
		}))
		err := newSender(t, srv.URL, time.Second).Send(context.Background(), Logs, []byte("x"))
		srv.Close()
		if tc.want == nil {
			if err != nil {
				t.Errorf("HTTP %d: %v, want nil", tc.status, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("HTTP %d: %v, want %v", tc.status, err, tc.want)
		}
		if errors.Is(err, ErrRejected) && errors.Is(err, ErrRetry) {
			t.Errorf("HTTP %d: both rejected and retryable", tc.status)
		}
		if !strings.HasPrefix(err.Error(), "export: ") {
			t.Errorf("HTTP %d: error %q lacks the package prefix", tc.status, err)
		}
	}
}

func TestSendRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err = newSender(t, "http://"+addr, time.Second).Send(context.Background(), Logs, []byte("x"))
	if !errors.Is(err, ErrRetry) {
		t.Fatalf("err = %v, want ErrRetry", err)
	}
}

// blackHole accepts connections and never answers.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

func TestSendBlackHoleIsBounded(t *testing.T) {
	addr := blackHole(t)
	start := time.Now()
	err := newSender(t, "http://"+addr, 300*time.Millisecond).Send(context.Background(), Logs, []byte("x"))
	d := time.Since(start)
	if !errors.Is(err, ErrRetry) {
		t.Fatalf("err = %v, want ErrRetry", err)
	}
	if d > 3*time.Second {
		t.Fatalf("took %v with a 300ms timeout", d)
	}
	// The caller's context bounds it too.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	err = newSender(t, "http://"+addr, time.Minute).Send(ctx, Logs, []byte("x"))
	if !errors.Is(err, ErrRetry) || time.Since(start) > 3*time.Second {
		t.Fatalf("with a 100ms context: %v after %v", err, time.Since(start))
	}
}

func TestSendSlowServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(200 * time.Millisecond)
	}))
	defer srv.Close()
	start := time.Now()
	if err := newSender(t, srv.URL, 5*time.Second).Send(context.Background(), Logs, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("returned after %v, before the server answered", d)
	}
}

func TestSendReadsBoundedResponse(t *testing.T) {
	// An endless body: a client that drained it would hit its timeout.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte("z"), 32<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	start := time.Now()
	if err := newSender(t, srv.URL, 3*time.Second).Send(context.Background(), Logs, []byte("x")); err != nil {
		t.Fatalf("err = %v, want nil", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v: the response was not read in a bounded way", d)
	}
}

// rawServer answers every connection with reply, then closes it.
func rawServer(t *testing.T, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err == nil {
					io.Copy(io.Discard, req.Body)
				}
				io.WriteString(c, reply)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestSendGarbageResponses(t *testing.T) {
	for _, tc := range []struct {
		name, reply string
		want        error
	}{
		{"not http", "SSH-2.0-OpenSSH_9.6\r\n\r\n", ErrRetry},
		{"binary noise", "\x00\xff\x13\x37garbage\r\n\r\n", ErrRetry},
		{"truncated 200", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nshort", nil},
		{"noise body 200", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n\x00\xff<html>\x01", nil},
		{"truncated 503", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 1000\r\n\r\nx", ErrRetry},
		{"bad status", "HTTP/1.1 999 Whatever\r\nContent-Length: 0\r\n\r\n", ErrRetry},
	} {
		url := rawServer(t, tc.reply)
		err := newSender(t, url, 2*time.Second).Send(context.Background(), Logs, []byte("x"))
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestSendTLS(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewUnstartedServer(rec)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // expected handshake failures
	srv.StartTLS()
	defer srv.Close()
	s := newSender(t, srv.URL, 2*time.Second)
	if err := s.Send(context.Background(), Logs, []byte("x")); !errors.Is(err, ErrRetry) {
		t.Fatalf("untrusted certificate: err = %v, want ErrRetry", err)
	}
	if n := len(rec.requests()); n != 0 {
		t.Fatalf("%d requests reached a server with an untrusted certificate", n)
	}
	// The same server, trusted, works: the failure above was the trust check.
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	s.transport.TLSClientConfig.RootCAs = pool
	if err := s.Send(context.Background(), Logs, []byte("x")); err != nil {
		t.Fatalf("trusted certificate: %v", err)
	}

	old := httptest.NewUnstartedServer(rec)
	old.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	old.Config.ErrorLog = log.New(io.Discard, "", 0)
	old.StartTLS()
	defer old.Close()
	s = newSender(t, old.URL, 2*time.Second)
	s.transport.TLSClientConfig.RootCAs = pool
	if err := s.Send(context.Background(), Logs, []byte("x")); !errors.Is(err, ErrRetry) {
		t.Fatalf("TLS 1.1 server: err = %v, want ErrRetry", err)
	}
}

func TestNewSenderEndpointRules(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		insecure bool
		ok       bool
	}{
		{"https://telemetry.acme.dev", false, true},
		{"https://telemetry.acme.dev:8443/otlp", false, true},
		{"http://127.0.0.1:4318", false, true},
		{"http://127.1.2.3:4318", false, true},
		{"http://[::1]:4318", false, true},
		{"http://localhost:4318", false, true},
		{"http://LOCALHOST", false, true},
		{"http://telemetry.acme.dev", false, false},
		{"http://telemetry.acme.dev", true, true},
		{"http://10.0.0.1:4318", false, false},
		{"http://localhost.evil.example", false, false},
		{"http://127.0.0.1.nip.io", false, false},
		{"http://[::2]:4318", false, false},
		{"ftp://telemetry.acme.dev", true, false},
		{"telemetry.acme.dev:4318", false, false},
		{"", false, false},
		{"https://", false, false},
		{"https://telemetry.acme.dev/?key=1", false, false},
		{"https://telemetry.acme.dev/#frag", false, false},
		{"https://telemetry.acme.dev/\x7f", false, false},
	} {
		s, err := NewSender(tc.endpoint, tc.insecure, 0)
		if tc.ok != (err == nil) || (s == nil) == tc.ok {
			t.Errorf("NewSender(%q, insecure=%v) = %v, %v; want ok %v", tc.endpoint, tc.insecure, s, err, tc.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "export: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
	_, err := NewSender("http://telemetry.acme.dev", false, 0)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("the error does not name the rule: %v", err)
	}
}

func TestSenderOwnsItsTransport(t *testing.T) {
	s := newSender(t, "https://telemetry.acme.dev", 0)
	if s.client == http.DefaultClient || s.client.Transport == http.DefaultTransport {
		t.Fatal("uses net/http's shared client or transport")
	}
	if s.transport.TLSClientConfig.MinVersion < tls.VersionTLS12 {
		t.Fatal("allows TLS below 1.2")
	}
	if s.client.Timeout <= 0 || s.transport.TLSHandshakeTimeout <= 0 || s.transport.ResponseHeaderTimeout <= 0 {
		t.Fatal("unbounded timeouts")
	}
	// Break the default transport: a Send that used it would fail.
	saved := http.DefaultTransport
	http.DefaultTransport = roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("the default transport was used")
	})
	t.Cleanup(func() { http.DefaultTransport = saved })
	srv := httptest.NewServer(&recorder{})
	defer srv.Close()
	if err := newSender(t, srv.URL, time.Second).Send(context.Background(), Logs, []byte("x")); err != nil {
		t.Fatal(err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSendIgnoresOTELEnvironment(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	decoy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a request went to OTEL_EXPORTER_OTLP_ENDPOINT")
	}))
	defer decoy.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-canary=canary-secret-1,authorization=Bearer canary-secret-2")
	t.Setenv("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "x-canary-logs=canary-secret-3")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", decoy.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "none")
	if err := newSender(t, srv.URL, time.Second).Send(context.Background(), Logs, []byte("x")); err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	for k, vs := range reqs[0].Header {
		if strings.Contains(strings.ToLower(k), "canary") || strings.EqualFold(k, "Authorization") {
			t.Errorf("header %s sent", k)
		}
		for _, v := range vs {
			if strings.Contains(v, "canary") {
				t.Errorf("header %s: %q", k, v)
			}
		}
	}
	if reqs[0].Header.Get("Content-Encoding") != "gzip" {
		t.Error("OTEL_EXPORTER_OTLP_COMPRESSION changed the encoding")
	}
}

// TestSendHonoursHTTPSProxy sends to https://example.com through an HTTPS
// proxy named by HTTPS_PROXY, which tunnels to a local TLS server holding a
// certificate for example.com. The send runs in a child process because
// net/http reads the proxy variables only once per process.
func TestSendHonoursHTTPSProxy(t *testing.T) {
	rec := &recorder{}
	target := httptest.NewTLSServer(rec)
	defer target.Close()

	var mu sync.Mutex
	var connects []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		mu.Lock()
		connects = append(connects, r.Host)
		mu.Unlock()
		up, err := net.Dial("tcp", target.Listener.Addr().String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer up.Close()
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		down, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer down.Close()
		go func() {
			if n := brw.Reader.Buffered(); n > 0 {
				b, _ := brw.Reader.Peek(n)
				up.Write(b)
			}
			io.Copy(up, down)
			up.Close()
		}()
		io.Copy(down, up)
	}))
	defer proxy.Close()

	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: target.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := helperCmd(t, "proxy-send", "HTTPS_PROXY="+proxy.URL, "WAYMARK_HELPER_CA="+ca)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("send through the proxy: %v: %s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(connects) != 1 || connects[0] != "example.com:443" {
		t.Fatalf("proxy saw CONNECT %q, want [example.com:443]", connects)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || reqs[0].Path != "/v1/logs" || string(reqs[0].Body) != "via-proxy" {
		t.Fatalf("the endpoint received %+v", reqs)
	}
}

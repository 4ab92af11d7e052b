package collectorconfig_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
)

// nginxBinary finds Debian's nginx (PATH, then /usr/sbin, which a non-root PATH may lack). A
// missing nginx fails the test (.ci/run installs it); only -short skips it.
func nginxBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("WAYMARK_NGINX"); p != "" {
		return p
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	t.Fatal("nginx not found: install Debian's nginx (apt-get install -y nginx), as .ci/run does")
	return ""
}

// selfSigned writes a self-signed ECDSA certificate for 127.0.0.1 and localhost, and its key,
// as PEM files.
func selfSigned(t testing.TB, certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "waymark front door test"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// frontDoor is a running nginx with frontdoor/nginx.conf in front of a collector.
type frontDoor struct {
	*process
	URL    string // https://127.0.0.1:port
	CACert string // the test's certificate, to trust
	Prefix string // nginx's prefix: logs/, run/, tmp/, conf/
}

// startFrontDoor runs nginx with the shipped configuration, changed only in its listen address
// and the collector's address, under a temporary prefix.
func startFrontDoor(t testing.TB, c *collector) *frontDoor {
	t.Helper()
	bin := nginxBinary(t)
	prefix := t.TempDir()
	for _, d := range []string{"logs", "run", "tmp", "conf/tls"} {
		if err := os.MkdirAll(filepath.Join(prefix, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Workers run as an unprivileged user when nginx starts as root: let them in.
	for d := prefix; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()) && d != filepath.Clean(os.TempDir()); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cert := filepath.Join(prefix, "conf", "tls", "fullchain.pem")
	selfSigned(t, cert, filepath.Join(prefix, "conf", "tls", "privkey.pem"))

	conf, err := os.ReadFile(filepath.Join(repoRoot(t), "collector-config", "frontdoor", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	text := string(conf)
	for _, sub := range [][2]string{
		{"listen 443 ssl http2;", fmt.Sprintf("listen 127.0.0.1:%d ssl http2;", port)},
		{"server 127.0.0.1:4318;", "server " + strings.TrimPrefix(c.Endpoint, "http://") + ";"},
	} {
		if n := strings.Count(text, sub[0]); n != 1 {
			t.Fatalf("frontdoor/nginx.conf holds %q %d times, want once", sub[0], n)
		}
		text = strings.Replace(text, sub[0], sub[1], 1)
	}
	confPath := filepath.Join(prefix, "conf", "nginx.conf")
	if err := os.WriteFile(confPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-p", prefix + "/", "-c", confPath, "-e", filepath.Join(prefix, "logs", "startup.log")}
	if out, err := exec.Command(bin, append(args, "-t")...).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	f := &frontDoor{process: startProcess(t, exec.Command(bin, append(args, "-g", "daemon off;")...)),
		URL: fmt.Sprintf("https://127.0.0.1:%d", port), CACert: cert, Prefix: prefix}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if f.exited() {
			t.Fatalf("nginx exited during start-up (%v):\n%s", f.err, f.output)
		}
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			conn.Close()
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on port %d within 20 s:\n%s", port, f.output)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// post sends body as OTLP/JSON with curl from the client address src, trusting the test's
// certificate, and returns the HTTP status.
func (f *frontDoor) post(t *testing.T, src, path string, body []byte) string {
	t.Helper()
	code, _ := curlPost(t, f.URL+path, "application/json", body, "--interface", src, "--cacert", f.CACert)
	return code
}

// postHeaders sends body as OTLP/JSON to /v1/logs from the client address src and returns the
// HTTP status and the answer's Retry-After header.
func (f *frontDoor) postHeaders(t *testing.T, src string, body []byte) (code, retryAfter string) {
	t.Helper()
	headers := filepath.Join(t.TempDir(), "headers")
	code, _ = curlPost(t, f.URL+"/v1/logs", "application/json", body, "--interface", src, "--cacert", f.CACert, "-D", headers)
	h, err := os.ReadFile(headers)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(h), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Retry-After") {
			retryAfter = strings.TrimSpace(v)
		}
	}
	return code, retryAfter
}

// postAll sends each body as one OTLP/JSON request from the client address src, in order, from
// a single curl process (so as fast as the connection allows), and returns the statuses.
func (f *frontDoor) postAll(t *testing.T, src, path string, bodies [][]byte) []string {
	t.Helper()
	dir := t.TempDir()
	var args []string
	for i, body := range bodies {
		file := filepath.Join(dir, fmt.Sprint(i))
		if err := os.WriteFile(file, body, 0o600); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			args = append(args, "--next")
		}
		args = append(args, "-sS", "-o", os.DevNull, "-w", "%{http_code}\n", "--max-time", "20", "--interface", src,
			"--cacert", f.CACert, "-H", "Content-Type: application/json", "--data-binary", "@"+file, f.URL+path)
	}
	out, err := exec.Command("curl", args...).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	codes := strings.Fields(string(out))
	if len(codes) != len(bodies) {
		t.Fatalf("curl gave %d statuses for %d requests: %q", len(codes), len(bodies), out)
	}
	return codes
}

// usageRequest is one OTLP/JSON logs request of a fresh install's usage ping.
func usageRequest(t *testing.T) (id string, body []byte) {
	t.Helper()
	in := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
	body, err := otlpgen.JSON(otlpgen.Logs(in, otlpgen.Event("waymark.usage", time.Now())))
	if err != nil {
		t.Fatal(err)
	}
	return in.ID, body
}

// TestFrontDoor runs Debian's nginx with frontdoor/nginx.conf in front of
// the real collector. TLS works with the test's certificate (and only with it); one client
// over its rate gets 429 and nothing more of it is stored; another client is unaffected;
// bodies over 256 KiB are refused; no log holds a client address. Clients are curl processes
// bound to different loopback addresses (127.0.0.2, 127.0.0.3).
func TestFrontDoor(t *testing.T) {
	c := startCollector(t, nil)
	f := startFrontDoor(t, c)
	const flooder, other = "127.0.0.2", "127.0.0.3"

	t.Run("TLS with the test's certificate", func(t *testing.T) {
		id, body := usageRequest(t)
		if code := f.post(t, other, "/v1/logs", body); code != "200" {
			t.Fatalf("POST over TLS: %s, want 200\nnginx:\n%s", code, f.output)
		}
		if !waitFor(20*time.Second, func() bool { return strings.Contains(c.stored(t), id) }) {
			t.Fatalf("a request through the front door is not stored")
		}
		// The certificate served is the test's, and nothing else is trusted.
		pem, err := os.ReadFile(f.CACert)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		conn, err := tls.Dial("tcp", strings.TrimPrefix(f.URL, "https://"), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatalf("TLS handshake trusting only the test's certificate: %v", err)
		}
		if v := conn.ConnectionState().Version; v < tls.VersionTLS12 {
			t.Errorf("TLS version %x", v)
		}
		conn.Close()
		cmd := exec.Command("curl", "-sS", "-o", os.DevNull, "--interface", other, "--data-binary", "x", f.URL+"/v1/logs")
		if err := cmd.Run(); err == nil {
			t.Errorf("curl without the test's certificate succeeded")
		}
		if code := f.post(t, other, "/v1/traces", body); code != "404" {
			t.Errorf("POST /v1/traces: %s, want 404", code)
		}
	})

	t.Run("one client over its rate", func(t *testing.T) {
		var ids []string
		var bodies [][]byte
		for range 60 {
			id, body := usageRequest(t)
			ids, bodies = append(ids, id), append(bodies, body)
		}
		start := time.Now()
		codes := f.postAll(t, flooder, "/v1/logs", bodies)
		t.Logf("60 requests in %v", time.Since(start))
		var accepted, refused []string
		for i, code := range codes {
			switch code {
			case "200":
				accepted = append(accepted, ids[i])
			case "429":
				refused = append(refused, ids[i])
			default:
				t.Fatalf("flooding client: status %s", code)
			}
		}
		t.Logf("flooding client: %d accepted, %d refused with 429", len(accepted), len(refused))
		if len(accepted) < 21 || len(refused) < 10 {
			t.Fatalf("flooding client: %d accepted, %d refused; want the burst of 21 accepted, the rest refused", len(accepted), len(refused))
		}
		// Meanwhile another client is served at once, every time.
		var others []string
		for range 5 {
			id, body := usageRequest(t)
			if code := f.post(t, other, "/v1/logs", body); code != "200" {
				t.Fatalf("other client while the first is limited: %s, want 200", code)
			}
			others = append(others, id)
		}
		if !waitFor(20*time.Second, func() bool {
			s := c.stored(t)
			for _, id := range append(append([]string{}, accepted...), others...) {
				if !strings.Contains(s, id) {
					return false
				}
			}
			return true
		}) {
			t.Fatalf("accepted requests are not all stored")
		}
		time.Sleep(1500 * time.Millisecond)
		s := c.stored(t)
		for _, id := range refused {
			if strings.Contains(s, id) {
				t.Errorf("a request refused with 429 was stored: %s", id)
			}
		}
	})

	t.Run("body cap", func(t *testing.T) {
		_, body := usageRequest(t)
		big := append(body[:len(body)-1:len(body)-1], []byte(`,"padding":"`+strings.Repeat("x", 300<<10)+`"}`)...)
		if code := f.post(t, "127.0.0.4", "/v1/logs", big); code != "413" {
			t.Errorf("300 KiB body: %s, want 413", code)
		}
	})

	t.Run("refusals say when to come back", func(t *testing.T) {
		// A client over its limit: 429 with Retry-After.
		var bodies [][]byte
		for range 40 {
			_, body := usageRequest(t)
			bodies = append(bodies, body)
		}
		const limited = "127.0.0.5"
		f.postAll(t, limited, "/v1/logs", bodies)
		_, body := usageRequest(t)
		if code, ra := f.postHeaders(t, limited, body); code != "429" || ra != "60" {
			t.Errorf("client over its limit: %s with Retry-After %q, want 429 with 60", code, ra)
		}
		// An accepted request carries none.
		if code, ra := f.postHeaders(t, "127.0.0.6", body); code != "200" || ra != "" {
			t.Errorf("accepted request: %s with Retry-After %q, want 200 with none", code, ra)
		}
		// The collector down: 503 with Retry-After, never a bare 502.
		c.stop(t, 10*time.Second)
		if code, ra := f.postHeaders(t, "127.0.0.7", body); code != "503" || ra != "300" {
			t.Errorf("collector down: %s with Retry-After %q, want 503 with 300", code, ra)
		}
	})

	t.Run("no client address in any log", func(t *testing.T) {
		f.stop(t, 10*time.Second) // flushes the logs
		lines := 0
		err := filepath.WalkDir(filepath.Join(f.Prefix, "logs"), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if filepath.Base(path) == "access.log" {
				lines = strings.Count(string(b), "\n")
				if !strings.Contains(string(b), " 429 ") {
					t.Errorf("access.log has no 429:\n%s", b)
				}
			}
			for _, addr := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.1"} {
				if strings.Contains(string(b), addr) {
					t.Errorf("%s holds %s", path, addr)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if lines < 65 {
			t.Errorf("access.log has %d lines; the check would prove little", lines)
		}
	})
}

// BenchmarkFrontDoor measures the front door's cost: each iteration sends 2000 SDK-sized
// requests (OTLP/JSON usage pings) through nginx and TLS to the collector, from 100 client
// addresses at once (20 each, within their burst, one TLS connection per address), and
// reports the CPU time nginx (master and workers) and the collector spent per request.
//
//	go test -run '^$' -bench FrontDoor -benchtime 5x ./collector-config/
func BenchmarkFrontDoor(b *testing.B) {
	c := startCollector(b, nil)
	f := startFrontDoor(b, c)
	pem, err := os.ReadFile(f.CACert)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	in := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
	body, err := otlpgen.JSON(otlpgen.Logs(in, otlpgen.Event("waymark.usage", time.Now())))
	if err != nil {
		b.Fatal(err)
	}
	nginxCPU := func() time.Duration { return processTreeCPU(b, f.cmd.Process.Pid) }
	collectorCPU := func() time.Duration { return processTreeCPU(b, c.cmd.Process.Pid) }
	n0, c0 := nginxCPU(), collectorCPU()
	b.ResetTimer()
	requests := 0
	for i := range b.N {
		errs := make(chan error, 100)
		for a := range 100 {
			go func() {
				src := &net.TCPAddr{IP: net.IPv4(127, 1, byte(i), byte(a+1))}
				client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
					DialContext:     (&net.Dialer{LocalAddr: src}).DialContext,
					TLSClientConfig: &tls.Config{RootCAs: pool},
				}}
				defer client.CloseIdleConnections()
				for range 20 {
					resp, err := client.Post(f.URL+"/v1/logs", "application/json", bytes.NewReader(body))
					if err != nil {
						errs <- err
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("status %d", resp.StatusCode)
						return
					}
				}
				errs <- nil
			}()
		}
		for range 100 {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		requests += 2000
	}
	b.StopTimer()
	b.ReportMetric(float64(requests)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64((nginxCPU()-n0).Microseconds())/float64(requests), "nginx-cpu-µs/req")
	b.ReportMetric(float64((collectorCPU()-c0).Microseconds())/float64(requests), "collector-cpu-µs/req")
}

// processTreeCPU returns the user and system CPU time of pid and its children (Linux).
func processTreeCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	entries, err := os.ReadDir("/proc")
	if err != nil {
		tb.Fatal(err)
	}
	var total time.Duration
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis: state ppid … utime(14) stime(15).
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) < 13 || (e.Name() != fmt.Sprint(pid) && f[1] != fmt.Sprint(pid)) {
			continue
		}
		var ut, st int64
		fmt.Sscan(f[11], &ut)
		fmt.Sscan(f[12], &st)
		total += time.Duration(ut+st) * tick
	}
	return total
}

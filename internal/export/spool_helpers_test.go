package export

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
)

// Multi-process tests re-run this test binary with helperEnv naming a role;
// TestMain then plays that role instead of running the tests.
const helperEnv = "WAYMARK_EXPORTER_HELPER"

func TestMain(m *testing.M) {
	if role := os.Getenv(helperEnv); role != "" {
		os.Exit(runHelper(role))
	}
	os.Exit(m.Run())
}

func runHelper(role string) int {
	switch role {
	case "append":
		// Append WAYMARK_HELPER_N entries tagged WAYMARK_HELPER_ID.
		s := OpenSpool(statedir.New(os.Getenv("WAYMARK_HELPER_DIR")), SpoolOptions{Cap: 1 << 30})
		n, _ := strconv.Atoi(os.Getenv("WAYMARK_HELPER_N"))
		id := os.Getenv("WAYMARK_HELPER_ID")
		for i := range n {
			if err := s.Append(KindUsage, Logs, []byte(fmt.Sprintf("proc-%s-%d", id, i))); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		return 0
	case "append-loop":
		// Append until killed.
		s := OpenSpool(statedir.New(os.Getenv("WAYMARK_HELPER_DIR")), SpoolOptions{Cap: 1 << 30})
		payload := make([]byte, 4096)
		for i := 0; ; i++ {
			copy(payload, fmt.Sprintf("kill-%08d-", i))
			s.Append(KindHeartbeat, Logs, payload)
		}
	case "detach-child":
		return detachChild(os.Getenv("WAYMARK_HELPER_OUT"))
	case "proxy-send":
		return proxySend()
	}
	fmt.Fprintln(os.Stderr, "unknown helper role", role)
	return 2
}

// proxySend sends one batch to https://example.com through whatever proxy
// the environment names, trusting the CA in WAYMARK_HELPER_CA. It runs in
// its own process because net/http reads the proxy variables once per process.
func proxySend() int {
	pemBytes, err := os.ReadFile(os.Getenv("WAYMARK_HELPER_CA"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s, err := NewSender("https://example.com", false, 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	s.transport.TLSClientConfig.RootCAs = pool
	if err := s.Send(context.Background(), Logs, []byte("via-proxy")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// helperCmd returns a command re-running this test binary in role.
func helperCmd(t *testing.T, role string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	base := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY", "REQUEST_METHOD":
			continue
		}
		base = append(base, kv)
	}
	cmd.Env = append(append(base, helperEnv+"="+role), env...)
	return cmd
}

// fakeClock is an injectable clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// payloadsOf reads every pending entry of sig, oldest first, without removing it.
func payloadsOf(t *testing.T, s *Spool, sig Signal) []string {
	t.Helper()
	b, err := s.batch(sig, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(b))
	for i, e := range b {
		out[i] = string(e.payload)
	}
	return out
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

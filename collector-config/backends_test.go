package collectorconfig_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
)

// backendBinary finds the backend named bin (victoria-metrics, victoria-logs, prometheus):
// $<envVar> if set, else bin/<bin> in the repository, where install-backend.sh puts it. A
// missing backend fails the test, so that `make test` can never pass without running it;
// under -short it skips.
func backendBinary(t *testing.T, bin, envVar string) string {
	t.Helper()
	p := os.Getenv(envVar)
	if p == "" {
		p = filepath.Join(repoRoot(t), "bin", bin)
	}
	if _, err := os.Stat(p); err != nil {
		if testing.Short() {
			t.Skipf("%s not installed (-short): %v", bin, err)
		}
		t.Fatalf("%s: %v\nrun `bash collector-config/install-backend.sh` (make test does), or set %s", bin, err, envVar)
	}
	return p
}

// startBackend starts a backend process and waits until GET base+health answers 200.
func startBackend(t *testing.T, cmd *exec.Cmd, base, health string) *process {
	t.Helper()
	p := startProcess(t, cmd)
	ctx := context.Background()
	if !waitFor(60*time.Second, func() bool { _, err := httpGet(ctx, base+health); return err == nil && !p.exited() }) {
		t.Fatalf("%s did not become healthy at %s:\n%s", filepath.Base(cmd.Path), base, p.output)
	}
	return p
}

// sendAll posts every message to url with a few concurrent clients and fails the test on any
// refusal.
func sendAll[M proto.Message](t *testing.T, url string, msgs []M, clients int) {
	t.Helper()
	ctx := context.Background()
	client := &http.Client{Timeout: 30 * time.Second}
	work := make(chan M)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range work {
				code, body, err := otlpgen.Send(ctx, client, url, m)
				if err == nil && code != http.StatusOK {
					err = fmt.Errorf("status %d: %s", code, body)
				}
				if err != nil {
					errs <- err
					for range work {
					}
					return
				}
			}
		}()
	}
	for _, m := range msgs {
		work <- m
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("send to %s: %v", url, err)
	}
}

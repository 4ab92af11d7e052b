package collectorconfig_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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

// sendOneShotWriters sends, through the collector at endpoint, the metrics of runs CLI runs
// at once: each its own install with its own one-run delta (first_run 1, and first_deploy 1
// for the first deploys of them), all with the same interval ending at the last whole second
// (the worst case for a backend that merges writers). Run 0 is hostile and adds attributes
// that must not become labels. Then two servers report 6 heartbeats each, one of them now
// with an uptime of 1 h, the other an hour ago with 2 h. It returns the end of the interval.
func sendOneShotWriters(t *testing.T, endpoint string, runs, deploys int) time.Time {
	t.Helper()
	ctx := context.Background()
	end := time.Now().Truncate(time.Second)
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	errs := make(chan error, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := otlpgen.NewInstall("acme", "1.4.2", "linux", runtime.GOARCH)
			counts := map[string]int64{"first_run": 1}
			if i < deploys {
				counts["first_deploy"] = 1
			}
			msg := otlpgen.MilestoneCounts(in, end.Add(-time.Second), end, counts)
			if i == 0 {
				msg.ResourceMetrics[0].Resource.Attributes = append(msg.ResourceMetrics[0].Resource.Attributes, otlpgen.Str("host.name", canaryHost))
				for _, dp := range msg.ResourceMetrics[0].ScopeMetrics[0].Metrics[0].GetSum().DataPoints {
					dp.Attributes = append(dp.Attributes, otlpgen.Str("user.email", canaryEmail))
				}
			}
			code, body, err := otlpgen.Send(ctx, client, endpoint+"/v1/metrics", msg)
			if err == nil && code != http.StatusOK {
				err = fmt.Errorf("status %d: %s", code, body)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	// Two servers beat; one of them stopped an hour ago.
	for i, age := range []time.Duration{0, time.Hour} {
		srv := otlpgen.NewInstall("acme", "1.4.2", "linux", runtime.GOARCH)
		srv.Session = otlpgen.UUID()
		at := end.Add(-age)
		code, body, err := otlpgen.Send(ctx, client, endpoint+"/v1/metrics", otlpgen.ServerMetrics(srv, at.Add(-time.Minute), at, 6, time.Duration(i+1)*time.Hour))
		if err != nil || code != http.StatusOK {
			t.Fatalf("server metrics: %d %s %v", code, body, err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	return end
}

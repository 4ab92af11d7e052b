package collectorconfig_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
)

// startPrometheus runs Prometheus 3 as README.md says (prometheus/prometheus.yml, the OTLP
// receiver, native delta ingestion) plus extra flags, and returns its base URL.
func startPrometheus(t *testing.T, extra ...string) (string, *process) {
	t.Helper()
	bin := backendBinary(t, "prometheus", "WAYMARK_PROMETHEUS")
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	args := append([]string{
		"--config.file=" + filepath.Join(repoRoot(t), "collector-config", "prometheus", "prometheus.yml"),
		"--web.enable-otlp-receiver",
		"--enable-feature=otlp-native-delta-ingestion",
		"--storage.tsdb.path=" + t.TempDir(),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
		"--log.level=warn",
	}, extra...)
	return base, startBackend(t, exec.Command(bin, args...), base, "/-/ready")
}

// TestPrometheus sends 40 concurrent one-shot CLI writers, a late upload and two servers
// through the collector's prometheus.yaml pipeline into Prometheus 3 and reads the counts
// back with the queries of README.md: every writer's delta must be counted.
func TestPrometheus(t *testing.T) {
	collectorBinary(t)
	prom, promP := startPrometheus(t)
	c := startCollector(t, []string{"prometheus.yaml"}, "WAYMARK_PROMETHEUS_URL="+prom)
	ctx := context.Background()

	const runs, deploys = 40, 15
	end := sendOneShotWriters(t, c.Endpoint, runs, deploys)
	// A late upload: a run of two days ago whose spooled delta arrives only now (the SDK keeps
	// events up to 30 days). Prometheus takes it only inside its out-of-order window.
	late := otlpgen.NewInstall("acme", "1.4.1", "darwin", "arm64")
	at := end.Add(-48 * time.Hour)
	code, body, err := otlpgen.Send(ctx, http.DefaultClient, c.Endpoint+"/v1/metrics", otlpgen.MilestoneCounts(late, at.Add(-time.Second), at, map[string]int64{"first_run": 1}))
	if err != nil || code != http.StatusOK {
		t.Fatalf("late upload: %d %s %v", code, body, err)
	}

	const funnel = `sum by (milestone_name) (sum_over_time(waymark_milestones_total[30d]))`
	var got map[string]float64
	ok := waitFor(30*time.Second, func() bool {
		res, err := vmQuery(ctx, prom, funnel)
		if err != nil {
			return false
		}
		got = map[string]float64{}
		for _, s := range res {
			got[s.Labels["milestone_name"]] = s.Value
		}
		return got["first_run"] == runs+1 && got["first_deploy"] == deploys
	})
	if !ok {
		names, _ := httpGet(ctx, prom+"/api/v1/label/__name__/values")
		t.Fatalf("%s = %v, want first_run %d and first_deploy %d\nmetric names: %s\ncollector:\n%s\nPrometheus:\n%s", funnel, got, runs+1, deploys, names, c.output, promP.output)
	}
	for _, q := range []struct {
		query string
		want  float64
	}{
		{`sum(sum_over_time(waymark_milestones_total{milestone_name="first_run"}[1d]))`, runs},
		{`count(count by (app_installation_id) (last_over_time(waymark_milestones_total{milestone_name="first_run"}[30d])))`, runs + 1},
		{`count(count by (app_installation_id, service_version) (last_over_time(waymark_milestones_total{milestone_name="first_deploy"}[30d])))`, deploys},
		{`count(count by (session_id) (last_over_time(waymark_heartbeats_total[20m])))`, 1},
		{`max(last_over_time(waymark_session_uptime[20m]))`, 3600},
		{`sum(sum_over_time(waymark_heartbeats_total[2h]))`, 12},
	} {
		res, err := vmQuery(ctx, prom, q.query)
		if err != nil || len(res) != 1 || res[0].Value != q.want {
			t.Errorf("%s = %v, %v; want %v", q.query, res, err, q.want)
		}
	}

	// The allowlist holds here too: no label carries what the hostile client added.
	b, err := httpGet(ctx, prom+"/api/v1/labels")
	if err != nil {
		t.Fatal(err)
	}
	var labels struct{ Data []string }
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
	for _, l := range labels.Data {
		if strings.Contains(l, "host_name") || strings.Contains(l, "user_email") {
			t.Errorf("Prometheus has the label %q", l)
		}
	}
	if !strings.Contains(string(b), `"app_installation_id"`) {
		t.Errorf("app.installation.id is not a label: %s", b)
	}
	_ = runtime.GOARCH
}

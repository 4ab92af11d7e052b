package collectorconfig_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// vmQuery runs an instant MetricsQL query and returns each series' labels and value.
func vmQuery(ctx context.Context, base, query string) ([]vmSample, error) {
	b, err := httpGet(ctx, base+"/api/v1/query?query="+url.QueryEscape(query))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, b)
	}
	var resp struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, err
	}
	var out []vmSample
	for _, r := range resp.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("value %v: %w", r.Value, err)
		}
		out = append(out, vmSample{r.Metric, v})
	}
	return out, nil
}

type vmSample struct {
	Labels map[string]string
	Value  float64
}

// TestVictoriaMetrics sends milestone counts from many concurrent short-lived "processes"
// through the collector's second pipeline into VictoriaMetrics and reads the counts back with
// the dashboard queries of README.md. Every writer's delta must be counted.
func TestVictoriaMetrics(t *testing.T) {
	collectorBinary(t)
	vmBin := backendBinary(t, "victoria-metrics", "WAYMARK_VICTORIAMETRICS")
	port := freePort(t)
	vmURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	vm := startBackend(t, exec.Command(vmBin,
		fmt.Sprintf("-httpListenAddr=127.0.0.1:%d", port),
		"-storageDataPath="+t.TempDir(),
		"-retentionPeriod=100y",
		"-search.latencyOffset=0s",
		"-loggerLevel=ERROR",
	), vmURL, "/health")
	ctx := context.Background()
	c := startCollector(t, []string{"victoriametrics.yaml"}, "WAYMARK_VICTORIAMETRICS_URL="+vmURL)

	// 40 CLI runs at once, 15 of them also deploying, and two servers.
	const runs, deploys = 40, 15
	sendOneShotWriters(t, c.Endpoint, runs, deploys)

	// The dashboard queries of README.md. The funnel:
	const funnel = `sum by (milestone.name) (sum_over_time(waymark.milestones[30d]))`
	var got map[string]float64
	ok := waitFor(30*time.Second, func() bool {
		res, err := vmQuery(ctx, vmURL, funnel)
		if err != nil {
			t.Logf("query: %v", err)
			return false
		}
		got = map[string]float64{}
		for _, s := range res {
			got[s.Labels["milestone.name"]] = s.Value
		}
		return got["first_run"] == runs && got["first_deploy"] == deploys
	})
	if !ok {
		t.Fatalf("%s = %v, want first_run %d and first_deploy %d\ncollector:\n%s\nVictoriaMetrics:\n%s", funnel, got, runs, deploys, c.output, vm.output)
	}

	for _, q := range []struct {
		query string
		want  float64
	}{
		{`sum(sum_over_time(waymark.milestones{milestone.name="first_run"}[1d]))`, runs},
		{`count(count by (app.installation.id, service.version) (last_over_time(waymark.milestones{milestone.name="first_deploy"}[30d])))`, deploys},
		{`count(count by (session.id) (last_over_time(waymark.heartbeats[20m])))`, 1},
		{`max(last_over_time(waymark.session.uptime[20m]))`, 3600},
		{`sum(sum_over_time(waymark.heartbeats[2h]))`, 12},
	} {
		res, err := vmQuery(ctx, vmURL, q.query)
		if err != nil || len(res) != 1 || res[0].Value != q.want {
			t.Errorf("%s = %v, %v; want %v", q.query, res, err, q.want)
		}
	}

	// The allowlist holds in this pipeline too: no label carries what the hostile client added.
	b, err := httpGet(ctx, vmURL+"/api/v1/labels")
	if err != nil {
		t.Fatal(err)
	}
	var labels struct{ Data []string }
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
	for _, l := range labels.Data {
		if l == "host.name" || l == "user.email" || strings.Contains(l, "host_name") || strings.Contains(l, "user_email") {
			t.Errorf("VictoriaMetrics has the label %q", l)
		}
	}
	if len(labels.Data) == 0 {
		t.Error("VictoriaMetrics lists no labels at all")
	}
}

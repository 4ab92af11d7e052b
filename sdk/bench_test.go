package sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/waymarkhq/waymark/sdk"
)

// benchOptOutEnv lists what could turn telemetry off around a benchmark: the
// documented opt-outs, ci-info's generic CI variables, common CI vendors'
// own, and the OTel variables the sdk refuses to run under when malformed.
var benchOptOutEnv = []string{
	"DO_NOT_TRACK", "ACME_TELEMETRY", "ACME_TELEMETRY_DIR", "ACME_TELEMETRY_ENDPOINT", "ACME_TELEMETRY_UPDATE_URL",
	"BUILD_ID", "BUILD_NUMBER", "CI", "CI_APP_ID", "CI_BUILD_ID", "CI_BUILD_NUMBER", "CI_NAME",
	"CONTINUOUS_INTEGRATION", "RUN_ID",
	"GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "TRAVIS", "CIRCLECI", "BUILDKITE", "TF_BUILD",
	"CODEBUILD_BUILD_ARN", "BITBUCKET_COMMIT", "TEAMCITY_VERSION", "DRONE",
	"OTEL_RESOURCE_ATTRIBUTES", "OTEL_SERVICE_NAME", "OTEL_GO_X_CARDINALITY_LIMIT",
}

// benchScrubEnv removes every variable of benchOptOutEnv for the test (and
// restores them after), then sets CI=false, which means "not CI" whatever
// else is set.
func benchScrubEnv(tb testing.TB) {
	tb.Helper()
	for _, k := range benchOptOutEnv {
		tb.Setenv(k, "") // registers the restore of the original value
		os.Unsetenv(k)
	}
	tb.Setenv("CI", "false")
}

func benchConfig(dir string) sdk.Config {
	return sdk.Config{
		Product: "acme",
		Version: "1.4.2",
		// Loopback, and nothing needs to answer: a CLI's calls never touch
		// the network, and the uploader is never started from a test binary.
		Endpoint:   "http://127.0.0.1:9",
		Milestones: []string{"first_run", "first_deploy"},
		StateDir:   dir,
	}
}

// benchStartOn starts a Client with telemetry on, reaches first_run once (the
// slow path that records it), and checks through `telemetry status --json`
// that telemetry is really on and the milestone recorded: a benchmark of a
// client that CI detection turned off would measure the wrong thing.
func benchStartOn(tb testing.TB) *sdk.Client {
	tb.Helper()
	benchScrubEnv(tb)
	cfg := benchConfig(tb.TempDir())
	c, err := sdk.Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Shutdown(context.Background()) })
	c.Milestone("first_run")

	var out, errOut bytes.Buffer
	if code := sdk.Command(cfg, []string{"status", "--json"}, &out, &errOut); code != 0 {
		tb.Fatalf("telemetry status exited %d: %s", code, errOut.String())
	}
	var st struct {
		Mode       string   `json:"mode"`
		Reason     string   `json:"reason"`
		Milestones []string `json:"milestones"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		tb.Fatalf("telemetry status --json: %v\n%s", err, out.String())
	}
	if st.Mode != "on" || !slices.Contains(st.Milestones, "first_run") {
		tb.Fatalf("want telemetry on with first_run recorded; status says mode %q (%s), milestones %v",
			st.Mode, st.Reason, st.Milestones)
	}
	return c
}

// benchStartDisabled starts a Client turned off by Config.Disabled.
func benchStartDisabled(tb testing.TB) *sdk.Client {
	tb.Helper()
	benchScrubEnv(tb)
	cfg := benchConfig(tb.TempDir())
	cfg.Disabled = true
	c, err := sdk.Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Shutdown(context.Background()) })
	return c
}

// BenchmarkMilestone measures Milestone after its first call, the cost every
// later call pays anywhere in the host program. Budget:
// at most 100 ns/op and 0 allocs/op.
func BenchmarkMilestone(b *testing.B) {
	b.Run("client", func(b *testing.B) {
		c := benchStartOn(b)
		b.ReportAllocs()
		for b.Loop() {
			c.Milestone("first_run")
		}
	})
	b.Run("package", func(b *testing.B) {
		benchStartOn(b) // the Client that sdk.Milestone acts on
		b.ReportAllocs()
		for b.Loop() {
			sdk.Milestone("first_run")
		}
	})
	b.Run("disabled", func(b *testing.B) {
		c := benchStartDisabled(b)
		b.ReportAllocs()
		for b.Loop() {
			c.Milestone("first_run")
		}
	})
	b.Run("undeclared", func(b *testing.B) {
		c := benchStartOn(b)
		b.ReportAllocs()
		for b.Loop() {
			c.Milestone("not_declared")
		}
	})
}

// TestMilestoneFastPathAllocatesNothing is the deterministic half of the
// benchmark's budget: once a milestone is recorded, calling it again, on the
// Client or through the package, or on a disabled Client, allocates nothing.
func TestMilestoneFastPathAllocatesNothing(t *testing.T) {
	on := benchStartOn(t)
	cases := []struct {
		name string
		call func()
	}{
		{"client", func() { on.Milestone("first_run") }},
		{"package", func() { sdk.Milestone("first_run") }},
		{"undeclared", func() { on.Milestone("not_declared") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(1000, tc.call); n != 0 {
				t.Errorf("Milestone allocates %v times per call, want 0", n)
			}
		})
	}
	t.Run("disabled", func(t *testing.T) {
		off := benchStartDisabled(t)
		if n := testing.AllocsPerRun(1000, func() { off.Milestone("first_run") }); n != 0 {
			t.Errorf("Milestone on a disabled Client allocates %v times per call, want 0", n)
		}
	})
}

package collectorconfig_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/ptytest"
)

// scratchDir is a temporary directory removed at the end of the test without failing it: a
// detached uploader of the example CLI may still be finishing in it.
func scratchDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "waymark-home-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(d) == nil {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Logf("could not remove %s", d)
	})
	return d
}

// exampleEnv is the whole environment of one fresh install of the examples: nothing is
// inherited, so neither CI=true nor DO_NOT_TRACK nor the developer's own state leaks in.
func exampleEnv(endpoint, home string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"ACME_TELEMETRY_ENDPOINT=" + endpoint,
		"ACME_TELEMETRY_DIR=" + filepath.Join(home, "acme-telemetry"),
	}
}

// TestExamples runs the examples as a black box: the real collector with ingest.yaml,
// five fresh installs of the example CLI (all run `acme hello`, two also `acme deploy`, one
// runs hello twice) and one acme-server beating every second; `waymark report` must then show
// 6 installs, a funnel of first_run 5 and first_deploy 2, and an integer servers_live.
func TestExamples(t *testing.T) {
	collectorBinary(t)
	if m, _ := filepath.Glob(filepath.Join(repoRoot(t), "examples", "cli", "*.go")); len(m) == 0 {
		t.Fatal("examples/cli has no Go files")
	}
	acme := goBuild(t, "examples/cli", "acme")
	acmeServer := goBuild(t, "examples/server", "acme-server")
	c := startCollector(t, nil)

	srvCmd := exec.Command(acmeServer, "--heartbeat", "1s")
	srvCmd.Env = exampleEnv(c.Endpoint, scratchDir(t))
	srv := startProcess(t, srvCmd)

	run := func(home string, args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, acme, args...)
		cmd.Env = exampleEnv(c.Endpoint, home)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("acme %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for i := range 5 {
		home := scratchDir(t)
		run(home, "hello")
		if i < 2 {
			run(home, "deploy")
		}
		if i == 2 {
			run(home, "hello")
		}
	}

	// A CLI uploads from a detached child shortly after it exits: poll the stored files.
	var r reportJSON
	var warnings string
	complete := func() bool {
		r, warnings = runReport(t, "--funnel", "first_run,first_deploy", c.DataDir)
		return r.Installs30d == 6 && r.funnel() == "first_run=5,first_deploy=2" && string(r.ServersLive) == "1"
	}
	if !waitFor(30*time.Second, complete) {
		t.Errorf("after 30 s: installs_30d %d, funnel %s, servers_live %s; want 6, first_run=5,first_deploy=2, 1 (the server is running)\nreport warnings:\n%s\ncollector:\n%s\nacme-server:\n%s",
			r.Installs30d, r.funnel(), r.ServersLive, warnings, c.output, srv.output)
	}

	if err := srv.stop(t, 10*time.Second); err != nil {
		t.Errorf("acme-server on SIGTERM: %v (want exit 0)\n%s", err, srv.output)
	}

	r, warnings = runReport(t, "--funnel", "first_run,first_deploy", c.DataDir)
	if warnings != "" {
		t.Errorf("report warnings:\n%s", warnings)
	}
	if r.Installs30d != 6 || r.funnel() != "first_run=5,first_deploy=2" {
		t.Errorf("installs_30d %d, funnel %s; want 6, first_run=5,first_deploy=2", r.Installs30d, r.funnel())
	}
	if len(r.Funnel) == 2 && (r.Funnel[0].Conversion != 1 || r.Funnel[1].Conversion != 0.4) {
		t.Errorf("conversion %v, %v; want 1, 0.4", r.Funnel[0].Conversion, r.Funnel[1].Conversion)
	}
	if r.Versions["1.4.2"] != 6 || r.OS[runtime.GOOS] != 6 || r.Arch[runtime.GOARCH] != 6 {
		t.Errorf("versions %v, os %v, arch %v; want 6 installs of 1.4.2 on %s/%s", r.Versions, r.OS, r.Arch, runtime.GOOS, runtime.GOARCH)
	}
	if _, err := strconv.Atoi(string(r.ServersLive)); err != nil {
		t.Errorf("servers_live = %s, want an integer", r.ServersLive)
	}
}

// TestExampleCrashReport covers the one event TestExamples cannot
// cause: the real acme, answered y on a pseudo-terminal, sends an error report exactly as the
// SDK builds it, and the collector with ingest.yaml stores it (scrubbed, inside the schema).
func TestExampleCrashReport(t *testing.T) {
	collectorBinary(t)
	acme := goBuild(t, "examples/cli", "acme")
	c := startCollector(t, nil)
	home := scratchDir(t)
	cmd := exec.Command(acme, "crash", "deploy failed: password=hunter2 for carol@example.com")
	cmd.Env = exampleEnv(c.Endpoint, home)
	term, err := ptytest.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if !term.WaitFor("[y/N]", 20*time.Second) {
		cmd.Process.Kill()
		term.Wait()
		t.Fatalf("no prompt on the terminal:\n%s", term.Output())
	}
	if err := term.Type("y\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.Wait(); err == nil {
		t.Fatalf("acme crash exited 0:\n%s", term.Output())
	}
	if !waitFor(30*time.Second, func() bool { return strings.Contains(c.stored(t), "waymark.error_report") }) {
		t.Fatalf("no error report stored after 30 s\nacme:\n%s\ncollector:\n%s", term.Output(), c.output)
	}
	time.Sleep(1500 * time.Millisecond)
	stored := c.stored(t)
	for _, want := range []string{"deploy failed: password=\u003credacted\u003e for \u003cemail\u003e", "exception.stacktrace", "goroutine"} {
		if !strings.Contains(stored, want) && !strings.Contains(stored, strings.NewReplacer("<", `\u003c`, ">", `\u003e`).Replace(want)) {
			t.Errorf("stored report lacks %q:\n%s", want, stored)
		}
	}
	for path, content := range c.storedFiles(t) {
		checkSchema(t, path, content)
	}
}

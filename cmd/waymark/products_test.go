package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var (
	simOnce sync.Once
	simBin  string
	simErr  error
)

// simStore writes a store with the project's simulator and returns its directory.
func simStore(t testing.TB, args ...string) string {
	t.Helper()
	simOnce.Do(func() {
		dir, err := os.MkdirTemp("", "waymark-sim-bin-")
		if err != nil {
			simErr = err
			return
		}
		simBin = filepath.Join(dir, "simulate")
		if out, err := exec.Command("go", "build", "-o", simBin, "github.com/waymarkhq/waymark/collector-config/simulate").CombinedOutput(); err != nil {
			simErr = fmt.Errorf("build simulate: %v\n%s", err, out)
		}
	})
	if simErr != nil {
		t.Fatal(simErr)
	}
	dir := t.TempDir()
	if out, err := exec.Command(simBin, append([]string{"-out", dir}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("simulate: %v\n%s", err, out)
	}
	return dir
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if simBin != "" {
		os.RemoveAll(filepath.Dir(simBin))
	}
	os.Exit(code)
}

type section struct {
	Installs30d int `json:"installs_30d"`
	ServersLive int `json:"servers_live"`
	New         struct {
		Current int `json:"current"`
	} `json:"new"`
	Funnel []struct {
		Milestone string          `json:"milestone"`
		Installs  json.RawMessage `json:"installs"`
	} `json:"funnel"`
	Versions map[string]json.RawMessage `json:"versions"`
	Daily    []struct {
		Date string `json:"date"`
	} `json:"daily"`
}

func products(t *testing.T, out string) map[string]section {
	t.Helper()
	var top struct {
		Products map[string]section `json:"products"`
	}
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return top.Products
}

// A store with two products gives a section per service.name, and the CLI's
// funnel counts no server.
func TestSectionPerProduct(t *testing.T) {
	dir := simStore(t, "-installs", "800", "-days", "40", "-seed", "5", "-products", "acme,acme-server", "-servers", "12")
	code, out, errs := runCmd(t, "report", "--json", "--now", "2026-11-20", "--funnel", "first_run,first_project_created,first_deploy", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	ps := products(t, out)
	cli, srv := ps["acme"], ps["acme-server"]
	if len(ps) != 2 || cli.Installs30d == 0 || srv.Installs30d == 0 {
		t.Fatalf("sections %v, want acme and acme-server", ps)
	}
	if cli.ServersLive != 0 || srv.ServersLive == 0 {
		t.Errorf("servers_live: acme %d, acme-server %d; want 0 and some", cli.ServersLive, srv.ServersLive)
	}
	var first int
	if err := json.Unmarshal(cli.Funnel[0].Installs, &first); err != nil || first == 0 || first > cli.New.Current {
		t.Errorf("acme first_run %d (%v), new installs %d: the funnel counts the CLI's new installs only", first, err, cli.New.Current)
	}
	for _, s := range srv.Funnel {
		if string(s.Installs) != "0" {
			t.Errorf("acme-server funnel step %s counts %s installs; servers reach no milestone", s.Milestone, s.Installs)
		}
	}
	// --product keeps one section.
	_, out, _ = runCmd(t, "report", "--json", "--now", "2026-11-20", "--product", "acme-server", dir)
	if ps := products(t, out); len(ps) != 1 || ps["acme-server"].ServersLive != srv.ServersLive {
		t.Errorf("--product acme-server gave %v", ps)
	}
	// --range 7d: seven days.
	_, out, _ = runCmd(t, "report", "--json", "--now", "2026-11-20", "--range", "7d", "--product", "acme", dir)
	if d := products(t, out)["acme"].Daily; len(d) != 7 || d[6].Date != "2026-11-19" {
		t.Errorf("--range 7d daily = %v, want the 7 days to 2026-11-19", d)
	}
}

// --min-installs 3 over a store where one version has a single install shows
// that version only as fewer than 3, in JSON, text, HTML and CSV.
func TestMinInstallsHidesSmallGroups(t *testing.T) {
	dir := simStore(t, "-installs", "300", "-days", "20", "-seed", "6", "-servers", "-1")
	// One more install, alone on version 9.9.9.
	b, err := os.ReadFile(filepath.Join(dir, "logs.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	first := string(bytes.SplitN(b, []byte("\n"), 2)[0])
	var lone string
	{
		var l map[string]any
		_ = json.Unmarshal([]byte(first), &l)
		i := strings.Index(first, `"app.installation.id","value":{"stringValue":"`) + len(`"app.installation.id","value":{"stringValue":"`)
		lone = first[:i] + "99999999-9999-4999-8999-999999999999" + first[i+36:]
		j := strings.Index(lone, `"service.version","value":{"stringValue":"`) + len(`"service.version","value":{"stringValue":"`)
		k := strings.Index(lone[j:], `"`)
		lone = lone[:j] + "9.9.9" + lone[j+k:]
	}
	if err := os.WriteFile(filepath.Join(dir, "logs.jsonl"), append(b, lone+"\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	now := "2026-11-20"
	_, plain, _ := runCmd(t, "report", "--json", "--now", now, dir)
	if v := products(t, plain)["acme"].Versions["9.9.9"]; string(v) != "1" {
		t.Fatalf("without --min-installs, 9.9.9 = %s, want 1", v)
	}
	page := filepath.Join(t.TempDir(), "r.html")
	csvDir := filepath.Join(t.TempDir(), "csv")
	code, out, errs := runCmd(t, "report", "--json", "--min-installs", "3", "--html", page, "--csv", csvDir, "--now", now, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	acme := products(t, out)["acme"]
	if v := acme.Versions["9.9.9"]; string(v) != `"<3"` {
		t.Errorf("--min-installs 3: 9.9.9 = %s, want \"<3\"", v)
	}
	for v, n := range acme.Versions {
		var k int
		if json.Unmarshal(n, &k) == nil && k < 3 {
			t.Errorf("version %s shows %d installs", v, k)
		}
	}
	_, text, _ := runCmd(t, "report", "--min-installs", "3", "--now", now, dir)
	if !strings.Contains(text, "9.9.9") || !strings.Contains(text, "fewer than 3") {
		t.Errorf("text lacks 9.9.9 as fewer than 3:\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "9.9.9") && !strings.Contains(line, "fewer than 3") {
			t.Errorf("text shows 9.9.9 with a number: %q", line)
		}
	}
	html, _ := os.ReadFile(page)
	if !bytes.Contains(html, []byte("<th scope=\"row\">9.9.9</th><td>fewer than 3</td>")) {
		t.Errorf("HTML does not show 9.9.9 as fewer than 3")
	}
	csvVersions, err := os.ReadFile(filepath.Join(csvDir, "acme-versions.csv"))
	if err != nil || !bytes.Contains(csvVersions, []byte("9.9.9,<3")) {
		t.Errorf("CSV versions: %v\n%s", err, csvVersions)
	}
	for _, table := range []string{"summary", "daily", "version_adoption", "retention", "funnel", "versions", "platforms", "os", "arch", "runtimes", "servers", "errors"} {
		if _, err := os.Stat(filepath.Join(csvDir, "acme-"+table+".csv")); err != nil {
			t.Errorf("--csv wrote no %s table: %v", table, err)
		}
	}
}

// Golden outputs: the same simulated store (same seed) gives the same JSON and the same page.
func TestGoldenOutputs(t *testing.T) {
	dir := simStore(t, "-installs", "400", "-days", "45", "-seed", "42", "-products", "acme,acme-server", "-servers", "3", "-error-rate", "0.01")
	page := filepath.Join(t.TempDir(), "report.html")
	code, out, errs := runCmd(t, "report", "--json", "--html", page, "--range", "30d", "--now", "2026-11-19T18:00:00Z",
		"--funnel", "first_run,first_project_created,first_deploy", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	_, text, _ := runCmd(t, "report", "--now", "2026-11-19T18:00:00Z", "--funnel", "first_run,first_project_created,first_deploy", dir)
	for name, got := range map[string][]byte{"report.json": []byte(out), "report.html": html, "report.txt": []byte(text)} {
		path := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./cmd/waymark -run Golden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file (go test ./cmd/waymark -run Golden -update after checking the change)", name)
		}
	}
}

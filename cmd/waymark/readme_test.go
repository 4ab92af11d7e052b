package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeSaysWhatSetUpInstallsAndWhereTheReportLands keeps the README's set-up part true:
// it names the Debian packages and apt-get, that they need root or sudo, the backends built
// into bin/, what make clean removes, and the page the demo writes; and the demo and the
// package script still do what it says.
func TestReadmeSaysWhatSetUpInstallsAndWhereTheReportLands(t *testing.T) {
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.FromSlash(path))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	readme := read("../../README.md")
	const page = "bin/demo/report.html"
	for _, want := range []string{"apt-get", "Debian packages", "root", "sudo", "nginx", "curl", "chromium",
		"util-linux", "go install", "VictoriaMetrics", "VictoriaLogs", "Prometheus", "make clean", page} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not mention %q", want)
		}
	}
	demo := read("../../examples/demo.sh")
	if !strings.Contains(demo, `demo="$root/bin/demo"`) || !strings.Contains(demo, `--html "$demo/report.html"`) {
		t.Errorf("examples/demo.sh no longer writes %s, where README.md says the page lands", page)
	}
	pkgs := read("../../.ci/debian-packages.sh")
	for _, p := range []string{"nginx", "curl", "chromium", "util-linux", "sudo", "apt-get install"} {
		if !strings.Contains(pkgs, p) {
			t.Errorf(".ci/debian-packages.sh no longer has %q, which README.md describes", p)
		}
		if p != "apt-get install" && !strings.Contains(readme, p) {
			t.Errorf("README.md does not name %q, which .ci/debian-packages.sh installs", p)
		}
	}
}

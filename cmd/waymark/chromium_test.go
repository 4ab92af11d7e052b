package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// measurePage is a test-only wrapper: it loads the report in an iframe of the width under test
// (same origin, served on loopback) and writes what the browser measured into its own DOM,
// which chromium --dump-dom prints. The report itself has no script.
const measurePage = `<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="/report.html" style="width:%dpx;height:900px;border:0"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  var w = this.contentWindow, d = this.contentDocument;
  var figs = Array.prototype.slice.call(d.querySelectorAll('figure'));
  var r = {
    scrollWidth: d.documentElement.scrollWidth, innerWidth: w.innerWidth,
    figures: figs.length,
    figuresWithTable: figs.filter(function (f) { return f.querySelector('table'); }).length,
    charts: d.querySelectorAll('figure svg[viewBox]').length,
    tables: d.querySelectorAll('table').length,
    scripts: d.querySelectorAll('script').length,
    overflowing: Array.prototype.slice.call(d.querySelectorAll('*')).filter(function (e) {
      return e.clientWidth > 0 && e.scrollWidth > e.clientWidth;
    }).map(function (e) {
      return e.tagName.toLowerCase() + (e.className && e.className.baseVal === undefined ? '.' + e.className : '') +
        ' ' + e.scrollWidth + '>' + e.clientWidth + ' "' + (e.textContent || '').trim().slice(0, 40) + '"';
    }),
    fontSizes: {
      body: parseFloat(w.getComputedStyle(d.body).fontSize),
      chartLabel: (function () { var l = d.querySelector('.blabel'); return l ? parseFloat(w.getComputedStyle(l).fontSize) : 0; })()
    }
  };
  var out = document.createElement('pre'); out.id = 'result';
  out.textContent = 'RESULT' + JSON.stringify(r) + 'END';
  document.body.appendChild(out);
});
</script></body></html>`

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: bash .ci/debian-packages.sh installs it (make test runs it)")
	t.Fatal("chromium is not installed: apt-get install -y chromium (.ci/run installs it)")
	return ""
}

func runChromium(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--hide-scrollbars"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v", args, err)
	}
	return string(out)
}

// The page for a 60-day simulation, rendered by headless Chromium at 1280, 390 and 320 px: no
// element is wider than its box (nothing scrolls sideways, not even a table inside a scroll
// box), chart labels are text at the body's size (not SVG text scaled with the chart), the
// date is for people, and every chart is a figure with a table of its numbers. Screenshots are
// kept in bench/out/report-screens (git-ignored) for people to look at.
func TestPageInChromium(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Chromium check runs on Linux CI")
	}
	bin := chromium(t)
	dir := simStore(t, "-installs", "1500", "-days", "60", "-seed", "3", "-products", "acme,acme-server", "-servers", "4", "-error-rate", "0.01")
	page := filepath.Join(t.TempDir(), "report.html")
	if code, _, errs := runCmd(t, "report", "--html", page, "--now", "2026-11-20", "--min-installs", "3", dir); code != 0 {
		t.Fatalf("report: %s", errs)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if raw := regexp.MustCompile(`As of \d{4}-\d\d-\d\dT`).Find(html); raw != nil {
		t.Errorf("the page gives its date as a raw timestamp: %q", raw)
	}
	if !strings.Contains(string(html), "As of 20 November 2026, 00:00 UTC") {
		t.Errorf("the page lacks its date for people, \"As of 20 November 2026, 00:00 UTC\"")
	}
	if strings.Contains(string(html), "<svg viewBox=\"0 0 400") && strings.Contains(string(html), "<text") {
		t.Errorf("the page draws text inside a scaled chart SVG; its size would follow the chart's width")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/report.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(html)
	})
	mux.HandleFunc("/measure.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		width, err := strconv.Atoi(r.URL.Query().Get("w"))
		if err != nil {
			http.Error(w, "bad width", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, measurePage, width)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	shots, _ := filepath.Abs(filepath.Join("..", "..", "bench", "out", "report-screens"))
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	result := regexp.MustCompile(`RESULT(\{.*?\})END`)
	for _, w := range []int{1280, 390, 320} {
		dom := runChromium(t, bin, "--window-size=1400,1000", "--virtual-time-budget=5000", "--dump-dom", fmt.Sprintf("%s/measure.html?w=%d", srv.URL, w))
		m := result.FindStringSubmatch(strings.NewReplacer("&quot;", `"`, "&gt;", ">", "&lt;", "<", "&amp;", "&").Replace(dom))
		if m == nil {
			t.Fatalf("width %d: no measurement in the dumped DOM:\n%.2000s", w, dom)
		}
		var r struct {
			ScrollWidth, InnerWidth, Figures, FiguresWithTable, Charts, Tables, Scripts int
			Overflowing                                                                 []string
			FontSizes                                                                   struct{ Body, ChartLabel float64 }
		}
		if err := json.Unmarshal([]byte(m[1]), &r); err != nil {
			t.Fatal(err)
		}
		t.Logf("width %d: %+v", w, r)
		if r.InnerWidth != w || r.ScrollWidth > r.InnerWidth {
			t.Errorf("width %d: document scrollWidth %d > innerWidth %d: the page scrolls sideways", w, r.ScrollWidth, r.InnerWidth)
		}
		if len(r.Overflowing) > 0 {
			t.Errorf("width %d: %d elements are wider than their box (scrollWidth > clientWidth): %q", w, len(r.Overflowing), r.Overflowing)
		}
		if r.FontSizes.ChartLabel < 0.85*r.FontSizes.Body || r.FontSizes.ChartLabel > r.FontSizes.Body {
			t.Errorf("width %d: chart labels are %.1f px against the body's %.1f px", w, r.FontSizes.ChartLabel, r.FontSizes.Body)
		}
		// Per product: daily, adoption, funnel, retention, versions, platforms, runtimes.
		if r.Figures < 14 || r.FiguresWithTable != r.Figures || r.Charts < 4 || r.Scripts != 0 {
			t.Errorf("width %d: %d figures, %d with a table, %d charts, %d scripts", w, r.Figures, r.FiguresWithTable, r.Charts, r.Scripts)
		}
		shot := filepath.Join(shots, fmt.Sprintf("report-%d.png", w))
		runChromium(t, bin, fmt.Sprintf("--window-size=%d,2400", w), "--screenshot="+shot, srv.URL+"/report.html")
		if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
			t.Errorf("screenshot %s: %v", shot, err)
		}
	}
	t.Logf("screenshots in %s", shots)
}

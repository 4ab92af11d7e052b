package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// The page holds the longest values the collector accepts, none with a
// space to break at: a 32-character product name, 64-character milestone
// names, 64-character versions and a long error type. At 320 and 390 px no
// element is wider than its box.
func TestPageWithLongestNamesFitsNarrowScreens(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Chromium check runs on Linux CI")
	}
	bin := chromium(t)
	product := strings.Repeat("a", 32)
	server := "s" + strings.Repeat("b", 31)
	dir := simStore(t, "-installs", "300", "-days", "60", "-seed", "3", "-products", product+","+server, "-servers", "4", "-error-rate", "0.01")
	milestone := strings.Repeat("m", 64)
	version := "1.0.0-" + strings.Repeat("r", 58)
	errType := "*github.com/acme/" + strings.Repeat("e", 90) + ".Error"
	repl := strings.NewReplacer("first_project_created", milestone, `"1.3.0"`, `"`+version+`"`, `"*net.OpError"`, `"`+errType+`"`)
	for _, f := range []string{"logs.jsonl", "metrics.jsonl"} {
		p := filepath.Join(dir, f)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(repl.Replace(string(b))), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if code, _, errs := runCmd(t, "report", "--html", page, "--now", "2026-11-20", "--min-installs", "3", dir); code != 0 {
		t.Fatalf("report: %s", errs)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{product, milestone, version} {
		if !bytes.Contains(html, []byte(v)) {
			t.Fatalf("the page does not show %q: the test data lost it", v)
		}
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
	result := regexp.MustCompile(`RESULT(\{.*?\})END`)
	for _, w := range []int{390, 320} {
		dom := runChromium(t, bin, "--window-size=1400,1000", "--virtual-time-budget=5000", "--dump-dom", fmt.Sprintf("%s/measure.html?w=%d", srv.URL, w))
		m := result.FindStringSubmatch(strings.NewReplacer("&quot;", `"`, "&gt;", ">", "&lt;", "<", "&amp;", "&").Replace(dom))
		if m == nil {
			t.Fatalf("width %d: no measurement in the dumped DOM:\n%.2000s", w, dom)
		}
		var r struct {
			ScrollWidth, InnerWidth int
			Overflowing             []string
		}
		if err := json.Unmarshal([]byte(m[1]), &r); err != nil {
			t.Fatal(err)
		}
		if r.InnerWidth != w || r.ScrollWidth > r.InnerWidth {
			t.Errorf("width %d: document scrollWidth %d > innerWidth %d: the page scrolls sideways", w, r.ScrollWidth, r.InnerWidth)
		}
		if len(r.Overflowing) > 0 {
			t.Errorf("width %d: %d elements are wider than their box: %q", w, len(r.Overflowing), r.Overflowing)
		}
	}
}

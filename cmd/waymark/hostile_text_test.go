package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// hostileTexts are error texts a client can send to make a spreadsheet run a
// formula or a terminal obey it.
var hostileTexts = []string{
	"-1+2", `-2+3+HYPERLINK("http://evil.example","x")`, "=cmd|' /C calc'!A0", "+1+1", "@SUM(1,2)",
	"\t=1+1", "\r=1+1", "\x1b]0;pwned\x07title", "csi\u009b31m", "\u202etxt.exe", "iso\u2066late\u2069",
}

// rawControl reports what no output for a person may hold raw: ESC, BEL and
// the other C0 controls but newline and tab, DEL, C1, and the invisible
// format characters (bidirectional controls among them).
func rawControl(r rune) bool {
	return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r)
}

// Hostile error texts in the collector's files: no CSV cell starts a formula
// unless it is a plain number, and neither --json nor the text report holds
// a raw control character.
func TestHostileErrorTextsAreDisarmedInReports(t *testing.T) {
	dir := simStore(t, "-installs", "200", "-days", "10", "-seed", "7", "-servers", "-1", "-error-rate", "0.2")
	path := filepath.Join(dir, "logs.jsonl")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	next := func() string {
		s := hostileTexts[i%len(hostileTexts)]
		i++
		q, _ := json.Marshal(s)
		return string(q)
	}
	re := regexp.MustCompile(`("key":"exception\.(?:message|type)","value":\{"stringValue":)"(?:[^"\\]|\\.)*"`)
	out := re.ReplaceAllStringFunc(string(b), func(m string) string {
		return re.FindStringSubmatch(m)[1] + next()
	})
	if i < len(hostileTexts) {
		t.Fatalf("the simulated store holds only %d exception texts to replace", i)
	}
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	csvDir := filepath.Join(t.TempDir(), "csv")
	now := "2026-11-20"
	code, js, errs := runCmd(t, "report", "--json", "--csv", csvDir, "--now", now, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(js, "txt.exe") || !strings.Contains(js, "31m") {
		t.Fatalf("--json does not hold the hostile texts, escaped: the test proves nothing\n%.2000s", js)
	}
	for _, r := range js {
		if rawControl(r) {
			t.Errorf("--json holds %U raw", r)
			break
		}
	}
	_, text, _ := runCmd(t, "report", "--now", now, dir)
	for _, r := range text {
		if rawControl(r) {
			t.Errorf("the text report holds %U raw", r)
			break
		}
	}
	f, err := os.Open(filepath.Join(csvDir, "acme-errors.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	plain := regexp.MustCompile(`^[-+]?[0-9]*\.?[0-9]+$`)
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		for _, cell := range row {
			seen[strings.TrimPrefix(cell, "'")] = true
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !plain.MatchString(cell) {
				t.Errorf("CSV cell %q starts a formula", cell)
			}
		}
	}
	for _, h := range hostileTexts[:7] {
		if !seen[h] {
			t.Errorf("the CSV does not hold %q (escaped): the test proves nothing for it", h)
		}
	}
}

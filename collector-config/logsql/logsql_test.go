package logsql

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReadmeHoldsTheQueries checks that collector-config/README.md shows exactly these
// queries, in this order, each in a ```logsql block right after a line naming it.
func TestReadmeHoldsTheQueries(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)\\*\\*`([a-z0-9_]+)`\\*\\*[^\n]*\n+```logsql\n(.*?)\n```").FindAllStringSubmatch(string(b), -1)
	if n := strings.Count(string(b), "```logsql\n"); n != len(blocks) {
		t.Errorf("README.md has %d logsql blocks, %d of them after a **`name`** line", n, len(blocks))
	}
	qs := Queries()
	if len(blocks) != len(qs) {
		t.Errorf("README.md shows %d queries, the package has %d", len(blocks), len(qs))
	}
	for i := 0; i < len(blocks) && i < len(qs); i++ {
		if blocks[i][1] != qs[i].Name || blocks[i][2] != qs[i].LogsQL {
			t.Errorf("README.md query %d is %s:\n%s\nwant %s:\n%s", i+1, blocks[i][1], blocks[i][2], qs[i].Name, qs[i].LogsQL)
		}
	}
}

func TestQueriesTable(t *testing.T) {
	seen := map[string]bool{}
	for _, q := range Queries() {
		if seen[q.Name] || q.Name == "" || q.Question == "" || q.LogsQL == "" || len(q.Values) == 0 {
			t.Errorf("query %q: empty or repeated field", q.Name)
		}
		seen[q.Name] = true
		if len(q.Group) == 0 || q.Group[0] != "service.name" || !strings.Contains(q.LogsQL, "by (service.name") {
			t.Errorf("%s: must group by service.name first", q.Name)
		}
		for _, f := range append(append([]string{}, q.Group...), q.Values...) {
			if !strings.Contains(q.LogsQL, f) {
				t.Errorf("%s: field %s is not in the query", q.Name, f)
			}
		}
		if g, ok := Get(q.Name); !ok || g.LogsQL != q.LogsQL {
			t.Errorf("Get(%q) = %v, %v", q.Name, g, ok)
		}
	}
	if _, ok := Get("nope"); ok {
		t.Error("Get found a query that does not exist")
	}
	qs := Queries()
	qs[0].LogsQL = "changed"
	if Queries()[0].LogsQL == "changed" {
		t.Error("Queries returns the package's own table")
	}
}

func TestParseRows(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Row
		err  bool
	}{
		{"", nil, false},
		{"\n\n", nil, false},
		{`{"service.name":"acme","installs":"3"}` + "\n", []Row{{"service.name": "acme", "installs": "3"}}, false},
		{"{\"a\":\"1\"}\n\n{\"a\":\"2\"}", []Row{{"a": "1"}, {"a": "2"}}, false},
		{`{"a":1}`, nil, true},
		{`null`, nil, true},
		{`[1]`, nil, true},
		{`{"a":"1"`, nil, true},
	} {
		got, err := ParseRows(strings.NewReader(tc.in))
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseRows(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	const limit = 1 << 10
	big := `{"a":"` + strings.Repeat("x", limit) + `"}`
	if _, err := parseRows(strings.NewReader(big), limit); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a row over the limit: %v, want ErrTooLarge", err)
	}
	many := strings.Repeat(`{"a":"`+strings.Repeat("x", 100)+`"}`+"\n", limit/100)
	if _, err := parseRows(strings.NewReader(many), limit); !errors.Is(err, ErrTooLarge) {
		t.Errorf("rows over the limit: %v, want ErrTooLarge", err)
	}
	if rows, err := parseRows(strings.NewReader(many), len(many)); err != nil || len(rows) != limit/100 {
		t.Errorf("rows up to the limit: %d rows, %v", len(rows), err)
	}
}

func FuzzParseRows(f *testing.F) {
	f.Add(`{"service.name":"acme","installs":"3"}` + "\n")
	f.Add("{}\n{\"a\":\"\\u0000\"}\n")
	f.Add(`{"a":["b"]}`)
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ParseRows(strings.NewReader(in))
		if err != nil && rows != nil {
			t.Fatalf("rows and an error: %v %v", rows, err)
		}
		for _, r := range rows {
			if r == nil {
				t.Fatal("a nil row")
			}
		}
	})
}

func TestRun(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 5, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/select/logsql/query" {
			http.Error(w, "wrong endpoint "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		if r.FormValue("time") != "2026-11-27T10:00:00.000000005Z" {
			http.Error(w, "time "+r.FormValue("time"), http.StatusBadRequest)
			return
		}
		if r.FormValue("query") == "bad" {
			http.Error(w, "cannot parse query", http.StatusBadRequest)
			return
		}
		w.Write([]byte(`{"q":` + `"` + r.FormValue("query") + `"}` + "\n"))
	}))
	defer srv.Close()
	rows, err := Run(context.Background(), srv.Client(), srv.URL+"/", "* | count()", now)
	if err != nil || len(rows) != 1 || rows[0]["q"] != "* | count()" {
		t.Errorf("Run = %v, %v", rows, err)
	}
	if _, err := Run(context.Background(), srv.Client(), srv.URL, "bad", now); err == nil || !strings.Contains(err.Error(), "cannot parse query") {
		t.Errorf("Run of a bad query: %v", err)
	}
}

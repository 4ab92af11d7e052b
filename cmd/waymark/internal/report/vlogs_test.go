package report

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The VictoriaLogs source is shown equal to Files against a real VictoriaLogs in
// collector-config (TestReportVictoriaLogs, TestReportVictoriaLogsCluster). These tests check
// how it reads answers, against a fake that answers each query with the rows answer gives.

func fakeVictoriaLogs(t *testing.T, answer func(query string) (int, string)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/select/logsql/query" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		code, body := answer(r.FormValue("query"))
		w.WriteHeader(code)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestVictoriaLogsFirstSeenAtNow(t *testing.T) {
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) // midnight: Now's own day is after the range
	url := fakeVictoriaLogs(t, func(q string) (int, string) {
		if strings.Contains(q, "| stats by (service.name, _time:1d) count() as installs") {
			// Windows are absolute instants.
			if !strings.Contains(q, "_time:[2026-06-23T00:00:00Z, 2026-11-20T00:00:00Z]") {
				t.Errorf("first-seen query without the report's windows:\n%s", q)
			}
			return 200, `{"service.name":"acme","_time":"2026-11-20T00:00:00Z","installs":"2","active":"2","previous":"0","day":"2","a1":"0","a2":"0","a3":"0","a4":"0","a5":"0","a6":"0","a7":"0","a8":"0","a9":"0","a10":"0","a11":"0","a12":"0"}
{"service.name":"acme","_time":"2026-11-19T00:00:00Z","installs":"3","active":"3","previous":"0","day":"3","a1":"0","a2":"0","a3":"0","a4":"0","a5":"0","a6":"0","a7":"0","a8":"0","a9":"0","a10":"0","a11":"0","a12":"0"}
{"service.name":"acme","_time":"2026-10-21T00:00:00Z","installs":"4","active":"1","previous":"4","day":"0","a1":"0","a2":"0","a3":"0","a4":"0","a5":"0","a6":"0","a7":"0","a8":"0","a9":"0","a10":"0","a11":"0","a12":"0"}
{"service.name":"acme","_time":"2026-10-20T00:00:00Z","installs":"5","active":"0","previous":"5","day":"0","a1":"0","a2":"0","a3":"0","a4":"0","a5":"0","a6":"0","a7":"0","a8":"0","a9":"0","a10":"0","a11":"0","a12":"0"}
`
		}
		return 200, ""
	})
	var st QueryStats
	aggs, err := VictoriaLogs{URL: url, Stats: &st}.Aggregate(Query{Now: now, RangeDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	g := aggs["acme"]
	if g == nil || g.New != 9 || g.NewPrev != 5 || g.Daily[29].New != 5 || g.Daily[0].New != 4 {
		t.Fatalf("new installs: %+v", g)
	}
	if g.Active != 6 || g.ActivePrev != 9 || g.Installs1d != 5 {
		t.Errorf("active %d, previous %d, last day %d; want the rows' sums 6, 9, 5", g.Active, g.ActivePrev, g.Installs1d)
	}
	if st.Queries != 9 || st.Rows != 4 {
		t.Errorf("stats %+v: want every query counted and 4 rows", st)
	}
}

func TestVictoriaLogsBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		code int
		body string
		want string
	}{
		{500, "storage is broken", "storage is broken"},
		{200, `{"service.name":"acme","_time":"2026-01-05T00:00:00Z","installs":"1","active":"many","previous":"1","day":"0"}`, `"many"`},
		{200, `{"service.name":"acme","_time":"2026-01-05T00:00:00Z","installs":"1","active":"-1","previous":"1","day":"0"}`, `"-1"`},
		{200, `{"service.name":"acme","_time":"yesterday","installs":"1","active":"1","previous":"1","day":"0"}`, `"yesterday"`},
		{200, `not json`, "row 1"},
	} {
		url := fakeVictoriaLogs(t, func(q string) (int, string) {
			if strings.Contains(q, "as previous") {
				return tc.code, tc.body
			}
			return 200, ""
		})
		_, err := VictoriaLogs{URL: url}.Aggregate(Query{Now: time.Now(), RangeDays: 7})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d %q: error %v, want one with %q", tc.code, tc.body, err, tc.want)
		}
	}
}

// FuzzVictoriaLogsAnswer answers every query with the same arbitrary body: the source returns
// aggregates or an error, and the report is built and written, without a panic.
func FuzzVictoriaLogsAnswer(f *testing.F) {
	f.Add(`{"service.name":"acme","active":"3","previous":"1","installs":"2","version":"1.0.0","os":"linux","arch":"amd64","runtime":"go1.25.0"}`)
	f.Add(`{"service.name":"acme","_time":"2026-11-19T00:00:00Z","installs":"3","version":"1.2.0","a1":"1","a2":"0","a3":"2"}`)
	f.Add(`{"service.name":"acme","_time":"2026-11-02T00:00:00Z","installs":"3","active":"3","previous":"0","day":"1","a1":"1","a2":"0","a3":"2","r0":"1"}`)
	f.Add(`{"service.name":"acme","milestone.name":"first_run","r0":"4","n0":"4","interval":"3600","live":"2","uptime":"12.5"}`)
	f.Add(`{"service.name":"acme","n0":"4","n1":"2","m1":"1e12","exception.type":"E","exception.message":"m","reports":"3"}`)
	f.Add(`{"service.name":"acme","_time":"1970-01-01T00:00:00Z","installs":"1"}` + "\n" + `{"service.name":"","installs":"x"}`)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, body)
		}))
		defer srv.Close()
		for _, q := range []Query{{Now: now, RangeDays: 7}, {Now: now, RangeDays: 30, Funnel: []string{"first_run", "first_deploy"}}} {
			r, err := Make(VictoriaLogs{URL: srv.URL}, Options{Query: q, MinInstalls: 2})
			if err != nil {
				continue
			}
			if err := WriteJSON(io.Discard, r); err != nil {
				t.Fatal(err)
			}
			if err := WriteText(io.Discard, r); err != nil {
				t.Fatal(err)
			}
		}
	})
}

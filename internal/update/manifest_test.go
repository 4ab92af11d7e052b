package update

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const goodManifest = `{
  "latest": "1.5.0",
  "url": "https://acme.dev/releases/1.5.0",
  "alerts": [
    {"id": "ACME-1", "affected": "<1.4.3", "message": "Upgrade now.", "url": "https://acme.dev/security/1"},
    {"id": "ACME-2", "affected": ">=2.0.0 <2.0.5", "message": "Token leak."}
  ],
  "future_key": {"anything": [1, 2, {"x": null}]}
}`

func TestParse(t *testing.T) {
	m, err := Parse([]byte(goodManifest))
	if err != nil {
		t.Fatal(err)
	}
	want := Manifest{
		Latest: "1.5.0",
		URL:    "https://acme.dev/releases/1.5.0",
		Alerts: []Alert{
			{ID: "ACME-1", Affected: "<1.4.3", Message: "Upgrade now.", URL: "https://acme.dev/security/1"},
			{ID: "ACME-2", Affected: ">=2.0.0 <2.0.5", Message: "Token leak."},
		},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("Parse = %+v\nwant %+v", m, want)
	}
}

func TestParseTolerant(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Manifest
	}{
		{"empty object", `{}`, Manifest{}},
		{"nulls are absent", `{"latest":null,"url":null,"alerts":null}`, Manifest{}},
		{"only alerts", `{"alerts":[{"id":"a","affected":"<1","message":"m"}]}`,
			Manifest{Alerts: []Alert{{ID: "a", Affected: "<1", Message: "m"}}}},
		{"unknown keys", `{"latest":"1.0.0","Latest":5,"x":[{}],"y":{"z":true}}`, Manifest{Latest: "1.0.0"}},
		{"unknown alert keys", `{"alerts":[{"id":"a","affected":"<1","message":"m","severity":9}]}`,
			Manifest{Alerts: []Alert{{ID: "a", Affected: "<1", Message: "m"}}}},
		{"white space", " \n\t{\"latest\" : \"2.0.0\"}\n", Manifest{Latest: "2.0.0"}},
		{"unicode text", `{"alerts":[{"id":"a","affected":"<1","message":"Mise à jour — 安全"}]}`,
			Manifest{Alerts: []Alert{{ID: "a", Affected: "<1", Message: "Mise à jour — 安全"}}}},
		// Versions and ranges are judged later, by Notices.
		{"unknown range syntax", `{"latest":"next","alerts":[{"id":"a","affected":"^1.2","message":"m"}]}`,
			Manifest{Latest: "next", Alerts: []Alert{{ID: "a", Affected: "^1.2", Message: "m"}}}},
		{"32 alerts", `{"alerts":[` + strings.TrimSuffix(strings.Repeat(`{"id":"a","affected":"<1","message":"m"},`, 32), ",") + `]}`,
			Manifest{Alerts: repeatAlert(Alert{ID: "a", Affected: "<1", Message: "m"}, 32)}},
		{"1 KiB string", `{"latest":"` + strings.Repeat("x", 1024) + `"}`, Manifest{Latest: strings.Repeat("x", 1024)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, tc.want) {
				t.Fatalf("Parse = %+v\nwant %+v", m, tc.want)
			}
		})
	}
}

func repeatAlert(a Alert, n int) []Alert {
	out := make([]Alert, n)
	for i := range out {
		out[i] = a
	}
	return out
}

func TestParseMalformed(t *testing.T) {
	alert := func(fields string) string { return `{"alerts":[{` + fields + `}]}` }
	for _, tc := range []struct{ name, in string }{
		{"empty", ``},
		{"white space", "  \n"},
		{"null", `null`},
		{"array", `[]`},
		{"string", `"1.5.0"`},
		{"number", `5`},
		{"invalid JSON", `{"latest":"1.5.0"`},
		{"trailing garbage", `{"latest":"1.5.0"} x`},
		{"two objects", `{}{}`},
		{"latest is a number", `{"latest":5}`},
		{"latest is an object", `{"latest":{"v":"1"}}`},
		{"latest is a bool", `{"latest":true}`},
		{"url is an array", `{"url":["https://x"]}`},
		{"alerts is a string", `{"alerts":"x"}`},
		{"alerts is an object", `{"alerts":{"id":"a"}}`},
		{"alerts is a number", `{"alerts":1}`},
		{"alert is a string", `{"alerts":["a"]}`},
		{"alert is null", `{"alerts":[null]}`},
		{"alert id is a number", alert(`"id":1,"affected":"<1","message":"m"`)},
		{"alert message is an array", alert(`"id":"a","affected":"<1","message":["m"]`)},
		{"alert without id", alert(`"affected":"<1","message":"m"`)},
		{"alert with empty id", alert(`"id":"","affected":"<1","message":"m"`)},
		{"alert without affected", alert(`"id":"a","message":"m"`)},
		{"alert without message", alert(`"id":"a","affected":"<1"`)},
		{"alert url not http", alert(`"id":"a","affected":"<1","message":"m","url":"javascript:alert(1)"`)},
		{"url relative", `{"url":"/releases"}`},
		{"url file", `{"url":"file:///etc/passwd"}`},
		{"url without host", `{"url":"https://"}`},
		{"control character", `{"latest":"1.5.0\u001b[31m"}`},
		{"newline in message", alert(`"id":"a","affected":"<1","message":"line1\nline2"`)},
		{"bidi override", alert(`"id":"a","affected":"<1","message":"abc\u202edef"`)},
		{"C1 control", alert(`"id":"a","affected":"<1","message":"abc\u009bdef"`)},
		{"invalid UTF-8", "{\"latest\":\"\xff\xfe\"}"},
		{"33 alerts", `{"alerts":[` + strings.TrimSuffix(strings.Repeat(`{"id":"a","affected":"<1","message":"m"},`, 33), ",") + `]}`},
		{"string over 1 KiB", `{"latest":"` + strings.Repeat("x", 1025) + `"}`},
		{"escaped string over 1 KiB", `{"latest":"` + strings.Repeat(`\u00e9`, 513) + `"}`},
		{"body over 64 KiB", `{"pad":"` + strings.Repeat(" ", 64<<10) + `"}`},
		{"deep nesting", `{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", m)
			}
			if !strings.HasPrefix(err.Error(), "update: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if !reflect.DeepEqual(m, Manifest{}) {
				t.Errorf("Parse returned %+v with its error, want the zero Manifest", m)
			}
		})
	}
}

func TestFetch(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("method %s, want GET", r.Method)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, goodManifest)
	})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, goodManifest)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/wrong-latest", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"latest":5}`) })
	mux.HandleFunc("/wrong-alerts", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"alerts":"x"}`) })
	mux.HandleFunc("/invalid", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"latest":`) })
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `<html>hi</html>`) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()

	m, err := Fetch(ctx, srv.Client(), srv.URL+"/ok")
	if err != nil || m.Latest != "1.5.0" || len(m.Alerts) != 2 {
		t.Fatalf("Fetch /ok = %+v, %v", m, err)
	}
	if m, err := Fetch(ctx, srv.Client(), srv.URL+"/redirect"); err != nil || m.Latest != "1.5.0" {
		t.Errorf("Fetch /redirect = %+v, %v", m, err)
	}
	for _, path := range []string{"/missing", "/error", "/wrong-latest", "/wrong-alerts", "/invalid", "/html"} {
		if m, err := Fetch(ctx, srv.Client(), srv.URL+path); err == nil {
			t.Errorf("Fetch %s = %+v, want an error", path, m)
		} else if !strings.HasPrefix(err.Error(), "update: ") {
			t.Errorf("Fetch %s: error %q lacks the package prefix", path, err)
		}
	}
	for _, u := range []string{"", "ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1/x", "http://"} {
		if _, err := Fetch(ctx, nil, u); err == nil {
			t.Errorf("Fetch(%q) succeeded", u)
		}
	}
}

// TestFetchHuge serves an endless body, with and without a Content-Length,
// and checks that Fetch gives up after 64 KiB + 1 bytes instead of reading it.
func TestFetchHuge(t *testing.T) {
	const total = 256 << 20
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/declared" {
			w.Header().Set("Content-Length", fmt.Sprint(total))
		}
		chunk := []byte(`{"pad":"` + strings.Repeat("x", 32<<10))
		for n := 0; n < total; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			written.Add(int64(len(chunk)))
			chunk = []byte(strings.Repeat("x", 32<<10))
		}
	}))
	defer srv.Close()
	for _, path := range []string{"/declared", "/chunked"} {
		written.Store(0)
		m, err := Fetch(context.Background(), srv.Client(), srv.URL+path)
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("Fetch %s = %+v, %v; want a too-large error", path, m, err)
		}
		// The server is cut off long before it is done: a few socket
		// buffers' worth, not 256 MiB.
		srv.CloseClientConnections()
		if w := written.Load(); w > 64<<20 {
			t.Errorf("Fetch %s let the server write %d bytes", path, w)
		}
	}
}

// TestFetchGzipBomb serves a small gzip body that inflates to 4 MiB: the cap
// applies to what is inflated.
func TestFetchGzipBomb(t *testing.T) {
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	zw.Write([]byte(`{"pad":"`))
	zw.Write(make([]byte, 4<<20))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", fmt.Sprint(body.Len()))
		w.Write(body.Bytes())
	}))
	defer srv.Close()
	m, err := Fetch(context.Background(), srv.Client(), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Fetch = %+v, %v; want a too-large error", m, err)
	}
}

// TestFetchLyingLength speaks raw HTTP to send bodies that disagree with
// their Content-Length.
func TestFetchLyingLength(t *testing.T) {
	for _, tc := range []struct {
		name, length, body string
	}{
		// Claims 12 bytes, sends a valid manifest after them: only 12 are
		// read, and they are not a manifest.
		{"shorter than body", "12", `{"latest":"1.5.0","pad":"` + strings.Repeat("x", 200<<10) + `"}`},
		// Claims more than it sends, then closes.
		{"longer than body", "5000", `{"latest":"1.5.0"}`},
		// Claims far more than the cap and sends nothing.
		{"over the cap", "99999999999", ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				defer conn.Close()
				writeRaw(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "+tc.length+"\r\nConnection: close\r\n\r\n"+tc.body)
			}))
			defer srv.Close()
			m, err := Fetch(context.Background(), srv.Client(), srv.URL)
			if err == nil {
				t.Fatalf("Fetch = %+v, want an error", m)
			}
		})
	}
}

func writeRaw(w *bufio.ReadWriter, s string) {
	w.WriteString(s)
	w.Flush()
}

func TestFetchSlowServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Fetch(ctx, srv.Client(), srv.URL)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Fetch took %v after a 100ms deadline", d)
	}
}

// TestFetchSlowBody sends headers at once and then stalls the body: the
// deadline still applies to the read.
func TestFetchSlowBody(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"latest":`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := Fetch(ctx, srv.Client(), srv.URL); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch = %v, want context.DeadlineExceeded", err)
	}
}

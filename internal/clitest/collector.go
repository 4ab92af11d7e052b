// Package clitest is the black-box harness for the example CLIs built on
// Waymark's framework integrations (examples/cobra, examples/urfave, each
// its own module): it builds an example with `go build` from its folder,
// runs it with a fresh HOME and an explicit environment (no CI variables,
// no OTEL_*), on pipes or on a pseudo-terminal, against a loopback OTLP/HTTP
// endpoint that decodes what arrives with the OTLP proto messages. It also
// holds the behaviour both examples must show (Contract). It is used only by
// tests and never touches the real home.
package clitest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/schema"
)

// Request is one OTLP/HTTP request as the endpoint received it.
type Request struct {
	Path    string
	Header  http.Header
	Body    []byte // gunzipped
	Logs    *collogspb.ExportLogsServiceRequest
	Metrics *colmetricspb.ExportMetricsServiceRequest
}

// Event is one log record flattened with its resource.
type Event struct {
	Name     string
	Attrs    map[string]string
	Resource map[string]string
}

// Collector is a loopback OTLP/HTTP endpoint that records what it receives
// and answers 200 (or Status).
type Collector struct {
	URL  string
	mu   sync.Mutex
	reqs []Request
	// Status, if set, is the HTTP status to answer with.
	Status int
	// Delay, if set, holds answers back this long: every answer, or only
	// those to DelayPath when that is set.
	Delay     time.Duration
	DelayPath string
}

// NewCollector starts a Collector on a free loopback port for the test.
func NewCollector(t testing.TB) *Collector {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return Serve(t, ln)
}

// Serve starts a Collector on ln for the test.
func Serve(t testing.TB, ln net.Listener) *Collector {
	c := &Collector{URL: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(c.handle)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return c
}

func (c *Collector) handle(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	body := raw
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		body, _ = io.ReadAll(zr)
	}
	req := Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	switch r.URL.Path {
	case "/v1/logs":
		req.Logs = new(collogspb.ExportLogsServiceRequest)
		if err := proto.Unmarshal(body, req.Logs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	case "/v1/metrics":
		req.Metrics = new(colmetricspb.ExportMetricsServiceRequest)
		if err := proto.Unmarshal(body, req.Metrics); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	c.mu.Lock()
	c.reqs = append(c.reqs, req)
	status, delay := c.Status, c.Delay
	if c.DelayPath != "" && c.DelayPath != r.URL.Path {
		delay = 0
	}
	c.mu.Unlock()
	time.Sleep(delay)
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// Requests returns a copy of what arrived so far.
func (c *Collector) Requests() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Request(nil), c.reqs...)
}

// Events flattens every log record received so far.
func (c *Collector) Events() []Event {
	var out []Event
	for _, r := range c.Requests() {
		if r.Logs == nil {
			continue
		}
		for _, rl := range r.Logs.ResourceLogs {
			res := AttrMap(rl.GetResource().GetAttributes())
			for _, sl := range rl.ScopeLogs {
				for _, lr := range sl.LogRecords {
					out = append(out, Event{Name: lr.EventName, Attrs: AttrMap(lr.Attributes), Resource: res})
				}
			}
		}
	}
	return out
}

// Named returns the received events with the given name.
func (c *Collector) Named(name string) []Event {
	var out []Event
	for _, e := range c.Events() {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// Milestones returns the milestone.name of every waymark.milestone event
// received so far, duplicates included.
func (c *Collector) Milestones() []string {
	var out []string
	for _, e := range c.Named(schema.EventMilestone) {
		out = append(out, e.Attrs[schema.AttrMilestoneName])
	}
	return out
}

// WaitFor polls until cond holds or timeout passes, and reports whether it held.
func (c *Collector) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// AttrMap flattens OTLP attributes into key → value text.
func AttrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		switch x := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.Key] = x.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.Key] = fmt.Sprint(x.IntValue)
		case *commonpb.AnyValue_BoolValue:
			m[kv.Key] = fmt.Sprint(x.BoolValue)
		default:
			m[kv.Key] = kv.GetValue().String()
		}
	}
	return m
}

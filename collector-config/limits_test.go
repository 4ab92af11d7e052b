package collectorconfig_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/collector-config/internal/otlpgen"
	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/statedir"
)

// bodyLimit is the receiver's max_request_body_size in ingest.yaml.
func bodyLimit(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("ingest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s+max_request_body_size: (\d+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("ingest.yaml sets no max_request_body_size")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// compress encodes b with Content-Encoding enc (gzip, zlib or deflate, which the receiver
// reads as zlib).
func compress(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser = gzip.NewWriter(&buf)
	if enc != "gzip" {
		w = zlib.NewWriter(&buf)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// postEncoded posts a compressed protobuf body and returns the status code.
func postEncoded(t *testing.T, endpoint, enc string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/v1/logs", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", enc)
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestBodyLimitAppliesAfterDecompression posts, gzipped and zlib-compressed, requests of a
// few KiB on the wire whose decoded bodies are just over and just under the receiver's
// limit. Over: refused with 400, nothing of it stored. Under: accepted and stored. So the
// limit bounds what a request decodes to, not only the bytes on the wire.
func TestBodyLimitAppliesAfterDecompression(t *testing.T) {
	c := startCollector(t, nil)
	limit := bodyLimit(t)
	now := time.Now()
	// request is an install's usage event padded (in an attribute the allowlist removes)
	// to decode to exactly size bytes.
	request := func(in otlpgen.Install, size int) []byte {
		ld := otlpgen.Logs(in, otlpgen.Event("waymark.usage", now, otlpgen.Str("padding", "")))
		base, _ := proto.Marshal(ld)
		pad := size - len(base) - 8 // the lengths' varints grow by a few bytes
		ld.ResourceLogs[0].ScopeLogs[0].LogRecords[0].Attributes[1] = otlpgen.Str("padding", canary+strings.Repeat("x", pad))
		b, _ := proto.Marshal(ld)
		for len(b) != size { // settle the varints
			pad += size - len(b)
			ld.ResourceLogs[0].ScopeLogs[0].LogRecords[0].Attributes[1] = otlpgen.Str("padding", canary+strings.Repeat("x", pad))
			b, _ = proto.Marshal(ld)
		}
		return b
	}
	var over, under []string
	for _, enc := range []string{"gzip", "zlib", "deflate"} {
		refused := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
		body := compress(t, enc, request(refused, limit+1))
		if code := postEncoded(t, c.Endpoint, enc, body); code != http.StatusBadRequest {
			t.Errorf("%s: %d bytes on the wire decoding to %d: status %d, want 400", enc, len(body), limit+1, code)
		}
		t.Logf("%s: %d bytes on the wire decoding to %d (limit + 1): refused", enc, len(body), limit+1)
		over = append(over, refused.ID)

		accepted := otlpgen.NewInstall("acme", "1.4.2", "linux", "amd64")
		body = compress(t, enc, request(accepted, limit))
		if code := postEncoded(t, c.Endpoint, enc, body); code != http.StatusOK {
			t.Errorf("%s: %d bytes on the wire decoding to %d (the limit): status %d, want 200", enc, len(body), limit, code)
		}
		under = append(under, accepted.ID)
	}
	if !waitFor(20*time.Second, func() bool {
		s := c.stored(t)
		for _, id := range under {
			if !strings.Contains(s, id) {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("the requests at the limit are not stored:\n%s", c.output)
	}
	time.Sleep(1500 * time.Millisecond)
	s := c.stored(t)
	for _, id := range over {
		if strings.Contains(s, id) {
			t.Errorf("a refused request's install %s is stored", id)
		}
	}
	if strings.Contains(s, canary) {
		t.Errorf("the padding is stored")
	}
}

// TestLargestSDKUploadFitsTheBodyLimit fills a spool with what Waymark's exporter writes
// (error reports of the largest size the SDK sends, and usage events, up to the spool's
// 1 MiB cap) and lets the real uploader deliver it to the collector through a proxy that
// measures every decoded body. Every entry is accepted and stored, and the largest request
// leaves at least a fifth of the collector's limit unused.
func TestLargestSDKUploadFitsTheBodyLimit(t *testing.T) {
	c := startCollector(t, nil)
	limit := bodyLimit(t)
	target, _ := url.Parse(c.Endpoint)
	var mu sync.Mutex
	var sizes []int
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Errorf("upload not gzipped: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		raw, _ := io.ReadAll(zr)
		mu.Lock()
		sizes = append(sizes, len(raw))
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()

	dir := statedir.New(t.TempDir())
	spool := export.OpenSpool(dir, export.SpoolOptions{})
	id := otlpgen.UUID()
	p, err := export.NewPipeline(export.Options{
		Resource: []attribute.KeyValue{
			attribute.String("service.name", "acme"), attribute.String("service.version", "1.4.2"),
			attribute.String("app.installation.id", id), attribute.String("os.type", "linux"),
			attribute.String("host.arch", "amd64"), attribute.String("process.runtime.name", "go"),
			attribute.String("process.runtime.version", "go1.26.0"), attribute.String("telemetry.sdk.name", "waymark"),
			attribute.String("telemetry.sdk.language", "go"), attribute.String("telemetry.sdk.version", otlpgen.SDKVersion),
		},
		Destination: export.ToSpool, Spool: spool, Version: otlpgen.SDKVersion,
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("goroutine 1 [running]: main.main() ", 8192/35+1)[:8192]
	events := 0
	for i := 0; ; i++ {
		st, err := spool.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if st.Bytes > 1<<20-20<<10 {
			break
		}
		if i%3 == 2 {
			err = p.Emit("waymark.usage", attribute.String("event.id", otlpgen.UUID()))
		} else {
			err = p.Emit("waymark.error_report", attribute.String("event.id", otlpgen.UUID()),
				attribute.String("exception.type", "*errors.errorString"),
				attribute.String("exception.message", text), attribute.String("exception.stacktrace", text))
		}
		if err != nil {
			t.Fatal(err)
		}
		events++
	}
	st, _ := spool.Stat()
	sender, err := export.NewSender(srv.URL, true, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	res, err := (&export.Uploader{StateDir: dir, Spool: spool, Sender: sender}).Run(context.Background())
	if err != nil || res.Dropped != 0 || res.Delivered != st.Pending {
		t.Fatalf("upload: %+v %v; want all %d entries delivered", res, err, st.Pending)
	}
	if !waitFor(20*time.Second, func() bool { return strings.Count(c.stored(t), `"eventName":"waymark.`) == events }) {
		t.Fatalf("the collector stored %d of %d events", strings.Count(c.stored(t), `"eventName":"waymark.`), events)
	}
	largest := 0
	for _, n := range sizes {
		largest = max(largest, n)
	}
	t.Logf("%d events (%d bytes spooled) in %d requests; largest decoded body %d bytes; limit %d (%.2f×)",
		events, st.Bytes, len(sizes), largest, limit, float64(limit)/float64(largest))
	if len(sizes) < 2 {
		t.Errorf("%d requests; a full spool takes several", len(sizes))
	}
	if largest*5 > limit*4 {
		t.Errorf("the largest upload decodes to %d bytes, more than four fifths of the limit %d", largest, limit)
	}
}

// TestInstallsPerRequestBounded packs a request with as many distinct installs as the
// receiver's limit lets through (each the shortest resource the schema accepts, with one
// usage event), and checks that it is stored whole while one install more is refused. The
// count it logs is how many installs one request can claim (README.md, Front door).
func TestInstallsPerRequestBounded(t *testing.T) {
	c := startCollector(t, nil)
	limit := bodyLimit(t)
	now := time.Now()
	short := func(id string) *logspb.ResourceLogs {
		s := func(k, v string) *commonpb.KeyValue { return otlpgen.Str(k, v) }
		return &logspb.ResourceLogs{
			Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
				s("service.name", "a"), s("service.version", "1"), s("app.installation.id", id), s("os.type", "js"),
				s("host.arch", "ppc"), s("process.runtime.name", "go"), s("process.runtime.version", "go1"),
				s("telemetry.sdk.name", "waymark"), s("telemetry.sdk.language", "go"), s("telemetry.sdk.version", "0.0.0"),
			}},
			ScopeLogs: []*logspb.ScopeLogs{{Scope: &commonpb.InstrumentationScope{Name: "waymark", Version: "0.0.0"},
				LogRecords: []*logspb.LogRecord{{TimeUnixNano: uint64(now.UnixNano()), EventName: "waymark.usage",
					Attributes: []*commonpb.KeyValue{s("event.id", otlpgen.UUID())}}}}},
		}
	}
	// Each resource is one field 1 of the request: its size adds up.
	ld := &logspb.LogsData{}
	size := 0
	var next *logspb.ResourceLogs
	for {
		next = short(otlpgen.UUID())
		n := protowire.SizeTag(1) + protowire.SizeBytes(proto.Size(next))
		if size+n > limit {
			break
		}
		ld.ResourceLogs = append(ld.ResourceLogs, next)
		size += n
	}
	fits := len(ld.ResourceLogs)
	body, _ := proto.Marshal(ld)
	over, _ := proto.Marshal(&logspb.LogsData{ResourceLogs: append(ld.ResourceLogs[:fits:fits], next)})
	if len(body) != size || len(over) <= limit {
		t.Fatalf("%d installs in %d bytes (counted %d), one more in %d", fits, len(body), size, len(over))
	}
	if code := postEncoded(t, c.Endpoint, "gzip", compress(t, "gzip", over)); code != http.StatusBadRequest {
		t.Errorf("%d installs in %d bytes: status %d, want 400", fits+1, len(over), code)
	}
	if code := postEncoded(t, c.Endpoint, "gzip", compress(t, "gzip", body)); code != http.StatusOK {
		t.Fatalf("%d installs in %d bytes: status %d, want 200", fits, len(body), code)
	}
	last := ld.ResourceLogs[fits-1].Resource.Attributes[2].Value.GetStringValue()
	if !waitFor(20*time.Second, func() bool { return strings.Contains(c.stored(t), last) }) {
		t.Fatalf("the request is not stored:\n%s", c.output)
	}
	time.Sleep(1500 * time.Millisecond)
	stored := strings.Count(c.stored(t), `"key":"app.installation.id"`)
	t.Logf("one request of %d bytes (limit %d) claims %d installs; %d stored", len(body), limit, fits, stored)
	if stored != fits {
		t.Errorf("%d installs stored, want the %d of the accepted request only", stored, fits)
	}
}

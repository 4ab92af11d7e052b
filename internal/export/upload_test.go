package export

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/statedir"
)

func strAttr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// logsPayload is a LogsData with one ResourceLogs whose single record's body is id.
func logsPayload(t *testing.T, id string) []byte {
	t.Helper()
	b, err := proto.Marshal(&logspb.LogsData{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{strAttr("service.name", "acme")}},
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{{
			EventName: "waymark.usage",
			Body:      &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: id}},
		}}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// metricsPayload is a MetricsData with one ResourceMetrics holding a metric named id.
func metricsPayload(t *testing.T, id string) []byte {
	t.Helper()
	b, err := proto.Marshal(&metricspb.MetricsData{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource:     &resourcepb.Resource{Attributes: []*commonpb.KeyValue{strAttr("service.name", "acme")}},
		ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{{Name: id}}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// logIDs decodes a /v1/logs body and returns each ResourceLogs' record body.
func logIDs(t *testing.T, body []byte) []string {
	t.Helper()
	var ld logspb.LogsData
	if err := proto.Unmarshal(body, &ld); err != nil {
		t.Fatalf("logs body does not decode: %v", err)
	}
	var ids []string
	for _, rl := range ld.ResourceLogs {
		if rl.GetResource().GetAttributes()[0].GetValue().GetStringValue() != "acme" {
			t.Fatalf("resource lost: %v", rl.Resource)
		}
		ids = append(ids, rl.ScopeLogs[0].LogRecords[0].Body.GetStringValue())
	}
	return ids
}

func metricNames(t *testing.T, body []byte) []string {
	t.Helper()
	var md metricspb.MetricsData
	if err := proto.Unmarshal(body, &md); err != nil {
		t.Fatalf("metrics body does not decode: %v", err)
	}
	var names []string
	for _, rm := range md.ResourceMetrics {
		names = append(names, rm.ScopeMetrics[0].Metrics[0].Name)
	}
	return names
}

type uploadFixture struct {
	stateDir *statedir.Dir
	spool    *Spool
	clock    *fakeClock
	rec      *recorder
	srv      *httptest.Server
	up       *Uploader
}

func newUploadFixture(t *testing.T, status int) *uploadFixture {
	t.Helper()
	f := &uploadFixture{stateDir: statedir.New(t.TempDir()), clock: newFakeClock(), rec: &recorder{status: status}}
	f.spool = OpenSpool(f.stateDir, SpoolOptions{Now: f.clock.Now})
	f.srv = httptest.NewServer(f.rec)
	t.Cleanup(f.srv.Close)
	f.up = &Uploader{StateDir: f.stateDir, Spool: f.spool, Sender: newSender(t, f.srv.URL, 2*time.Second),
		Now: f.clock.Now, Rand: func() float64 { return 1 }}
	return f
}

// spoolDir is the spool folder, for tests that look at the disk directly.
func (f *uploadFixture) spoolDir() string { return filepath.Join(f.stateDir.Path(), "spool") }

func (f *uploadFixture) addLogs(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		f.clock.Add(time.Millisecond)
		if err := f.spool.Append(KindUsage, Logs, logsPayload(t, id)); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *uploadFixture) pending(t *testing.T) int {
	t.Helper()
	st, err := f.spool.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return st.Pending
}

func TestUploaderDeliversAndEmptiesSpool(t *testing.T) {
	f := newUploadFixture(t, http.StatusOK)
	f.addLogs(t, "a", "b", "c", "d", "e", "f", "g")
	for _, id := range []string{"m1", "m2"} {
		f.clock.Add(time.Millisecond)
		if err := f.spool.Append(KindMetrics, Metrics, metricsPayload(t, id)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := f.up.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res != (Result{Requests: 2, Delivered: 9}) {
		t.Fatalf("result %+v", res)
	}
	reqs := f.rec.requests()
	if len(reqs) != 2 || reqs[0].Path != "/v1/logs" || reqs[1].Path != "/v1/metrics" {
		t.Fatalf("requests: %+v", reqs)
	}
	// Seven entries, one request, seven ResourceLogs, oldest first.
	if got, want := logIDs(t, reqs[0].Body), []string{"a", "b", "c", "d", "e", "f", "g"}; !slices.Equal(got, want) {
		t.Fatalf("logs request carries %q, want %q", got, want)
	}
	if got, want := metricNames(t, reqs[1].Body), []string{"m1", "m2"}; !slices.Equal(got, want) {
		t.Fatalf("metrics request carries %q, want %q", got, want)
	}
	if n := f.pending(t); n != 0 {
		t.Fatalf("%d entries left", n)
	}
	st := ReadDeliveryState(f.stateDir)
	if st.Delivered != 9 || st.Failures != 0 || !st.LastSuccess.Equal(f.clock.Now()) || st.LastError != "" {
		t.Fatalf("state %+v", st)
	}
	if !Due(f.stateDir, f.clock.Now()) {
		t.Fatal("not due after a success")
	}
	// Nothing left: a second run sends nothing.
	if res, err := f.up.Run(context.Background()); err != nil || res.Requests != 0 {
		t.Fatalf("empty run: %+v, %v", res, err)
	}
}

func TestUploaderSplitsBatchesByMaxBody(t *testing.T) {
	f := newUploadFixture(t, http.StatusOK)
	f.addLogs(t, "a", "b", "c", "d", "e")
	plen := len(logsPayload(t, "a"))
	f.up.MaxBody = 2*plen + 1
	res, err := f.up.Run(context.Background())
	if err != nil || res.Requests != 3 || res.Delivered != 5 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	var got [][]string
	for _, r := range f.rec.requests() {
		if len(r.Body) > f.up.MaxBody {
			t.Errorf("request of %d bytes over MaxBody %d", len(r.Body), f.up.MaxBody)
		}
		got = append(got, logIDs(t, r.Body))
	}
	if mustJSON(got) != `[["a","b"],["c","d"],["e"]]` {
		t.Fatalf("batches %v", got)
	}
	// An entry larger than MaxBody still goes, alone.
	f.up.MaxBody = 1
	f.addLogs(t, "big", "big2")
	if res, err := f.up.Run(context.Background()); err != nil || res.Requests != 2 || res.Delivered != 2 {
		t.Fatalf("oversized entries: %+v, %v", res, err)
	}
}

func TestUploaderServerErrorKeepsEntriesAndBacksOff(t *testing.T) {
	f := newUploadFixture(t, http.StatusInternalServerError)
	f.up.Rand = nil // real jitter: the bound must hold for any draw
	f.addLogs(t, "a", "b", "c")
	now := f.clock.Now()
	res, err := f.up.Run(context.Background())
	if !errors.Is(err, ErrRetry) || !res.Retry || res.Delivered != 0 || res.Requests != 1 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if n := f.pending(t); n != 3 {
		t.Fatalf("%d entries left, want 3", n)
	}
	st := ReadDeliveryState(f.stateDir)
	wait := st.NextAttempt.Sub(now)
	if st.Failures != 1 || wait <= 0 || wait > 10*time.Second || !strings.Contains(st.LastError, "500") {
		t.Fatalf("state %+v (next attempt in %v)", st, wait)
	}
	if Due(f.stateDir, now) || Due(f.stateDir, st.NextAttempt.Add(-time.Nanosecond)) {
		t.Fatal("due before the backoff expired")
	}
	if !Due(f.stateDir, now.Add(10*time.Second)) {
		t.Fatal("not due 10 s after the first failure")
	}
	// The endpoint recovers: everything goes, the backoff resets.
	f.rec.mu.Lock()
	f.rec.status = http.StatusOK
	f.rec.mu.Unlock()
	f.clock.Add(wait)
	if res, err := f.up.Run(context.Background()); err != nil || res.Delivered != 3 {
		t.Fatalf("after recovery: %+v, %v", res, err)
	}
	if st := ReadDeliveryState(f.stateDir); st.Failures != 0 || !st.NextAttempt.IsZero() || st.Delivered != 3 {
		t.Fatalf("state after recovery %+v", st)
	}
}

func TestUploaderBackoffDoublesToOneHour(t *testing.T) {
	f := newUploadFixture(t, http.StatusServiceUnavailable)
	f.addLogs(t, "a")
	// The shortest draw: retried at every expiry, the wait still doubles.
	f.up.Rand = func() float64 { return 0 }
	want := 5 * time.Second
	for i := 1; i <= 12; i++ {
		now := f.clock.Now()
		if _, err := f.up.Run(context.Background()); !errors.Is(err, ErrRetry) {
			t.Fatalf("run %d: %v", i, err)
		}
		st := ReadDeliveryState(f.stateDir)
		if st.Failures != i || st.NextAttempt.Sub(now) != want {
			t.Fatalf("failure %d: failures %d, wait %v; want %v", i, st.Failures, st.NextAttempt.Sub(now), want)
		}
		// The next try comes as soon as the backoff allows.
		f.clock.Set(st.NextAttempt)
		want = min(2*want, time.Hour/2)
	}
}

func TestUploaderRejectedBatchIsDroppedAndCounted(t *testing.T) {
	f := newUploadFixture(t, http.StatusBadRequest)
	f.addLogs(t, "a", "b", "c")
	res, err := f.up.Run(context.Background())
	if err != nil || res.Dropped != 3 || res.Delivered != 0 || res.Retry {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if n := f.pending(t); n != 0 {
		t.Fatalf("%d entries left, want 0", n)
	}
	st := ReadDeliveryState(f.stateDir)
	if st.Dropped != 3 || st.Failures != 0 || !st.NextAttempt.IsZero() || !strings.Contains(st.LastError, "400") {
		t.Fatalf("state %+v", st)
	}
	f.addLogs(t, "d")
	f.up.Run(context.Background())
	if st := ReadDeliveryState(f.stateDir); st.Dropped != 4 {
		t.Fatalf("dropped %d, want the count to add up to 4", st.Dropped)
	}
}

func TestUploaderOneAtATime(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	f := newUploadFixture(t, http.StatusOK)
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		f.rec.ServeHTTP(w, r)
	})
	f.addLogs(t, "a", "b")
	type out struct {
		res Result
		err error
	}
	first := make(chan out, 1)
	go func() {
		res, err := f.up.Run(context.Background())
		first <- out{res, err}
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first run never sent")
	}
	// A second uploader of the same state dir, as another process would be.
	second := *f.up
	start := time.Now()
	res, err := second.Run(context.Background())
	if err != nil || !res.Busy || res.Requests != 0 {
		t.Fatalf("second run: %+v, %v; want Busy", res, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("second run waited %v", d)
	}
	close(release)
	o := <-first
	if o.err != nil || o.res.Delivered != 2 || o.res.Busy {
		t.Fatalf("first run: %+v, %v", o.res, o.err)
	}
	if n := len(f.rec.requests()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

func TestUploaderStopsWhenContextDone(t *testing.T) {
	f := newUploadFixture(t, http.StatusOK)
	f.addLogs(t, "a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err := f.up.Run(ctx); !errors.Is(err, context.Canceled) || res.Requests != 0 {
		t.Fatalf("cancelled run: %+v, %v", res, err)
	}

	// Cancelled mid-request against a black hole: no backoff is charged.
	f.up.Sender = newSender(t, "http://"+blackHole(t), time.Minute)
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := f.up.Run(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || res.Retry || time.Since(start) > 5*time.Second {
		t.Fatalf("run: %+v, %v after %v", res, err, time.Since(start))
	}
	if st := ReadDeliveryState(f.stateDir); st.Failures != 0 {
		t.Fatalf("a cancelled run counted as a failure: %+v", st)
	}
	if n := f.pending(t); n != 1 {
		t.Fatalf("%d entries left, want 1", n)
	}
}

func TestUploaderSkipsCorruptEntries(t *testing.T) {
	f := newUploadFixture(t, http.StatusOK)
	f.addLogs(t, "a")
	bad := entryName(f.clock.Now().UnixNano(), KindUsage, Logs, 40, 7)
	if err := os.WriteFile(filepath.Join(f.spoolDir(), bad), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.addLogs(t, "b")
	res, err := f.up.Run(context.Background())
	if err != nil || res.Delivered != 2 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if got := logIDs(t, f.rec.requests()[0].Body); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("sent %q", got)
	}
	if names := dirNames(t, f.spoolDir()); len(names) != 0 {
		t.Fatalf("left %q", names)
	}
}

func TestUploaderBadSetupIsAnErrorNotAPanic(t *testing.T) {
	for _, u := range []*Uploader{
		{},
		{StateDir: statedir.New(t.TempDir())},
		{StateDir: statedir.New(filepath.Join(t.TempDir(), "missing")), Spool: OpenSpool(statedir.New(t.TempDir()), SpoolOptions{}), Sender: newSender(t, "https://telemetry.acme.dev", 0)},
	} {
		if _, err := u.Run(context.Background()); err == nil || !strings.HasPrefix(err.Error(), "export: ") {
			t.Errorf("Run(%+v) = %v, want an exporter error", u, err)
		}
	}
}

func TestUploaderConcurrentAppendsAreNotLost(t *testing.T) {
	f := newUploadFixture(t, http.StatusOK)
	f.spool = OpenSpool(f.stateDir, SpoolOptions{Cap: 1 << 30})
	f.up.Spool = f.spool
	var wg sync.WaitGroup
	const n = 60
	wg.Go(func() {
		for i := range n {
			if err := f.spool.Append(KindUsage, Logs, logsPayload(t, "id"+string(rune('A'+i%26))+string(rune('0'+i/26)))); err != nil {
				t.Error(err)
			}
		}
	})
	for range 5 {
		if _, err := f.up.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if _, err := f.up.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range f.rec.requests() {
		for _, id := range logIDs(t, r.Body) {
			seen[id]++
		}
	}
	if len(seen) != n {
		t.Fatalf("delivered %d distinct entries, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("%s delivered %d times", id, c)
		}
	}
}

// Uploaders started together by several runs of an offline CLI must count one
// outage once: with RespectBackoff, the second finds the backoff under the
// lock and does nothing, so the first retry stays within 10 s.
func TestUploaderRespectBackoffCountsOneOutageOnce(t *testing.T) {
	f := newUploadFixture(t, http.StatusServiceUnavailable)
	f.up.RespectBackoff = true
	f.addLogs(t, "a")
	if _, err := f.up.Run(context.Background()); !errors.Is(err, ErrRetry) {
		t.Fatalf("first run: %v", err)
	}
	res, err := f.up.Run(context.Background())
	if err != nil || !res.Deferred || res.Requests != 0 {
		t.Fatalf("second run during the backoff: %+v, %v; want Deferred and no request", res, err)
	}
	if st := ReadDeliveryState(f.stateDir); st.Failures != 1 {
		t.Fatalf("failures = %d, want 1", st.Failures)
	}
	// Without RespectBackoff (a server's final flush) it tries anyway.
	f.up.RespectBackoff = false
	if res, _ := f.up.Run(context.Background()); res.Requests != 1 {
		t.Fatalf("flush ignoring the backoff sent %d requests, want 1", res.Requests)
	}
	// Once the backoff has passed, a respectful run goes again.
	f.up.RespectBackoff = true
	f.clock.Add(time.Hour + time.Second)
	if res, _ := f.up.Run(context.Background()); res.Deferred || res.Requests != 1 {
		t.Fatalf("after the backoff: %+v", res)
	}
}

func TestBusyWhileAnUploaderHoldsTheLock(t *testing.T) {
	dir := statedir.New(t.TempDir())
	if Busy(dir) {
		t.Fatal("busy with no uploader")
	}
	l, err := dir.TryLock(statedir.UploadLock)
	if err != nil {
		t.Fatal(err)
	}
	if !Busy(dir) {
		t.Fatal("not busy while the upload lock is held")
	}
	l.Unlock()
	if Busy(dir) {
		t.Fatal("still busy after the lock was released")
	}
}

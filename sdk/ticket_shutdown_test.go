package sdk

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/internal/statedir"
)

// An endpoint that Start accepts must fit in the ticket
// the parent hands its uploader, or the child cannot claim it. URLs are
// bounded: a 9 000-character one is refused by Config validation, and the
// longest accepted endpoint and update URL together still make a ticket the
// child claims.
func TestTicketOfAnyAcceptedEndpointIsClaimed(t *testing.T) {
	dir := t.TempDir()
	cfg := goodConfig(dir)
	cfg.Endpoint = "http://127.0.0.1:4318/" + strings.Repeat("a", 9000)
	if err := cfg.validate(); err == nil {
		t.Fatal("a 9 000-byte endpoint is accepted")
	}
	prefix := "http://127.0.0.1:4318/"
	cfg.Endpoint = prefix + strings.Repeat("a", 2048-len(prefix))
	cfg.UpdateURL = prefix + strings.Repeat("b", 2048-len(prefix))
	cfg.OptOutEnv = []string{"CHECKPOINT_DISABLE", "ACME_NO_PHONE_HOME"}
	if err := cfg.validate(); err != nil {
		t.Fatalf("the longest endpoint is refused: %v", err)
	}
	d := statedir.New(dir)
	token := strings.Repeat("ab", 16)
	name, _ := statedir.UploaderTicket(token)
	data := childTicket{Product: cfg.Product, Version: cfg.Version, Endpoint: cfg.Endpoint, UpdateURL: cfg.UpdateURL, OptOutEnv: cfg.OptOutEnv}.encode()
	if err := d.WriteFile(name, data); err != nil {
		t.Fatal(err)
	}
	if _, ok := claimTicket(token + ":" + dir); !ok {
		t.Fatalf("the uploader refuses a %d-byte ticket its parent wrote for an endpoint Start accepted: it would run main", len(data))
	}
}

// The natural defer order in a server,
//
//	defer t.ReportPanics()
//	defer t.Shutdown(ctx)
//
// keeps the crash report, although Shutdown closes a server's pipeline
// before the report is offered. (Debug mode stands in for a
// terminal that answered yes: it emits without asking.)
func TestServerReportAfterShutdownIsNotLost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	h, errOut := testHost(t, map[string]string{"ACME_TELEMETRY": "debug"})
	cfg := goodConfig(dir)
	cfg.Server = true
	c, err := start(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() { recover() }()
		defer c.ReportPanics()
		defer c.Shutdown(context.Background())
		panic("boom")
	}()
	if out := errOut.String(); !strings.Contains(out, `"event":"waymark.error_report"`) {
		t.Fatalf("no error report emitted after a server's Shutdown:\n%s", out)
	}
}

// FuzzClaimTicket: whatever an environment variable holds, claimTicket never
// panics, never accepts a value without a ticket this user wrote, and never
// looks at a value longer than maxChildEnv.
func FuzzClaimTicket(f *testing.F) {
	dir := f.TempDir()
	token := strings.Repeat("ab", 16)
	f.Add(token + ":" + dir)
	f.Add("acme")
	f.Add(token + ":" + dir + "/../../etc")
	f.Add(token + ":relative/dir")
	f.Add(strings.Repeat("a", 5000))
	f.Add(token + "::" + dir)
	f.Fuzz(func(t *testing.T, v string) {
		if _, ok := claimTicket(v); ok {
			t.Fatalf("claimed %q although no ticket was written", v)
		}
	})
}

// FuzzTicketEncode: the hand-written ticket reads back, with encoding/json,
// exactly as encoding/json's own encoding of it does, whatever the strings
// hold (a URL, a variable name, bytes that are not UTF-8).
func FuzzTicketEncode(f *testing.F) {
	f.Add("acme", "1.0.0", "https://collector.example:4318", "", "ACME_NO_TELEMETRY", true, false, 0.25)
	f.Add("a\"b", "\x00\xff", "http://127.0.0.1:1/x?a=1&b=<2>", "u\u2028", "", false, true, 1e-7)
	f.Fuzz(func(t *testing.T, product, version, endpoint, update, optOut string, insecure, consent bool, rate float64) {
		if !(rate > 0 && rate < 1) {
			rate = 0 // the encoder writes a sample rate only where it samples
		}
		in := childTicket{Product: product, Version: version, Endpoint: endpoint, UpdateURL: update,
			AllowInsecure: insecure, RequireConsent: consent, SampleRate: rate}
		if optOut != "" {
			in.OptOutEnv = []string{optOut, "DO_NOT_TRACK"}
		}
		var got, want childTicket
		if err := json.Unmarshal(in.encode(), &got); err != nil {
			t.Fatalf("encode gave no JSON: %v\n%s", err, in.encode())
		}
		std, _ := json.Marshal(in)
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("read back %+v, encoding/json's reads back %+v", got, want)
		}
	})
}

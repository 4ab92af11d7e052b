package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Edge cases of the uploader and of opting out, black box through acme: an
// overlong endpoint, disable during an upload, a machine policy against the
// user's opt-out.

// An endpoint override longer than the uploader ticket's read bound (8 KiB)
// must not make the host write a ticket its own child refuses (the child
// would then run acme's main, which starts another uploader, and so on for
// ever). One `acme hello` starts at most one uploader, and no acme process
// is left 15 s later.
func TestLongEndpointNeverRunsMainInUploader(t *testing.T) {
	col := newCollector(t)
	bin := privateAcme(t, "acme-longep")
	in := newInstall(t, col.URL+"/"+strings.Repeat("a", 9000))
	t.Cleanup(func() {
		// Stop a runaway chain: an off saved choice makes its next link
		// start nothing.
		in.Cmd(bin, nil, "telemetry", "disable").Run()
	})
	cmd := in.Cmd(bin, nil, "hello")
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != hello {
		t.Fatalf("acme hello: %v %q", err, out)
	}
	time.Sleep(3 * time.Second)
	tickets, _ := filepath.Glob(filepath.Join(in.StateDir(), "uploader-*"))
	if len(tickets) > 1 {
		t.Errorf("one acme hello left %d uploader tickets after 3 s: its uploader ran main and started more", len(tickets))
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && len(procsOf(bin)) > 0 {
		time.Sleep(200 * time.Millisecond)
	}
	if p := procsOf(bin); len(p) > 0 {
		t.Errorf("acme processes still there 15 s after one run: %v", p)
	}
}

// `telemetry disable` says it deleted the record of sent events, and it
// stays deleted when an uploader is mid-send for longer than the 2 s that
// disable waits for the upload lock: the uploader does not write sent.jsonl
// (with the old installation id) or upload.json after disable returned.
func TestDisableForgetsWhileUploaderMidSend(t *testing.T) {
	col := newCollector(t)
	col.Delay = 3500 * time.Millisecond
	in := newInstall(t, col.URL)
	requireHello(t, in.Run(nil, "hello"), "first run")
	if !col.WaitFor(5*time.Second, func() bool { return len(col.Requests()) > 0 }) {
		t.Fatal("no upload started")
	}
	r := in.Run(nil, "telemetry", "disable")
	if r.Code != 0 {
		t.Fatalf("telemetry disable: exit %d: %s", r.Code, r.Stderr)
	}
	time.Sleep(5 * time.Second)
	for _, n := range []string{"sent.jsonl", "upload.json", "device_id"} {
		if b, err := os.ReadFile(filepath.Join(in.StateDir(), n)); err == nil {
			t.Errorf("%s exists after telemetry disable forgot the machine: %.200s", n, b)
		}
	}
}

// A machine policy of `local` does not outrank DO_NOT_TRACK=1 and
// ACME_TELEMETRY=off: the user opted out of everything, so acme creates no
// installation id and writes no local.jsonl. An administrator's policy only
// ever lowers what the user chose.
func TestPolicyLocalDoesNotOverrideUserOptOut(t *testing.T) {
	col := newCollector(t)
	in := newInstall(t, col.URL)
	r := inOwnEtc(t, in, "acme/telemetry-policy", "local", []string{"DO_NOT_TRACK=1", "ACME_TELEMETRY=off"}, "hello")
	if r.Code != 0 {
		t.Fatalf("acme hello: exit %d %s", r.Code, r.Stderr)
	}
	if got := files(t, in.Home); len(got) > 0 {
		t.Errorf("DO_NOT_TRACK=1 ACME_TELEMETRY=off acme hello under a local policy wrote %v", got)
	}
}

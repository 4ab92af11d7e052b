//go:build linux

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The black-box proof that consent is live: a server and a CLI run that
// outlive `telemetry disable` send and write nothing more, and nothing
// recorded while telemetry was off is sent after a later `enable`.
// (Linux: the server is stopped with SIGTERM.)

// forgottenFiles are what `telemetry disable` deletes and no process may
// write back afterwards.
var forgottenFiles = []string{"device_id", "milestones.json", "sent.jsonl", "upload.json", "local.jsonl", "ticket-usage"}

// requireForgotten fails if any of forgottenFiles, or any spool entry, is in
// the state dir.
func requireForgotten(t *testing.T, in *Install, what string) {
	t.Helper()
	for _, f := range forgottenFiles {
		if _, err := os.Lstat(filepath.Join(in.StateDir(), f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %s was written back after telemetry disable (%v)", what, f, err)
		}
	}
	if des, _ := os.ReadDir(filepath.Join(in.StateDir(), "spool")); len(des) > 0 {
		t.Errorf("%s: %d spool entries were written after telemetry disable (first %s)", what, len(des), des[0].Name())
	}
}

// liveStatus runs `acme telemetry status --json`.
func liveStatus(t *testing.T, in *Install, env []string) map[string]any {
	t.Helper()
	r := in.Run(env, "telemetry", "status", "--json")
	var st map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s%s", err, r.Stdout, r.Stderr)
	}
	return st
}

// Acceptance 1: acme-server with a 1 s heartbeat sends nothing after
// `telemetry disable` returns (a request already in flight has 2 s), nor at
// its shutdown, and writes no installation id or delivery record back.
func TestServerStopsSendingOnceDisabled(t *testing.T) {
	col := newCollector(t)
	in := newInstall(t, col.URL)
	cmd, se := startServer(t, in, "--heartbeat", "1s")
	if !col.WaitFor(10*time.Second, func() bool { return len(col.Named("waymark.heartbeat")) >= 2 }) {
		t.Fatalf("heartbeats before disable: got %d in 10s", len(col.Named("waymark.heartbeat")))
	}
	in.MustRun(nil, "telemetry", "disable")
	time.Sleep(2 * time.Second) // a request already in flight
	before := len(col.Requests())
	time.Sleep(4 * time.Second) // four heartbeats
	if n := len(col.Requests()); n != before {
		t.Fatalf("the server sent %d requests in the 4 s after telemetry disable (and its grace)", n-before)
	}
	requireForgotten(t, in, "acme-server running")
	stopServer(t, cmd, se, 5*time.Second)
	time.Sleep(500 * time.Millisecond)
	if n := len(col.Requests()); n != before {
		t.Fatalf("the server sent %d requests at its shutdown after telemetry disable", n-before)
	}
	requireForgotten(t, in, "acme-server after its shutdown")
	if st := liveStatus(t, in, nil); st["mode"] != "off" || st["device_id"] != nil {
		t.Fatalf("status after disable: mode %v, device_id %v", st["mode"], st["device_id"])
	}
}

// Acceptance 2: a run that began before `telemetry disable` and reaches a
// milestone after it writes no installation id, milestone, ticket or spool
// entry; after `telemetry enable`, that milestone is never sent. Both for an
// install that had its id when the run began and for a fresh one.
func TestRunSpanningDisableRecordsNothing(t *testing.T) {
	for _, fresh := range []bool{false, true} {
		name := "existing install"
		if fresh {
			name = "fresh install"
		}
		t.Run(name, func(t *testing.T) {
			col := newCollector(t)
			in := newInstall(t, col.URL)
			if !fresh {
				in.MustRun(nil, "hello")
				if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) == 1 }) {
					t.Fatal("first_run never arrived")
				}
			}
			gate := filepath.Join(in.Home, "go-on")
			deploy := in.Cmd(acmeBin, nil, "deploy", "--wait-file", gate)
			var out bytes.Buffer
			deploy.Stdout, deploy.Stderr = &out, &out
			if err := deploy.Start(); err != nil {
				t.Fatal(err)
			}
			defer deploy.Process.Kill()
			time.Sleep(time.Second) // the deploy has decided: on
			in.MustRun(nil, "telemetry", "disable")
			sent := len(col.Requests())
			if err := os.WriteFile(gate, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := deploy.Wait(); err != nil || !strings.Contains(out.String(), "Deployed.") {
				t.Fatalf("acme deploy: %v\n%s", err, out.String())
			}
			time.Sleep(time.Second) // an uploader it might have started
			requireForgotten(t, in, "acme deploy that outlived disable")
			if n := len(col.Requests()); n != sent {
				t.Fatalf("%d requests reached the endpoint after telemetry disable", n-sent)
			}
			in.MustRun(nil, "telemetry", "enable")
			in.MustRun(nil, "hello")
			want := 1
			if !fresh {
				want = 2
			}
			if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) == want }) {
				t.Fatalf("first_run after enable never arrived: %v", col.Milestones())
			}
			time.Sleep(quietWait)
			got := col.Milestones()
			sort.Strings(got)
			for _, m := range got {
				if m == "first_deploy" {
					t.Fatalf("the milestone reached while telemetry was off was sent after enable: %v", got)
				}
			}
			ids := map[string]bool{}
			for _, e := range col.Events() {
				ids[e.Resource["app.installation.id"]] = true
			}
			if len(ids) != want {
				t.Fatalf("installation ids sent: %v, want %d", ids, want)
			}
		})
	}
}

// Acceptance 4: a shared-choice folder that cannot be trusted, or a saved
// choice (the product's or the shared one) that is a near miss of a known
// word, means off: nothing is sent and status says off.
func TestUntrustedChoicesMeanOff(t *testing.T) {
	type setup func(t *testing.T, in *Install) []string
	shared := func(in *Install) string { return filepath.Join(in.Home, ".config", "waymark", "telemetry") }
	disableAll := func(t *testing.T, in *Install) {
		in.MustRun(nil, "telemetry", "disable", "--all")
	}
	chmod := func(mode os.FileMode) setup {
		return func(t *testing.T, in *Install) []string {
			disableAll(t, in)
			if err := os.Chmod(shared(in), mode); err != nil {
				t.Fatal(err)
			}
			return nil
		}
	}
	symlinkTo := func(owner int) setup {
		return func(t *testing.T, in *Install) []string {
			disableAll(t, in)
			other := filepath.Join(tempDir(t), "elsewhere")
			if err := os.MkdirAll(other, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(other, "mode"), []byte("on\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if owner >= 0 {
				if err := os.Chown(other, owner, owner); err != nil {
					t.Fatalf("chown (the test runs as root to give a folder to another user): %v", err)
				}
			}
			if err := os.RemoveAll(shared(in)); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(other, shared(in)); err != nil {
				t.Fatal(err)
			}
			return nil
		}
	}
	worldWritableEnv := func(t *testing.T, in *Install) []string {
		dir := filepath.Join(tempDir(t), "shared")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "mode"), []byte("off\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		return []string{"WAYMARK_TELEMETRY_DIR=" + dir}
	}
	saved := func(dir func(in *Install) string, content string) setup {
		return func(t *testing.T, in *Install) []string {
			if err := os.MkdirAll(dir(in), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir(in), "mode"), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			return nil
		}
	}
	own := func(in *Install) string { return in.StateDir() }
	cases := []struct {
		name string
		set  setup
		rule string
	}{
		{"shared folder 777", chmod(0o777), "saved_all_unsafe"},
		{"shared folder 770", chmod(0o770), "saved_all_unsafe"},
		{"shared folder a symlink to a folder of mine", symlinkTo(-1), "saved_all_unsafe"},
		{"shared folder a symlink to another user's folder", symlinkTo(65534), "saved_all_unsafe"},
		{"WAYMARK_TELEMETRY_DIR world-writable", worldWritableEnv, "saved_all_unsafe"},
		{"saved off behind a byte-order mark", saved(own, "\ufeffoff\n"), "saved_invalid"},
		{"saved off with a NUL", saved(own, "off\x00"), "saved_invalid"},
		{"saved offf", saved(own, "offf"), "saved_invalid"},
		{"shared off behind a byte-order mark", saved(shared, "\ufeffoff\n"), "saved_all_invalid"},
		{"shared off with a NUL", saved(shared, "off\x00"), "saved_all_invalid"},
		{"shared offf", saved(shared, "offf"), "saved_all_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			col := newCollector(t)
			in := newInstall(t, col.URL)
			env := tc.set(t, in)
			if r := in.Run(env, "hello"); r.Code != 0 || r.Stderr != "" {
				t.Fatalf("acme hello: exit %d, stderr %q", r.Code, r.Stderr)
			}
			requireNothingSent(t, col, "acme hello")
			st := liveStatus(t, in, env)
			if st["mode"] != "off" || st["rule"] != tc.rule {
				t.Fatalf("status: mode %v by %v (%v); want off by %s", st["mode"], st["rule"], st["reason"], tc.rule)
			}
			r := in.Run(env, "telemetry", "status")
			if !strings.Contains(r.Stdout, "acme telemetry: off") {
				t.Fatalf("status text:\n%s", r.Stdout)
			}
		})
	}
}

// inOwnEtcPolicies runs acme with args in a mount namespace whose /etc is
// an empty tmpfs holding only the given policy files (relative to /etc).
func inOwnEtcPolicies(t *testing.T, in *Install, policies map[string]string, env []string, args ...string) Result {
	t.Helper()
	script := `mount -t tmpfs none /etc`
	var params []string
	n := 1
	for rel, content := range policies {
		script += ` && mkdir -p "/etc/$(dirname "${` + strconv.Itoa(n) + `}")" && printf '%s\n' "${` + strconv.Itoa(n+1) + `}" > "/etc/${` + strconv.Itoa(n) + `}"`
		params = append(params, rel, content)
		n += 2
	}
	script += ` && shift ` + strconv.Itoa(len(params)) + ` && exec "$@"`
	ns := []string{"--mount", "--propagation", "private"}
	if os.Geteuid() != 0 {
		ns = append([]string{"--user", "--map-root-user"}, ns...)
	}
	argv := append(append(append(ns, "sh", "-c", script, "sh"), params...), acmeBin)
	cmd := in.Cmd("unshare", env, append(argv, args...)...)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return Result{Code: code, Stdout: so.String(), Stderr: se.String()}
}

// Acceptance 5: /etc/waymark/telemetry-policy off with
// /etc/acme/telemetry-policy local means off: the vendor's file cannot
// loosen the administrator's.
func TestStricterMachinePolicyWins(t *testing.T) {
	col := newCollector(t)
	in := newInstall(t, col.URL)
	policies := map[string]string{"acme/telemetry-policy": "local", "waymark/telemetry-policy": "off"}
	r := inOwnEtcPolicies(t, in, policies, nil, "hello")
	if r.Code != 0 || r.Stdout != "Hello from acme!\n" || r.Stderr != "" {
		t.Fatalf("acme hello under the policies: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	requireNothingSent(t, col, "acme hello under an off policy and a local one")
	if _, err := os.Stat(in.StateDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the state dir was created under an off policy: %v", err)
	}
	r = inOwnEtcPolicies(t, in, policies, nil, "telemetry", "status", "--json")
	var st map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s%s", err, r.Stdout, r.Stderr)
	}
	const file = "/etc/waymark/telemetry-policy"
	if st["mode"] != "off" || st["rule"] != "policy" || st["policy"] != file || !strings.Contains(st["reason"].(string), file) {
		t.Fatalf("status: mode %v rule %v policy %v reason %v; want off by policy naming %s", st["mode"], st["rule"], st["policy"], st["reason"], file)
	}
	// Alone, the product's local policy still means local: the test above
	// proves the order, not a broken policy reader.
	r = inOwnEtcPolicies(t, in, map[string]string{"acme/telemetry-policy": "local"}, nil, "telemetry", "status", "--json")
	if !strings.Contains(r.Stdout, `"mode": "local"`) {
		t.Fatalf("status under the product's local policy alone:\n%s%s", r.Stdout, r.Stderr)
	}
}

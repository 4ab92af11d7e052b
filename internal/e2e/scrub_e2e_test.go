package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// `acme crash TEXT` on a terminal, answered y, where the
// panic holds the host name (full and short), the value of a secret-looking
// environment variable (also inside a printed struct) and other users' home
// paths with spaces: the error report arrives, and none of them is in any
// request the endpoint received.
func TestCrashReportScrubsHostSecretsAndPaths(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	in := newInstall(t, col.URL)
	const secret = "wmS3cretV4lue-q7z"
	in.Env = []string{"ACME_DEPLOY_TOKEN=" + secret}

	// A host name of our own in a UTS namespace when root; otherwise this
	// machine's own name, which the report must lose just the same.
	host := "wmhost-q7z.build.example.internal"
	unshare, err := exec.LookPath("unshare")
	namespace := os.Geteuid() == 0 && err == nil
	if !namespace {
		if host, err = os.Hostname(); err != nil {
			t.Fatal(err)
		}
	}
	short, _, _ := strings.Cut(host, ".")
	if len(short) < 3 {
		t.Fatalf("host name %q is too short to tell from ordinary text; run as root for a UTS namespace", host)
	}

	type deployConfig struct{ Target, Token string }
	text := fmt.Sprintf("deploy from %s (%s) failed with token %s reading "+
		`C:\Users\Carol Jones\Documents\plan.txt, /home/dave smith/notes.txt and /Users/Erin Stone/Desktop/x.txt; config %+v`,
		host, strings.ToUpper(short), secret, deployConfig{"prod", secret})

	cmd := in.Cmd(acmeBin, nil, "crash", text)
	if namespace {
		cmd = exec.Command(unshare, "--uts", "sh", "-c", `hostname "$WM_TEST_HOST" && exec "$0" "$@"`, acmeBin, "crash", text)
		cmd.Env, cmd.Dir = in.environ([]string{"WM_TEST_HOST=" + host}), in.Home
	}
	out, code := runTTY(t, cmd, "[y/N]", "y\r")
	if code == 0 {
		t.Fatalf("acme crash answered y exited 0:\n%s", out)
	}
	canaries := []string{host, short, secret, "Carol", "Jones", "dave smith", "Erin", "Stone"}
	// The panic itself, on the terminal, holds every canary: without them
	// the check below would prove nothing.
	for _, c := range canaries {
		if !strings.Contains(strings.ToLower(out), strings.ToLower(c)) {
			t.Fatalf("the panic on the terminal lacks %q:\n%s", c, out)
		}
	}
	if namespace && !strings.Contains(out, "deploy from "+host) {
		t.Fatalf("acme did not run under host name %s:\n%s", host, out)
	}

	if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.error_report")) > 0 }) {
		t.Fatalf("no waymark.error_report arrived after answering y:\n%s", out)
	}
	rep := col.Named("waymark.error_report")[0]
	msg := rep.Attrs["exception.message"]
	for _, want := range []string{"deploy from <host> (<host>) failed", "plan.txt", "notes.txt", "x.txt", "Target:prod"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the report's message lacks %q: %q", want, msg)
		}
	}
	t.Logf("exception.message as sent: %q", msg)
	for _, r := range col.Requests() {
		body := bytes.ToLower(r.Body)
		for _, c := range canaries {
			if bytes.Contains(body, bytes.ToLower([]byte(c))) {
				t.Errorf("%s request carries %q", r.Path, c)
			}
		}
	}
}

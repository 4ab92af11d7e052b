package gate

import (
	"strings"
	"testing"
)

func TestNoticeSaysWhatAndHowToOptOut(t *testing.T) {
	n := Notice("acme-cli", "https://acme.dev/telemetry")
	for _, want := range []string{
		"acme-cli",
		"anonymous installation id", "product version", "OS and CPU", "architecture",
		"milestones", "usage pings", "heartbeats",
		"Never collected", "names", "file paths", "command-line arguments", "IP addresses", "environment variables",
		"ACME_CLI_TELEMETRY=off", `"acme-cli telemetry disable"`, "DO_NOT_TRACK=1",
		"https://acme.dev/telemetry",
	} {
		if !strings.Contains(n, want) {
			t.Errorf("notice lacks %q:\n%s", want, n)
		}
	}
	if !strings.HasSuffix(n, "\n") || strings.HasSuffix(n, "\n\n") {
		t.Errorf("notice must end with exactly one newline: %q", n)
	}
}

func TestNoticeWithoutURL(t *testing.T) {
	n := Notice("acme", "")
	if strings.Contains(n, "Learn more") || strings.Contains(n, "http") {
		t.Errorf("notice mentions a URL that was not given:\n%s", n)
	}
	if !strings.HasSuffix(n, "DO_NOT_TRACK=1.\n") {
		t.Errorf("notice should end with the opt-out line:\n%s", n)
	}
}

func TestNoticeFitsEightyColumns(t *testing.T) {
	longest := "a" + strings.Repeat("-", 31) // the longest valid product name
	for _, line := range strings.Split(strings.TrimSuffix(Notice(longest, ""), "\n"), "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("line of %d columns: %q", n, line)
		}
		if strings.TrimSpace(line) == "" {
			t.Errorf("blank line in notice")
		}
	}
}

package gate

import "strings"

// Notice returns the first-run notice for product: what is collected, what
// never is, how to opt out (the `telemetry disable` command,
// <PREFIX>_TELEMETRY=off and DO_NOT_TRACK=1), and where to learn more when
// noticeURL is not empty. It is plain text of a few lines, each ending in a
// newline and, but for the URL, at most 80 columns wide for any valid
// product name. Whether to print it is the caller's choice: only when the
// mode is on, stderr is a terminal and Decision.CI is empty.
func Notice(product, noticeURL string) string {
	var b strings.Builder
	b.WriteString(product + " collects anonymous usage telemetry.\n")
	b.WriteString("  Collected: an anonymous installation id, the product version, the OS and CPU\n")
	b.WriteString("  architecture, milestones reached, usage pings and, for servers, heartbeats.\n")
	b.WriteString("  Never collected: names, file paths, command-line arguments, IP addresses or\n")
	b.WriteString("  environment variables.\n")
	b.WriteString("  To opt out, run \"" + product + " telemetry disable\", or set\n")
	b.WriteString("  " + EnvPrefix(product) + "_TELEMETRY=off or DO_NOT_TRACK=1.\n")
	if noticeURL != "" {
		b.WriteString("  Learn more: " + noticeURL + "\n")
	}
	return b.String()
}

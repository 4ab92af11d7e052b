// Command waymark reads what Waymark's stock collector stored and shows what a vendor acts on.
//
//	waymark report [--json] [--html FILE] [--funnel m1,m2,…] [--now TIME] PATH...
//
// report reads the collector's file-exporter output (OTLP JSON lines; a PATH may be a file or a
// directory, read recursively, rotated files included) and prints active installs over 30 days
// and 1 day, the milestone funnel, versions, operating systems, architectures and live servers,
// counting each event.id once. --json prints one JSON object with the keys installs_30d,
// installs_1d, funnel, versions, os, arch and servers_live; --html also writes a self-contained
// page with SVG charts; --funnel sets the funnel's milestones and order; --now (RFC 3339, or a
// date YYYY-MM-DD meaning 00:00 UTC) ends the windows instead of the current time.
//
// Input that cannot be used (garbage, truncated or partial lines, records without an
// installation id or timestamp) is skipped, and a warning naming the file and line goes to
// stderr, never into the --json output. waymark never touches the network.
//
// Exit status: 0 on success, 1 when a PATH cannot be read or the output cannot be written, 2
// for a usage error.
package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, time.Now()))
}

const usage = `usage: waymark report [--json] [--html FILE] [--funnel m1,m2,...] [--now TIME] PATH...`

// run is the whole command, with its streams and clock passed in for tests.
func run(args []string, stdout, stderr io.Writer, now time.Time) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	switch args[0] {
	case "report":
		return runReport(args[1:], stdout, stderr, now)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "waymark: unknown command %q\n%s\n", args[0], usage)
		return 2
	}
}

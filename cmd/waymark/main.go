// Command waymark reads what Waymark's stock collector stored and shows what a vendor acts on.
//
//	waymark report [--json] [--html FILE] [--csv DIR] [--product NAME] [--range 7d|30d|90d|365d]
//	               [--funnel m1,m2,…] [--min-installs K] [--now TIME] PATH...
//	waymark report [same flags] --victorialogs URL
//
// report reads the collector's file-exporter output (OTLP JSON lines; a PATH may be a file or a
// directory, read recursively, rotated files included) and prints, per product (service.name;
// --product for one), active installs over 30 days and 1 day, active and new installs per UTC
// day of the range (--range, default 30d) against the previous period, version adoption,
// weekly retention cohorts, the funnel of installs first seen in the range in --funnel order,
// versions, platforms, Go runtimes, live servers and error reports. --json prints
// {"products": {"<service.name>": {…}}} (see internal/report/model.go); --html also writes a
// self-contained page; --csv writes a CSV file per table; --min-installs K shows groups of
// fewer than K installs only as "fewer than K"; --now (RFC 3339, or a date YYYY-MM-DD meaning
// 00:00 UTC) ends the windows instead of the current time.
//
// --victorialogs URL computes the same report with LogsQL queries in the VictoriaLogs that the
// collector's victorialogs.yaml feeds (a single node or a cluster's select front), instead of
// reading files: the same numbers, text, --json, --html and --csv (see internal/report's
// VictoriaLogs for the definitions and their limits). A PATH and --victorialogs exclude each
// other.
//
// Input that cannot be used (garbage, truncated or partial lines, records the collector's
// schema would drop) is skipped, and a warning naming the file and line goes to stderr, never
// into the --json output. waymark touches the network only to ask the VictoriaLogs given with
// --victorialogs.
//
//	waymark erase [--victorialogs URL] [--collector-stopped] DIR
//
// erase applies every erasure request (the waymark.erasure event that `telemetry disable
// --erase` sends) found in the collector's files under DIR and, with --victorialogs, in
// VictoriaLogs: each such install's records are removed from every file (rewritten atomically,
// rotated files included) and deleted from VictoriaLogs with its delete API (-delete.enable).
// Only a salted hash of each erased id stays, in DIR/.waymark-erased.json, so that a late
// record of the same install is erased by the next run. The collector's current files are
// rewritten only with --collector-stopped (the collector appends to them; see
// internal/erase). It is safe to run again and again, e.g. daily; collector-config/README.md
// describes the procedure. Until it runs, `waymark report` already leaves those installs out.
//
// Exit status: 0 on success, 1 when a PATH cannot be read, VictoriaLogs cannot answer or the
// output cannot be written, 2 for a usage error.
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

const usage = `usage: waymark report [--json] [--html FILE] [--csv DIR] [--product NAME] [--range 7d|30d|90d|365d]
                      [--funnel m1,m2,...] [--min-installs K] [--now TIME] PATH...
       waymark report [same flags] --victorialogs URL
       waymark erase [--victorialogs URL] [--collector-stopped] DIR`

// run is the whole command, with its streams and clock passed in for tests.
func run(args []string, stdout, stderr io.Writer, now time.Time) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	switch args[0] {
	case "report":
		return runReport(args[1:], stdout, stderr, now)
	case "erase":
		return runErase(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "waymark: unknown command %q\n%s\n", args[0], usage)
		return 2
	}
}

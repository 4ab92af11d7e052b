package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/waymarkhq/waymark/cmd/waymark/internal/erase"
)

const eraseUsage = `usage: waymark erase [--victorialogs URL] [--collector-stopped] DIR`

// runErase is `waymark erase`: it applies every erasure request found in the collector's
// files under DIR (and in VictoriaLogs, with --victorialogs).
func runErase(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("waymark erase", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, eraseUsage)
		fs.PrintDefaults()
	}
	vl := fs.String("victorialogs", "", "also delete from the VictoriaLogs at `URL` (started with -delete.enable)")
	stopped := fs.Bool("collector-stopped", false, "no collector writes into DIR now: rewrite its current files too")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, eraseUsage)
		return 2
	}
	opt := erase.Options{
		Dir:              fs.Arg(0),
		CollectorStopped: *stopped,
		Warn:             func(m string) { fmt.Fprintln(stderr, "waymark erase: "+m) },
	}
	if *vl != "" {
		if err := checkVictoriaLogsURL(*vl); err != nil {
			fmt.Fprintf(stderr, "waymark erase: --victorialogs: %v\n", err)
			return 2
		}
		opt.Backend = erase.VictoriaLogs{URL: *vl}
	}
	res, err := erase.Run(opt)
	if err != nil {
		fmt.Fprintf(stderr, "waymark erase: %v\n", err)
		return 1
	}
	if res.Erased == 0 {
		fmt.Fprintln(stdout, "No erasure request found; nothing to erase.")
		return 0
	}
	fmt.Fprintf(stdout, "Erased %d installation(s): %d file(s) rewritten, %d line(s) removed or changed", res.Erased, res.FilesRewritten, res.LinesRemoved)
	if *vl != "" {
		fmt.Fprintf(stdout, ", and their records deleted from VictoriaLogs")
	}
	fmt.Fprintln(stdout, ".")
	if len(res.Pending) > 0 {
		fmt.Fprintf(stdout, "Not yet erased from the collector's current file(s) %s: the collector may be appending to them. "+
			"They are erased once rotated, or now by a run with --collector-stopped while the collector is stopped.\n", strings.Join(res.Pending, ", "))
	}
	return 0
}

// checkVictoriaLogsURL accepts an http(s) base URL without query or fragment.
func checkVictoriaLogsURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an http(s) base URL such as http://127.0.0.1:9428", v)
	}
	return nil
}

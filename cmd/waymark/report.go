package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/cmd/waymark/internal/report"
	"github.com/waymarkhq/waymark/internal/schema"
)

type reportFlags struct {
	json        bool
	html        string
	csv         string
	funnel      []string
	now         time.Time
	product     string
	rangeDays   int
	minInstalls int
	paths       []string
	// victorialogs, if set, is the base URL of the VictoriaLogs to ask instead of reading paths.
	victorialogs string
}

// parseReportFlags accepts flags before, between and after the paths; "--" ends the flags.
func parseReportFlags(args []string, now time.Time, stderr io.Writer) (*reportFlags, error) {
	rf := &reportFlags{now: now, rangeDays: 30, minInstalls: 1}
	fs := flag.NewFlagSet("waymark report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	fs.BoolVar(&rf.json, "json", false, "print one JSON object instead of text")
	fs.StringVar(&rf.html, "html", "", "also write a self-contained HTML page with SVG charts to `FILE`")
	fs.Func("funnel", "comma-separated `milestones` of the funnel, in order", func(v string) error {
		rf.funnel = nil
		for _, m := range strings.Split(v, ",") {
			if m = strings.TrimSpace(m); m != "" {
				rf.funnel = append(rf.funnel, m)
			}
		}
		if len(rf.funnel) == 0 {
			return errors.New("no milestone given")
		}
		return nil
	})
	fs.StringVar(&rf.csv, "csv", "", "also write one CSV file per table into `DIR` (created if needed)")
	fs.Func("product", "report only this `"+schema.ResServiceName+"` (default: a section per product)", func(v string) error {
		if v == "" {
			return errors.New("empty product")
		}
		rf.product = v
		return nil
	})
	fs.Func("range", "the report's range: 7d, 30d, 90d or 365d (default 30d)", func(v string) error {
		switch v {
		case "7d", "30d", "90d", "365d":
			rf.rangeDays, _ = strconv.Atoi(strings.TrimSuffix(v, "d"))
			return nil
		}
		return fmt.Errorf("%q is not one of 7d, 30d, 90d, 365d", v)
	})
	fs.Func("min-installs", "show groups of fewer than `K` installs only as \"fewer than K\" (default 1: show all)", func(v string) error {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > 1_000_000 {
			return fmt.Errorf("%q is not a number from 1 to 1000000", v)
		}
		rf.minInstalls = k
		return nil
	})
	fs.Func("victorialogs", "compute the report with LogsQL in the VictoriaLogs at `URL` (http://host:9428) instead of reading PATHs", func(v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%q is not an http(s) base URL such as http://127.0.0.1:9428", v)
		}
		rf.victorialogs = strings.TrimRight(v, "/")
		return nil
	})
	fs.Func("now", "end of the report's windows, RFC 3339 or YYYY-MM-DD (`TIME`; default: now)", func(v string) error {
		t, err := parseTime(v)
		if err != nil {
			return err
		}
		rf.now = t
		return nil
	})
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			rf.paths = append(rf.paths, args[1:]...)
			break
		}
		rf.paths = append(rf.paths, args[0])
		args = args[1:]
	}
	switch {
	case rf.victorialogs != "" && len(rf.paths) > 0:
		return nil, fmt.Errorf("give either PATH... (the collector's files) or --victorialogs URL, not both (got %q and %s)", rf.paths[0], rf.victorialogs)
	case rf.victorialogs == "" && len(rf.paths) == 0:
		fs.Usage()
		return nil, errors.New("no PATH given (or --victorialogs URL)")
	}
	return rf, nil
}

func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2006-01-02T15:04:05Z) nor a date (2006-01-02)", v)
}

func runReport(args []string, stdout, stderr io.Writer, now time.Time) int {
	rf, err := parseReportFlags(args, now, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "waymark report: %v\n", err)
		return 2
	}
	warnings := bufio.NewWriter(stderr)
	defer warnings.Flush()
	var src report.Source = report.Files{Paths: rf.paths, Warn: func(msg string) {
		fmt.Fprintf(warnings, "waymark report: warning: %s\n", report.Sanitize(msg))
	}}
	if rf.victorialogs != "" {
		src = report.VictoriaLogs{URL: rf.victorialogs}
	}
	s, err := report.Make(src, report.Options{
		Query:       report.Query{Now: rf.now, RangeDays: rf.rangeDays, Product: rf.product, Funnel: rf.funnel},
		MinInstalls: rf.minInstalls,
	})
	if err != nil {
		fmt.Fprintf(stderr, "waymark report: %v\n", err)
		return 1
	}
	warnings.Flush()
	if rf.csv != "" {
		if err := report.WriteCSV(rf.csv, s); err != nil {
			fmt.Fprintf(stderr, "waymark report: %v\n", err)
			return 1
		}
	}

	if rf.html != "" {
		if err := writeHTMLFile(rf.html, s); err != nil {
			fmt.Fprintf(stderr, "waymark report: %v\n", err)
			return 1
		}
	}
	out := bufio.NewWriter(stdout)
	if rf.json {
		err = report.WriteJSON(out, s)
	} else {
		err = report.WriteText(out, s)
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintf(stderr, "waymark report: write: %v\n", err)
		return 1
	}
	return 0
}

// writeHTMLFile writes the page next to its destination and renames it into place, so a page
// that a browser has open is never seen half-written.
func writeHTMLFile(path string, s *report.Report) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".waymark-report-*.html")
	if err != nil {
		return fmt.Errorf("html: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	w := bufio.NewWriter(f)
	err = report.WriteHTML(w, s)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("html: write %s: %w", path, err)
	}
	return nil
}

package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// FunnelSentence says on every page how the funnel is counted.
const FunnelSentence = "Installs first seen in the range that reached each step and every step before it, in order; " +
	"conversion is from the first step, step conversion from the previous one, and the time is the median between the two steps."

// WriteText writes the report for a person reading a terminal. Every value that came from
// clients is stripped of control and bidirectional-formatting characters.
func WriteText(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	for i, name := range r.ProductNames() {
		s := r.Products[name]
		if i > 0 {
			p("\n")
		}
		p("== %s: as of %s, range %s to %s (%d days)\n\n", sanitize(name), s.Range.Now, s.Range.From, s.Range.To, s.Range.Days)
		p("Active installs\tlast 30 days\t%d\n", s.Installs30d)
		p("\tlast day\t%d\n", s.Installs1d)
		p("\tin the range\t%d\t%s\n", s.Active.Current, changeLabel(s.Active))
		p("New installs\tin the range\t%d\t%s\n", s.New.Current, changeLabel(s.New))
		p("Live servers\t\t%d\n", s.ServersLive)
		if s.MinInstalls > 1 {
			p("\nGroups of fewer than %d installs are shown as \"fewer than %d\".\n", s.MinInstalls, s.MinInstalls)
		}
		if s.Estimate {
			p("\n%s\n", EstimateSentence(s.SampleRate))
		}

		p("\nFunnel\tinstalls\tconversion\tstep\tmedian time from previous\n")
		if len(s.Funnel) == 0 {
			p("  (no milestones)\n")
		}
		for _, f := range s.Funnel {
			p("  %s\t%s\t%s\t%s\t%s\n", sanitize(f.Milestone), countLabel(f.Installs), pct(f.Conversion), pct(f.StepConversion), durLabel(f.MedianSeconds))
		}
		p("  %s\n", FunnelSentence)

		p("\nDay\tactive\tnew\n")
		for _, d := range s.Daily {
			p("  %s\t%s\t%s\n", d.Date, countLabel(d.Active), countLabel(d.New))
		}

		for _, m := range []struct {
			title string
			m     map[string]Count
		}{{"Versions", s.Versions}, {"Platforms", s.Platforms}, {"OS", s.OS}, {"Arch", s.Arch}, {"Go runtimes", s.Runtimes}} {
			p("\n%s (last 30 days)\tinstalls\n", m.title)
			if len(m.m) == 0 {
				p("  (none)\n")
			}
			for _, kv := range sortedCounts(m.m) {
				p("  %s\t%s\n", sanitize(kv.Key), countLabel(kv.C))
			}
		}

		p("\nRetention (cohort week)\tinstalls\tweek 1 … 8\n")
		if len(s.Retention) == 0 {
			p("  (none)\n")
		}
		for _, c := range s.Retention {
			var cells []string
			for _, a := range c.Active {
				cells = append(cells, shareLabel(a))
			}
			p("  %s\t%s\t%s\n", c.Week, countLabel(c.Installs), strings.Join(cells, "  "))
		}

		p("\nAI coding agents (in the range)\tinstalls\tshare of active\n")
		if len(s.Agents) == 0 {
			p("  (none)\n")
		}
		for _, kv := range sortedCounts(s.Agents) {
			p("  %s\t%s\t%s\n", sanitize(kv.Key), countLabel(kv.C), shareLabel(s.AgentShares[kv.Key]))
		}

		p("\nServers (live)\tsessions\tmedian uptime\n")
		if len(s.Servers) == 0 {
			p("  (none)\n")
		}
		for _, sv := range s.Servers {
			p("  %s\t%s\t%s\n", sanitize(sv.Version), countLabel(sv.Live), durLabel(sv.MedianUptimeSeconds))
		}

		p("\nError reports\tinstalls\treports\tversions\n")
		if len(s.Errors) == 0 {
			p("  (none)\n")
		}
		for _, e := range s.Errors {
			var vs []string
			for _, kv := range sortedCounts(e.Versions) {
				vs = append(vs, sanitize(kv.Key)+" ("+countLabel(kv.C)+")")
			}
			p("  %s: %s\t%s\t%s\t%s\n", sanitize(clipRunes(e.Type, 60)), sanitize(clipRunes(e.Message, 100)), countLabel(e.Installs), countLabel(e.Reports), strings.Join(vs, ", "))
		}
	}
	if len(r.Products) == 0 {
		p("No Waymark events found.\n")
	}
	return tw.Flush()
}

func changeLabel(c Change) string {
	if c.ChangePct == nil {
		return fmt.Sprintf("(previous period %d)", c.Previous)
	}
	return fmt.Sprintf("(%+.1f%% on the previous period's %d)", *c.ChangePct, c.Previous)
}

func pct(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", *v*100)
}

func shareLabel(s Share) string {
	switch {
	case s.Below > 0:
		return fmt.Sprintf("<%d", s.Below)
	case !s.Known:
		return "-"
	}
	return fmt.Sprintf("%.0f%%", s.V*100)
}

func durLabel(sec *float64) string {
	if sec == nil {
		return "-"
	}
	d := time.Duration(*sec) * time.Second
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	case d >= time.Minute:
		return fmt.Sprintf("%.0f min", d.Minutes())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

// keyCount is one value of a map with its count.
type keyCount struct {
	Key string
	C   Count
}

// sortedCounts orders a map by count, most first (hidden counts last), then by key.
func sortedCounts(m map[string]Count) []keyCount {
	out := make([]keyCount, 0, len(m))
	for k, c := range m {
		out = append(out, keyCount{k, c})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].C, out[j].C
		if a.Hidden() != b.Hidden() {
			return b.Hidden()
		}
		if a.N != b.N {
			return a.N > b.N
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// sanitize keeps values sent by clients from steering the terminal: control characters (C0,
// DEL, C1) and the bidirectional and invisible formatting characters (Unicode category Cf:
// U+200B…U+200F, U+202A…U+202E, U+2066…U+2069, U+FEFF and the rest) become '?'.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r == unicode.ReplacementChar {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

// clipRunes shortens s to n runes.
func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Sanitize is sanitize for the command's warnings, which quote client values.
func Sanitize(s string) string { return sanitize(s) }

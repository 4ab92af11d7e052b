package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes the summary as one indented JSON object: the keys of SPEC §8 and nothing
// else.
func WriteJSON(w io.Writer, s *Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteText writes the summary for a person reading a terminal.
func WriteText(w io.Writer, s *Summary) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	p("Waymark report as of %s (%d events", s.Now.UTC().Format(time.RFC3339), s.Events)
	if s.Duplicates > 0 {
		p(", %d duplicates counted once", s.Duplicates)
	}
	p(")\n\n")
	p("Active installs\tlast 30 days\t%d\n", s.Installs30d)
	p("\tlast day\t%d\n", s.Installs1d)
	p("Live servers\t\t%d\n", s.ServersLive)
	p("\nFunnel\tinstalls\tconversion\n")
	if len(s.Funnel) == 0 {
		p("  (no milestones)\n")
	}
	for _, f := range s.Funnel {
		p("  %s\t%d\t%.1f%%\n", sanitize(f.Milestone), f.Installs, f.Conversion*100)
	}
	for _, m := range []struct {
		title string
		m     map[string]int
	}{{"Versions", s.Versions}, {"OS", s.OS}, {"Arch", s.Arch}} {
		p("\n%s\tinstalls\n", m.title)
		if len(m.m) == 0 {
			p("  (none)\n")
		}
		for _, kv := range sortedCounts(m.m) {
			p("  %s\t%d\n", sanitize(kv.Key), kv.N)
		}
	}
	return tw.Flush()
}

// Count is one value of a map with its installs.
type Count struct {
	Key string
	N   int
}

// sortedCounts orders a map by count, most first, then by key.
func sortedCounts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// sanitize keeps values sent by clients from steering the terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

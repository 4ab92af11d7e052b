package report

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// WriteHTML writes the summary as one self-contained HTML page: inline CSS and inline SVG
// charts (active installs per day, the funnel, versions, OS and arch), no scripts, no fonts or
// anything else fetched from the network.
func WriteHTML(w io.Writer, s *Summary) error {
	t, err := template.New("report").Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("report: html template: %w", err)
	}
	funnel := make([]Count, len(s.Funnel))
	notes := make([]string, len(s.Funnel))
	for i, f := range s.Funnel {
		funnel[i] = Count{f.Milestone, f.Installs}
		notes[i] = fmt.Sprintf("%d (%.1f%%)", f.Installs, f.Conversion*100)
	}
	page := struct {
		S                          *Summary
		Now                        string
		Daily                      columnChart
		Funnel, Versions, OS, Arch barChart
	}{
		S:        s,
		Now:      s.Now.UTC().Format(time.RFC3339),
		Daily:    newColumnChart(s.Daily, s.Now),
		Funnel:   newBarChart("Funnel", funnel, notes),
		Versions: newBarChart("Versions", sortedCounts(s.Versions), nil),
		OS:       newBarChart("Operating systems", sortedCounts(s.OS), nil),
		Arch:     newBarChart("Architectures", sortedCounts(s.Arch), nil),
	}
	return t.Execute(w, page)
}

// Geometry of the charts, in SVG user units.
const (
	chartWidth = 640
	labelWidth = 170
	barSpace   = 360
	rowHeight  = 26
	colHeight  = 140
)

type barChart struct {
	Title  string
	Height int
	Rows   []barRow
}

type barRow struct {
	Label, Note string
	Y, TextY    int
	Width       float64
	NoteX       float64
}

func newBarChart(title string, counts []Count, notes []string) barChart {
	max := 0
	for _, c := range counts {
		if c.N > max {
			max = c.N
		}
	}
	ch := barChart{Title: title, Height: len(counts)*rowHeight + 8}
	for i, c := range counts {
		wd := 0.0
		if max > 0 {
			wd = float64(c.N) / float64(max) * barSpace
		}
		note := fmt.Sprint(c.N)
		if notes != nil {
			note = notes[i]
		}
		ch.Rows = append(ch.Rows, barRow{
			Label: clip(c.Key, 24), Note: note,
			Y: 4 + i*rowHeight, TextY: 4 + i*rowHeight + 16,
			Width: wd, NoteX: labelWidth + wd + 6,
		})
	}
	return ch
}

type columnChart struct {
	Max   int
	Cols  []column
	First string
	Last  string
}

type column struct {
	X, Y, W, H float64
	Title      string
}

func newColumnChart(daily []int, now time.Time) columnChart {
	ch := columnChart{}
	for _, n := range daily {
		ch.Max = max(ch.Max, n)
	}
	n := len(daily)
	if n == 0 {
		return ch
	}
	slot := float64(chartWidth-40) / float64(n)
	for i, v := range daily {
		h := 0.0
		if ch.Max > 0 {
			h = float64(v) / float64(ch.Max) * colHeight
		}
		day := now.Add(-time.Duration(n-1-i) * Day).UTC().Format("2006-01-02")
		ch.Cols = append(ch.Cols, column{
			X: 30 + float64(i)*slot + 1, W: slot - 2,
			Y: 10 + colHeight - h, H: h,
			Title: fmt.Sprintf("%s: %d installs", day, v),
		})
	}
	ch.First = now.Add(-time.Duration(n-1) * Day).UTC().Format("Jan 2")
	ch.Last = now.UTC().Format("Jan 2")
	return ch
}

// clip shortens a label that would run into its bar.
func clip(s string, n int) string {
	r := []rune(sanitize(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Waymark report</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 720px; color: #1f2430; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; }
h2 { font-size: 1.05rem; margin: 1.8rem 0 .4rem; }
.sub { color: #5b6270; margin-top: 0; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; }
.card { border: 1px solid #d8dce3; border-radius: 8px; padding: .7rem 1rem; min-width: 130px; }
.card b { display: block; font-size: 1.6rem; }
svg text { font-size: 13px; fill: #1f2430; }
svg .axis { fill: #5b6270; font-size: 11px; }
.bar { fill: #3d6fd8; }
.col { fill: #2f9e76; }
.empty { color: #5b6270; }
</style>
</head>
<body>
<h1>Waymark report</h1>
<p class="sub">As of {{.Now}} &middot; {{.S.Events}} events{{if .S.Duplicates}}, {{.S.Duplicates}} duplicates counted once{{end}}</p>
<div class="cards">
<div class="card"><b>{{.S.Installs30d}}</b>installs, 30 days</div>
<div class="card"><b>{{.S.Installs1d}}</b>installs, 1 day</div>
<div class="card"><b>{{.S.ServersLive}}</b>live servers</div>
</div>

<h2>Active installs per day</h2>
<svg role="img" aria-label="Active installs per day over 30 days" width="640" height="175" viewBox="0 0 640 175" xmlns="http://www.w3.org/2000/svg">
<line x1="30" y1="150" x2="630" y2="150" stroke="#d8dce3"/>
<text class="axis" x="0" y="18">{{.Daily.Max}}</text><text class="axis" x="0" y="150">0</text>
{{range .Daily.Cols}}<rect class="col" x="{{printf "%.1f" .X}}" y="{{printf "%.1f" .Y}}" width="{{printf "%.1f" .W}}" height="{{printf "%.1f" .H}}"><title>{{.Title}}</title></rect>
{{end}}<text class="axis" x="30" y="168">{{.Daily.First}}</text><text class="axis" x="630" y="168" text-anchor="end">{{.Daily.Last}}</text>
</svg>
{{template "bars" .Funnel}}
{{template "bars" .Versions}}
{{template "bars" .OS}}
{{template "bars" .Arch}}
</body>
</html>
{{define "bars"}}<h2>{{.Title}}</h2>
{{if .Rows}}<svg role="img" aria-label="{{.Title}}" width="640" height="{{.Height}}" viewBox="0 0 640 {{.Height}}" xmlns="http://www.w3.org/2000/svg">
{{range .Rows}}<text x="0" y="{{.TextY}}">{{.Label}}</text><rect class="bar" x="170" y="{{.Y}}" width="{{printf "%.1f" .Width}}" height="20"/><text x="{{printf "%.1f" .NoteX}}" y="{{.TextY}}">{{.Note}}</text>
{{end}}</svg>
{{else}}<p class="empty">No data.</p>
{{end}}{{end}}`

package report

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"
)

// WriteHTML writes the report as one self-contained HTML page: inline CSS and SVG, no script,
// nothing fetched from the network. Every chart is a <figure> holding the chart and a table
// with its numbers; series are told apart by pattern and label as well as colour. All text is
// HTML at the body's size (the SVGs hold shapes only), and on a narrow screen tables of more
// than two columns reflow into one block per row, so nothing scrolls sideways at 320 px. The
// page follows the reader's dark-mode preference and prints legibly. html/template escapes
// every value that came from the data.
func WriteHTML(w io.Writer, r *Report) error {
	t, err := template.New("page").Funcs(template.FuncMap{
		"count": countLabel, "pct": pct, "share": shareLabel, "dur": durLabel, "change": changeLabel,
		"f1":   func(f float64) string { return fmt.Sprintf("%.1f", f) },
		"inc":  func(i int) int { return i + 1 },
		"day":  humanDay,
		"span": humanSpan,
		"countList": func(m map[string]Count) string {
			parts := make([]string, 0, len(m))
			for _, kc := range sortedCounts(m) {
				parts = append(parts, kc.Key+" ("+countLabel(kc.C)+")")
			}
			return strings.Join(parts, ", ")
		},
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
	}).Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("report: html template: %w", err)
	}
	type section struct {
		Name      string
		P         *Product
		Daily     columnChart
		Adoption  stackChart
		Funnel    barChart
		Versions  barChart
		Platforms barChart
		Runtimes  barChart
		Agents    barChart
		Sentence  string
		Estimate  string
	}
	var page struct {
		Sections []section
		Now      string
	}
	for _, name := range r.ProductNames() {
		p := r.Products[name]
		page.Now = humanTime(p.Range.Now)
		funnel := make([]keyCount, len(p.Funnel))
		notes := make([]string, len(p.Funnel))
		for i, f := range p.Funnel {
			funnel[i] = keyCount{f.Milestone, f.Installs}
			notes[i] = countLabel(f.Installs)
			if f.Conversion != nil {
				notes[i] += " · " + pct(f.Conversion)
			}
		}
		page.Sections = append(page.Sections, section{
			Name: name, P: p, Sentence: FunnelSentence,
			Daily:     newColumnChart(p.Daily),
			Adoption:  newStackChart(p.VersionAdoption),
			Funnel:    newBarChart(funnel, notes),
			Versions:  newBarChart(sortedCounts(p.Versions), nil),
			Platforms: newBarChart(sortedCounts(p.Platforms), nil),
			Runtimes:  newBarChart(sortedCounts(p.Runtimes), nil),
			Agents:    newBarChart(sortedCounts(p.Agents), nil),
			Estimate:  EstimateSentence(p.SampleRate),
		})
	}
	return t.Execute(w, page)
}

// Column chart geometry in SVG user units. The column SVGs hold no text and stretch to the
// figure's width at a fixed CSS height (preserveAspectRatio="none"); labels are HTML.
const (
	svgWidth  = 400
	colChartH = 150
)

type barChart struct {
	Rows []barRow
}

// barRow is one bar: Width is its length in percent of the longest.
type barRow struct {
	Label, Note string
	Width       float64
}

// newBarChart draws one horizontal bar per count, as HTML so its labels read at the body's
// size; a hidden count gets no bar, only its label.
func newBarChart(counts []keyCount, notes []string) barChart {
	top := 0
	for _, c := range counts {
		top = max(top, c.C.N)
	}
	ch := barChart{}
	for i, c := range counts {
		w := 0.0
		if top > 0 && !c.C.Hidden() {
			w = float64(c.C.N) / float64(top) * 100
		}
		note := countLabel(c.C)
		if notes != nil {
			note = notes[i]
		}
		ch.Rows = append(ch.Rows, barRow{Label: clip(c.Key, 40), Note: note, Width: w})
	}
	return ch
}

type columnChart struct {
	Max         int
	Cols        []column
	First, Last string
}

type column struct {
	X, W, ActiveY, ActiveH, NewY, NewH float64
	Title                              string
}

// newColumnChart draws active installs per day as columns with the new installs as a
// hatched part of each.
func newColumnChart(days []Day) columnChart {
	ch := columnChart{}
	for _, d := range days {
		ch.Max = max(ch.Max, d.Active.N)
	}
	if len(days) == 0 {
		return ch
	}
	slot := float64(svgWidth) / float64(len(days))
	base := 10.0 + colChartH
	for i, d := range days {
		h := func(c Count) float64 {
			if ch.Max == 0 || c.Hidden() {
				return 0
			}
			return float64(c.N) / float64(ch.Max) * colChartH
		}
		ah, nh := h(d.Active), min(h(d.New), h(d.Active))
		ch.Cols = append(ch.Cols, column{
			X: float64(i) * slot, W: max(slot*0.8, 0.5),
			ActiveY: base - ah, ActiveH: ah, NewY: base - nh, NewH: nh,
			Title: fmt.Sprintf("%s: %s active, %s new", d.Date, countLabel(d.Active), countLabel(d.New)),
		})
	}
	ch.First, ch.Last = days[0].Date, days[len(days)-1].Date
	return ch
}

type stackChart struct {
	Series []string // legend, bottom of the stack first
	Max    int
	Cols   []stackCol
	First  string
	Last   string
	Rows   []stackRow // the table
}

type stackCol struct {
	Segs  []stackSeg
	Title string
}

type stackSeg struct {
	X, Y, W, H float64
	Series     int
}

type stackRow struct {
	Date  string
	Cells []stackCell
}

// stackCell is one cell of the adoption table with the series it belongs to, which a narrow
// screen shows next to the value.
type stackCell struct {
	Series, Value string
}

// maxSeries is how many versions the adoption chart tells apart; the rest are "other".
const maxSeries = 5

// newStackChart stacks, per day, the installs of the most used versions (hidden counts are
// left out of the bars but shown in the table).
func newStackChart(days []DayVersions) stackChart {
	ch := stackChart{}
	if len(days) == 0 {
		return ch
	}
	total := map[string]int{}
	for _, d := range days {
		for v, c := range d.Versions {
			total[v] += c.N
		}
	}
	vs := make([]string, 0, len(total))
	for v := range total {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool {
		if total[vs[i]] != total[vs[j]] {
			return total[vs[i]] > total[vs[j]]
		}
		return vs[i] < vs[j]
	})
	other := false
	if len(vs) > maxSeries {
		vs, other = vs[:maxSeries], true
	}
	sort.Strings(vs) // oldest version at the bottom, for most version schemes
	index := map[string]int{}
	for i, v := range vs {
		index[v] = i
		ch.Series = append(ch.Series, clip(v, 16))
	}
	if other {
		ch.Series = append(ch.Series, "other")
	}
	sums := make([][]int, len(days))
	for i, d := range days {
		sums[i] = make([]int, len(ch.Series))
		n := 0
		for v, c := range d.Versions {
			if c.Hidden() {
				continue
			}
			k, ok := index[v]
			if !ok {
				k = len(ch.Series) - 1
			}
			sums[i][k] += c.N
			n += c.N
		}
		ch.Max = max(ch.Max, n)
		row := stackRow{Date: d.Date}
		for k, v := range vs {
			row.Cells = append(row.Cells, stackCell{ch.Series[k], countOrZero(d.Versions, v)})
		}
		if other {
			o, hidden := 0, false
			for v, c := range d.Versions {
				if _, ok := index[v]; !ok {
					o += c.N
					hidden = hidden || c.Hidden()
				}
			}
			cell := fmt.Sprint(o)
			if hidden {
				cell += " (and groups of fewer than the minimum)"
			}
			row.Cells = append(row.Cells, stackCell{"other", cell})
		}
		ch.Rows = append(ch.Rows, row)
	}
	slot := float64(svgWidth) / float64(len(days))
	for i := range days {
		col := stackCol{Title: days[i].Date}
		y := 10.0 + colChartH
		var parts []string
		for k, n := range sums[i] {
			if n == 0 || ch.Max == 0 {
				continue
			}
			h := float64(n) / float64(ch.Max) * colChartH
			y -= h
			col.Segs = append(col.Segs, stackSeg{X: float64(i) * slot, Y: y, W: max(slot*0.8, 0.5), H: h, Series: k % 6})
			parts = append(parts, fmt.Sprintf("%s %d", ch.Series[k], n))
		}
		col.Title += ": " + strings.Join(parts, ", ")
		ch.Cols = append(ch.Cols, col)
	}
	ch.First, ch.Last = days[0].Date, days[len(days)-1].Date
	return ch
}

func countOrZero(m map[string]Count, k string) string {
	c, ok := m[k]
	if !ok {
		return "0"
	}
	return countLabel(c)
}

// humanTime renders an RFC 3339 instant for people: "20 November 2026, 00:00 UTC". A value
// that does not parse is shown as it is.
func humanTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}

// humanDay renders a UTC day ("2026-10-21") as "21 October 2026".
func humanDay(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("2 January 2006")
}

// humanSpan renders two UTC days as one span: "21 October to 19 November 2026", the year
// written once when both share it.
func humanSpan(from, to string) string {
	a, errA := time.Parse(time.DateOnly, from)
	b, errB := time.Parse(time.DateOnly, to)
	if errA != nil || errB != nil {
		return from + " to " + to
	}
	if a.Year() == b.Year() {
		return a.Format("2 January") + " to " + b.Format("2 January 2006")
	}
	return a.Format("2 January 2006") + " to " + b.Format("2 January 2006")
}

// clip shortens a label that would run into its bar.
func clip(s string, n int) string {
	return clipRunes(sanitize(s), n)
}

const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Waymark report</title>
<style>
:root { --fg: #1f2430; --muted: #4a5160; --bg: #ffffff; --line: #c9ced8; --card: #f5f7fa;
  --s0: #2456c5; --s1: #b3471b; --s2: #1d7a52; --s3: #7b3fb0; --s4: #8a6d00; --s5: #4a5160; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8eaee; --muted: #b9bfca; --bg: #14171c; --line: #3b414d; --card: #1d2128;
    --s0: #86abff; --s1: #ff9c6e; --s2: #5fd3a0; --s3: #c79bff; --s4: #e8c547; --s5: #b9bfca; }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 52rem;
  padding: 1rem; color: var(--fg); background: var(--bg); line-height: 1.45; overflow-wrap: anywhere; }
h1 { font-size: 1.45rem; margin: .5rem 0 .2rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3, figcaption { font-size: 1.05rem; font-weight: 600; margin: 1.4rem 0 .3rem; }
.sub, .note, .axis { color: var(--muted); }
.note { font-size: .9rem; margin: .2rem 0 .4rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .6rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; }
.card b { display: block; font-size: 1.4rem; }
figure { margin: 0 0 1.2rem; }
svg.cols { display: block; width: 100%; height: 10rem; }
.axis { display: flex; justify-content: space-between; gap: 1rem; font-size: .85rem; }
.s0 { fill: var(--s0); } .s1 { fill: var(--s1); } .s2 { fill: var(--s2); }
.s3 { fill: var(--s3); } .s4 { fill: var(--s4); } .s5 { fill: var(--s5); }
.baseline { stroke: var(--line); }
.bars { display: grid; grid-template-columns: fit-content(50%) minmax(2rem, 1fr) auto; gap: .2rem .5rem;
  align-items: center; font-size: .9rem; margin: .3rem 0 .5rem; }
.brow { display: contents; }
.blabel { overflow-wrap: anywhere; }
.btrack { display: block; height: 1.1em; }
.bfill { display: block; height: 100%; background: var(--s0); min-width: 1px; }
.bnote { white-space: nowrap; }
table { border-collapse: collapse; font-size: .9rem; margin: .3rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .2rem .5rem; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
th, td { white-space: nowrap; overflow-wrap: normal; }
td.text { text-align: left; white-space: normal; overflow-wrap: anywhere; }
/* A row's name comes from clients (a version, a milestone: up to 64 characters with no space
   to break at): it may break anywhere rather than push its table past the screen. */
th[scope="row"], tbody td:first-child { white-space: normal; overflow-wrap: anywhere; }
caption { text-align: left; color: var(--muted); font-size: .85rem; padding: .2rem 0; }
details summary { cursor: pointer; color: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: .3rem .9rem; font-size: .85rem; margin: .3rem 0; padding: 0; list-style: none; }
.legend svg { display: inline-block; width: 1.4em; height: 1em; vertical-align: -0.15em; margin-right: .3em; }
/* A narrow screen: tables of more than two columns become one block per row, each value
   under its column's name, so no table is wider than the screen. */
@media (max-width: 40rem) {
  .stack table, .stack tbody { display: block; width: 100%; }
  .stack thead { display: none; }
  .stack tr { display: grid; grid-template-columns: repeat(auto-fill, minmax(6.5rem, 1fr)); gap: 0 .6rem;
    border-bottom: 1px solid var(--line); padding: .35rem 0; }
  .stack th[scope="row"], .stack td.text { grid-column: 1 / -1; }
  .stack th, .stack td { border: 0; padding: .1rem 0; text-align: left; white-space: normal; overflow-wrap: anywhere; }
  .stack td[data-label]::before { content: attr(data-label); display: block; color: var(--muted); font-size: .8rem; }
  .compact tr { grid-template-columns: repeat(auto-fill, minmax(4.2rem, 1fr)); }
  .compact td[data-label]::before { display: inline; margin-right: .3em; }
}
@media print {
  :root { --fg: #000; --muted: #333; --bg: #fff; --line: #999; --card: #fff; }
  body { max-width: none; }
  details > summary { display: none; }
  figure, table { break-inside: avoid; }
}
</style>
</head>
<body>
<h1>Waymark report</h1>
<p class="sub">As of {{.Now}}. Active means an install sent any event; counts are distinct installations.</p>
<svg width="0" height="0" aria-hidden="true" focusable="false" style="position:absolute">
<defs>
<pattern id="pat1" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="s1"/><rect width="2" height="6" fill="#fff" fill-opacity=".55"/></pattern>
<pattern id="pat2" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" class="s2"/><circle cx="2.5" cy="2.5" r="1.1" fill="#fff" fill-opacity=".6"/></pattern>
<pattern id="pat3" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" class="s3"/><rect y="2" width="6" height="1.6" fill="#fff" fill-opacity=".55"/></pattern>
<pattern id="pat4" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" class="s4"/><rect width="2" height="6" fill="#000" fill-opacity=".35"/></pattern>
<pattern id="pat5" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" class="s5"/><rect x="2" width="1.6" height="6" fill="#fff" fill-opacity=".55"/></pattern>
<pattern id="hatch" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" class="s1"/><rect width="1.8" height="5" fill="#fff" fill-opacity=".5"/></pattern>
</defs>
</svg>
{{range .Sections}}{{$p := .P}}
<section aria-labelledby="p-{{.Name}}">
<h2 id="p-{{.Name}}">{{.Name}}</h2>{{if $p.Estimate}}
<p class="note">{{.Estimate}}</p>{{end}}
<p class="sub">{{span $p.Range.From $p.Range.To}} ({{$p.Range.Days}} UTC days), compared with the {{$p.Range.Days}} days before.{{if gt $p.MinInstalls 1}} Groups of fewer than {{$p.MinInstalls}} installs are shown only as “fewer than {{$p.MinInstalls}}”.{{end}}</p>
<div class="cards">
<div class="card"><b>{{$p.Active.Current}}</b>active in the range <span class="note">{{change $p.Active}}</span></div>
<div class="card"><b>{{$p.New.Current}}</b>new in the range <span class="note">{{change $p.New}}</span></div>
<div class="card"><b>{{$p.Installs30d}}</b>active, last 30 days</div>
<div class="card"><b>{{$p.Installs1d}}</b>active, last day</div>
<div class="card"><b>{{$p.ServersLive}}</b>live servers</div>
</div>

<figure>
<figcaption>Installs per day</figcaption>
<ul class="legend"><li><svg viewBox="0 0 14 10" aria-hidden="true"><rect width="14" height="10" class="s0"/></svg>active</li><li><svg viewBox="0 0 14 10" aria-hidden="true"><rect width="14" height="10" fill="url(#hatch)"/></svg>new, within the day's column</li></ul>
<div class="axis"><span>{{.Daily.Max}}</span></div>
<svg class="cols" viewBox="0 0 400 160" preserveAspectRatio="none" role="img" aria-label="Active and new installs per day, {{day .Daily.First}} to {{day .Daily.Last}}; the numbers are in the table below">
<line class="baseline" x1="0" y1="160" x2="400" y2="160" vector-effect="non-scaling-stroke"/>
{{range .Daily.Cols}}<g><title>{{.Title}}</title><rect class="s0" x="{{f1 .X}}" y="{{f1 .ActiveY}}" width="{{f1 .W}}" height="{{f1 .ActiveH}}"/>{{if .NewH}}<rect fill="url(#hatch)" x="{{f1 .X}}" y="{{f1 .NewY}}" width="{{f1 .W}}" height="{{f1 .NewH}}"/>{{end}}</g>
{{end}}</svg>
<div class="axis"><span>{{day .Daily.First}}</span><span>{{day .Daily.Last}}</span></div>
<details><summary>Table: installs per day</summary>
<div class="stack"><table>
<thead><tr><th scope="col">Day (UTC)</th><th scope="col">Active</th><th scope="col">New</th></tr></thead>
<tbody>{{range $p.Daily}}<tr><th scope="row">{{.Date}}</th><td data-label="Active">{{count .Active}}</td><td data-label="New">{{count .New}}</td></tr>{{end}}</tbody>
</table></div></details>
</figure>

<figure>
<figcaption>Version adoption</figcaption>
<p class="note">Installs active each day, by the version of their latest event that day.</p>
<ul class="legend">{{range $i, $s := .Adoption.Series}}<li><svg viewBox="0 0 14 10" aria-hidden="true">{{if eq $i 0}}<rect width="14" height="10" class="s0"/>{{else}}<rect width="14" height="10" fill="url(#pat{{$i}})"/>{{end}}</svg>{{$s}}</li>{{end}}</ul>
<div class="axis"><span>{{.Adoption.Max}}</span></div>
<svg class="cols" viewBox="0 0 400 160" preserveAspectRatio="none" role="img" aria-label="Version adoption per day, stacked; the numbers are in the table below">
<line class="baseline" x1="0" y1="160" x2="400" y2="160" vector-effect="non-scaling-stroke"/>
{{range .Adoption.Cols}}<g><title>{{.Title}}</title>{{range .Segs}}<rect {{if eq .Series 0}}class="s0"{{else}}fill="url(#pat{{.Series}})"{{end}} x="{{f1 .X}}" y="{{f1 .Y}}" width="{{f1 .W}}" height="{{f1 .H}}"/>{{end}}</g>
{{end}}</svg>
<div class="axis"><span>{{day .Adoption.First}}</span><span>{{day .Adoption.Last}}</span></div>
<details><summary>Table: installs per day by version</summary>
<div class="stack"><table>
<thead><tr><th scope="col">Day (UTC)</th>{{range .Adoption.Series}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Adoption.Rows}}<tr><th scope="row">{{.Date}}</th>{{range .Cells}}<td data-label="{{.Series}}">{{.Value}}</td>{{end}}</tr>{{end}}</tbody>
</table></div></details>
</figure>

<figure>
<figcaption>Funnel</figcaption>
{{template "bars" .Funnel}}
<p class="note">Counted among the {{$p.New.Current}} installs first seen in the range{{if ne $p.New.Current $p.Active.Current}}, not all {{$p.Active.Current}} active{{end}}.</p>
<div class="stack"><table>
<thead><tr><th scope="col">Step</th><th scope="col">Installs</th><th scope="col">Conversion</th><th scope="col">Step conversion</th><th scope="col">Median time from previous</th></tr></thead>
<tbody>{{range $p.Funnel}}<tr><th scope="row">{{.Milestone}}</th><td data-label="Installs">{{count .Installs}}</td><td data-label="Conversion">{{pct .Conversion}}</td><td data-label="Step conversion">{{pct .StepConversion}}</td><td data-label="Median time from previous">{{dur .MedianSeconds}}</td></tr>{{end}}</tbody>
</table></div>
<details><summary>How the funnel is counted</summary><p class="note">{{.Sentence}}</p></details>
</figure>

<figure>
<figcaption>Retention by weekly cohort</figcaption>
<p class="note">Of the installs first seen in a week (from Monday, UTC), the share active in week 1 to 8 after it; “-” for a week not over yet.</p>
<div class="stack compact"><table>
<thead><tr><th scope="col">Cohort week</th><th scope="col">Installs</th><th scope="col">W1</th><th scope="col">W2</th><th scope="col">W3</th><th scope="col">W4</th><th scope="col">W5</th><th scope="col">W6</th><th scope="col">W7</th><th scope="col">W8</th></tr></thead>
<tbody>{{range $p.Retention}}<tr><th scope="row">{{.Week}}</th><td data-label="Installs">{{count .Installs}}</td>{{range $i, $s := .Active}}<td data-label="W{{inc $i}}">{{share $s}}</td>{{end}}</tr>{{end}}</tbody>
</table></div>
</figure>

{{template "figure" (dict "Title" "Versions" "Key" "Version" "Note" "Installs active in the last 30 days, by their latest version." "Chart" .Versions "Counts" $p.Versions)}}
{{template "figure" (dict "Title" "Platforms" "Key" "OS / architecture" "Note" "Operating system and architecture, last 30 days." "Chart" .Platforms "Counts" $p.Platforms)}}
{{template "figure" (dict "Title" "Go runtime versions" "Key" "Go version" "Note" "" "Chart" .Runtimes "Counts" $p.Runtimes)}}
{{template "figure" (dict "Title" "AI coding agents" "Key" "Agent" "Note" "Installs active in the range with runs made by each agent." "Chart" .Agents "Counts" $p.Agents)}}

<h3>Live servers by version</h3>
<p class="note">Server sessions whose last heartbeat is at most twice their interval old.</p>
<div class="stack"><table>
<thead><tr><th scope="col">Version</th><th scope="col">Live sessions</th><th scope="col">Median uptime</th></tr></thead>
<tbody>{{range $p.Servers}}<tr><th scope="row">{{.Version}}</th><td data-label="Live sessions">{{count .Live}}</td><td data-label="Median uptime">{{dur .MedianUptimeSeconds}}</td></tr>{{else}}<tr><td colspan="3" class="text">No live servers.</td></tr>{{end}}</tbody>
</table></div>

<h3>Error reports</h3>
<p class="note">Reports sent in the range, by exception type and message.</p>
<div class="stack"><table>
<thead><tr><th scope="col">Type and message</th><th scope="col">Installs</th><th scope="col">Reports</th><th scope="col">Versions (installs)</th></tr></thead>
<tbody>{{range $p.Errors}}<tr><td class="text"><code>{{.Type}}</code>: {{.Message}}</td><td data-label="Installs">{{count .Installs}}</td><td data-label="Reports">{{count .Reports}}</td><td class="text" data-label="Versions (installs)">{{countList .Versions}}</td></tr>{{else}}<tr><td colspan="4" class="text">No error reports.</td></tr>{{end}}</tbody>
</table></div>
</section>
{{end}}{{if not .Sections}}<p>No Waymark events found.</p>{{end}}
</body>
</html>
{{define "bars"}}{{if .Rows}}<div class="bars" aria-hidden="true">
{{range .Rows}}<div class="brow"><span class="blabel">{{.Label}}</span><span class="btrack"><span class="bfill" style="width: {{f1 .Width}}%"></span></span><span class="bnote">{{.Note}}</span></div>
{{end}}</div>{{else}}<p class="note">No data.</p>{{end}}{{end}}
{{define "figure"}}<figure>
<figcaption>{{.Title}}</figcaption>
{{if .Note}}<p class="note">{{.Note}}</p>{{end}}
{{template "bars" .Chart}}
<div><table>
<thead><tr><th scope="col">{{.Key}}</th><th scope="col">Installs</th></tr></thead>
<tbody>{{range $k, $c := .Counts}}<tr><th scope="row">{{$k}}</th><td>{{count $c}}</td></tr>{{else}}<tr><td colspan="2" class="text">No data.</td></tr>{{end}}</tbody>
</table></div>
</figure>{{end}}`

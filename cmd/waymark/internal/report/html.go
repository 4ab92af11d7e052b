package report

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
)

// WriteHTML writes the report as one self-contained HTML page: inline CSS and SVG, no script,
// nothing fetched from the network. Every chart is a <figure> holding its SVG (scaled to the
// page's width through its viewBox) and a table with the chart's numbers; series are told apart
// by pattern and label as well as colour; the page follows the reader's dark-mode preference
// and prints legibly. html/template escapes every value that came from the data.
func WriteHTML(w io.Writer, r *Report) error {
	t, err := template.New("page").Funcs(template.FuncMap{
		"count": countLabel, "pct": pct, "share": shareLabel, "dur": durLabel, "change": changeLabel,
		"f1": func(f float64) string { return fmt.Sprintf("%.1f", f) },
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
		page.Now = p.Range.Now
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

// Chart geometry in SVG user units; the SVGs scale to the page's width.
const (
	svgWidth  = 400
	labelW    = 120
	barW      = 170
	rowH      = 24
	colChartH = 150
)

type barChart struct {
	Height int
	Rows   []barRow
}

type barRow struct {
	Label, Note  string
	Y, TextY     int
	Width, NoteX float64
}

// newBarChart draws one horizontal bar per count; a hidden count gets no bar, only its label.
func newBarChart(counts []keyCount, notes []string) barChart {
	top := 0
	for _, c := range counts {
		top = max(top, c.C.N)
	}
	ch := barChart{Height: len(counts)*rowH + 6}
	for i, c := range counts {
		w := 0.0
		if top > 0 && !c.C.Hidden() {
			w = float64(c.C.N) / float64(top) * barW
		}
		note := countLabel(c.C)
		if notes != nil {
			note = notes[i]
		}
		ch.Rows = append(ch.Rows, barRow{
			Label: clip(c.Key, 16), Note: note, Y: 3 + i*rowH, TextY: 3 + i*rowH + 15,
			Width: w, NoteX: labelW + w + 4,
		})
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
	slot := float64(svgWidth-40) / float64(len(days))
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
			X: 36 + float64(i)*slot, W: max(slot*0.8, 0.5),
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
	Cells []string
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
		for _, v := range vs {
			row.Cells = append(row.Cells, countOrZero(d.Versions, v))
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
			row.Cells = append(row.Cells, cell)
		}
		ch.Rows = append(ch.Rows, row)
	}
	slot := float64(svgWidth-40) / float64(len(days))
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
			col.Segs = append(col.Segs, stackSeg{X: 36 + float64(i)*slot, Y: y, W: max(slot*0.8, 0.5), H: h, Series: k % 6})
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
h3, figcaption { font-size: 1.05rem; font-weight: 600; margin: 1.4rem 0 .4rem; }
.sub, .note { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .6rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; }
.card b { display: block; font-size: 1.4rem; }
figure { margin: 0 0 1.2rem; }
svg { display: block; width: 100%; height: auto; max-width: 100%; }
svg text { fill: var(--fg); font-size: 12px; }
svg .axis { fill: var(--muted); font-size: 11px; }
.s0 { fill: var(--s0); } .s1 { fill: var(--s1); } .s2 { fill: var(--s2); }
.s3 { fill: var(--s3); } .s4 { fill: var(--s4); } .s5 { fill: var(--s5); }
.bar { fill: var(--s0); }
.baseline { stroke: var(--line); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: .9rem; margin: .3rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .2rem .5rem; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
th, td { white-space: nowrap; overflow-wrap: normal; }
td.text { text-align: left; white-space: normal; overflow-wrap: anywhere; min-width: 12rem; }
caption { text-align: left; color: var(--muted); font-size: .85rem; padding: .2rem 0; }
details summary { cursor: pointer; color: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: .3rem .9rem; font-size: .85rem; margin: .3rem 0; padding: 0; list-style: none; }
.legend svg { display: inline-block; width: 1.4em; height: 1em; vertical-align: -0.15em; }
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
<p class="sub">Range {{$p.Range.From}} to {{$p.Range.To}} ({{$p.Range.Days}} UTC days), compared with {{$p.Range.PreviousFrom}} to {{$p.Range.PreviousTo}}.{{if gt $p.MinInstalls 1}} Groups of fewer than {{$p.MinInstalls}} installs are shown only as “fewer than {{$p.MinInstalls}}”.{{end}}</p>
<div class="cards">
<div class="card"><b>{{$p.Active.Current}}</b>active in the range <span class="note">{{change $p.Active}}</span></div>
<div class="card"><b>{{$p.New.Current}}</b>new in the range <span class="note">{{change $p.New}}</span></div>
<div class="card"><b>{{$p.Installs30d}}</b>active, last 30 days</div>
<div class="card"><b>{{$p.Installs1d}}</b>active, last day</div>
<div class="card"><b>{{$p.ServersLive}}</b>live servers</div>
</div>

<figure>
<figcaption>Active and new installs per day</figcaption>
<ul class="legend"><li><svg viewBox="0 0 14 10" aria-hidden="true"><rect width="14" height="10" class="s0"/></svg>active</li><li><svg viewBox="0 0 14 10" aria-hidden="true"><rect width="14" height="10" fill="url(#hatch)"/></svg>new (hatched, within the day's column)</li></ul>
<svg viewBox="0 0 400 182" role="img" aria-label="Active and new installs per day, {{.Daily.First}} to {{.Daily.Last}}; the numbers are in the table below">
<line class="baseline" x1="36" y1="160" x2="400" y2="160"/>
<text class="axis" x="0" y="20">{{.Daily.Max}}</text><text class="axis" x="0" y="160">0</text>
{{range .Daily.Cols}}<g><title>{{.Title}}</title><rect class="s0" x="{{f1 .X}}" y="{{f1 .ActiveY}}" width="{{f1 .W}}" height="{{f1 .ActiveH}}"/>{{if .NewH}}<rect fill="url(#hatch)" x="{{f1 .X}}" y="{{f1 .NewY}}" width="{{f1 .W}}" height="{{f1 .NewH}}"/>{{end}}</g>
{{end}}<text class="axis" x="36" y="178">{{.Daily.First}}</text><text class="axis" x="400" y="178" text-anchor="end">{{.Daily.Last}}</text>
</svg>
<details><summary>Table: installs per day</summary>
<div class="scroll"><table><caption>Active and new installs per UTC day</caption>
<thead><tr><th scope="col">Day</th><th scope="col">Active</th><th scope="col">New</th></tr></thead>
<tbody>{{range $p.Daily}}<tr><th scope="row">{{.Date}}</th><td>{{count .Active}}</td><td>{{count .New}}</td></tr>{{end}}</tbody>
</table></div></details>
</figure>

<figure>
<figcaption>Version adoption: active installs per day by version</figcaption>
<ul class="legend">{{range $i, $s := .Adoption.Series}}<li><svg viewBox="0 0 14 10" aria-hidden="true">{{if eq $i 0}}<rect width="14" height="10" class="s0"/>{{else}}<rect width="14" height="10" fill="url(#pat{{$i}})"/>{{end}}</svg>{{$s}}</li>{{end}}</ul>
<svg viewBox="0 0 400 182" role="img" aria-label="Version adoption per day, stacked; the numbers are in the table below">
<line class="baseline" x1="36" y1="160" x2="400" y2="160"/>
<text class="axis" x="0" y="20">{{.Adoption.Max}}</text><text class="axis" x="0" y="160">0</text>
{{range .Adoption.Cols}}<g><title>{{.Title}}</title>{{range .Segs}}<rect {{if eq .Series 0}}class="s0"{{else}}fill="url(#pat{{.Series}})"{{end}} x="{{f1 .X}}" y="{{f1 .Y}}" width="{{f1 .W}}" height="{{f1 .H}}"/>{{end}}</g>
{{end}}<text class="axis" x="36" y="178">{{.Adoption.First}}</text><text class="axis" x="400" y="178" text-anchor="end">{{.Adoption.Last}}</text>
</svg>
<details><summary>Table: installs per day by version</summary>
<div class="scroll"><table><caption>Active installs per UTC day by the version of their latest event that day</caption>
<thead><tr><th scope="col">Day</th>{{range .Adoption.Series}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Adoption.Rows}}<tr><th scope="row">{{.Date}}</th>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody>
</table></div></details>
</figure>

<figure>
<figcaption>Funnel</figcaption>
<p class="note">{{.Sentence}}</p>
{{template "bars" .Funnel}}
<div class="scroll"><table><caption>Funnel steps</caption>
<thead><tr><th scope="col">Step</th><th scope="col">Installs</th><th scope="col">Conversion</th><th scope="col">Step conversion</th><th scope="col">Median time from previous</th></tr></thead>
<tbody>{{range $p.Funnel}}<tr><th scope="row">{{.Milestone}}</th><td>{{count .Installs}}</td><td>{{pct .Conversion}}</td><td>{{pct .StepConversion}}</td><td>{{dur .MedianSeconds}}</td></tr>{{end}}</tbody>
</table></div>
</figure>

<figure>
<figcaption>Retention by weekly cohort</figcaption>
<p class="note">Of the installs first seen in a week (starting Monday, UTC), the share with any event in each following week; “-” for a week not over yet.</p>
<div class="scroll"><table><caption>Retention: share of each cohort active in weeks 1 to 8 after it</caption>
<thead><tr><th scope="col">Cohort week</th><th scope="col">Installs</th><th scope="col">W1</th><th scope="col">W2</th><th scope="col">W3</th><th scope="col">W4</th><th scope="col">W5</th><th scope="col">W6</th><th scope="col">W7</th><th scope="col">W8</th></tr></thead>
<tbody>{{range $p.Retention}}<tr><th scope="row">{{.Week}}</th><td>{{count .Installs}}</td>{{range .Active}}<td>{{share .}}</td>{{end}}</tr>{{end}}</tbody>
</table></div>
</figure>

{{template "figure" (dict "Title" "Versions (installs of the last 30 days, by their latest version)" "Chart" .Versions "Counts" $p.Versions)}}
{{template "figure" (dict "Title" "Platforms (OS / architecture)" "Chart" .Platforms "Counts" $p.Platforms)}}
{{template "figure" (dict "Title" "Go runtime versions" "Chart" .Runtimes "Counts" $p.Runtimes)}}
{{template "figure" (dict "Title" "AI coding agents (installs active in the range with runs made by each agent)" "Chart" .Agents "Counts" $p.Agents)}}

<h3>Live servers by version</h3>
<div class="scroll"><table><caption>Server sessions whose last heartbeat is at most twice their interval old</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Live sessions</th><th scope="col">Median uptime</th></tr></thead>
<tbody>{{range $p.Servers}}<tr><th scope="row">{{.Version}}</th><td>{{count .Live}}</td><td>{{dur .MedianUptimeSeconds}}</td></tr>{{else}}<tr><td colspan="3" class="text">No live servers.</td></tr>{{end}}</tbody>
</table></div>

<h3>Error reports</h3>
<div class="scroll"><table><caption>Error reports in the range, by exception type and message</caption>
<thead><tr><th scope="col">Type and message</th><th scope="col">Installs</th><th scope="col">Reports</th><th scope="col">Versions (installs)</th></tr></thead>
<tbody>{{range $p.Errors}}<tr><td class="text"><code>{{.Type}}</code>: {{.Message}}</td><td>{{count .Installs}}</td><td>{{count .Reports}}</td><td class="text">{{range $v, $c := .Versions}}{{$v}} ({{count $c}}) {{end}}</td></tr>{{else}}<tr><td colspan="4" class="text">No error reports.</td></tr>{{end}}</tbody>
</table></div>
</section>
{{end}}{{if not .Sections}}<p>No Waymark events found.</p>{{end}}
</body>
</html>
{{define "bars"}}{{if .Rows}}<svg viewBox="0 0 400 {{.Height}}" role="img" aria-label="Bar chart; the numbers are in the table">
{{range .Rows}}<text x="0" y="{{.TextY}}">{{.Label}}</text><rect class="bar" x="120" y="{{.Y}}" width="{{f1 .Width}}" height="18"/><text x="{{f1 .NoteX}}" y="{{.TextY}}">{{.Note}}</text>
{{end}}</svg>{{else}}<p class="note">No data.</p>{{end}}{{end}}
{{define "figure"}}<figure>
<figcaption>{{.Title}}</figcaption>
{{template "bars" .Chart}}
<div class="scroll"><table><caption>{{.Title}}</caption>
<thead><tr><th scope="col">Value</th><th scope="col">Installs</th></tr></thead>
<tbody>{{range $k, $c := .Counts}}<tr><th scope="row">{{$k}}</th><td>{{count $c}}</td></tr>{{else}}<tr><td colspan="2" class="text">No data.</td></tr>{{end}}</tbody>
</table></div>
</figure>{{end}}`

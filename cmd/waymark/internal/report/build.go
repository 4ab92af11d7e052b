package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/waymarkhq/waymark/internal/safetext"
)

// Options shape a report.
type Options struct {
	Query
	// MinInstalls, if above 1, hides every group of fewer installs in the breakdowns.
	MinInstalls int
}

// Make asks src for the aggregates and builds the report.
func Make(src Source, opt Options) (*Report, error) {
	if opt.RangeDays == 0 {
		opt.RangeDays = 30
	}
	aggs, err := src.Aggregate(opt.Query)
	if err != nil {
		return nil, err
	}
	return Build(opt, aggs), nil
}

// Build turns aggregates into the report: shares, changes and hidden small groups. It is the
// same for every Source.
func Build(opt Options, aggs map[string]*Aggregates) *Report {
	w := opt.Windows()
	k := max(opt.MinInstalls, 1)
	r := &Report{Products: map[string]*Product{}}
	for name, g := range aggs {
		r.Products[name] = buildProduct(w, k, g)
	}
	if opt.Product != "" && r.Products[opt.Product] == nil {
		r.Products[opt.Product] = buildProduct(w, k, &Aggregates{Funnel: emptyFunnel(opt.Funnel)})
	}
	return r
}

func emptyFunnel(steps []string) []FunnelAgg {
	f := make([]FunnelAgg, len(steps))
	for i, m := range steps {
		f[i].Milestone = m
	}
	return f
}

func buildProduct(w Windows, k int, g *Aggregates) *Product {
	count := func(n int) Count {
		if k > 1 && n < k {
			return Count{Below: k}
		}
		return Count{N: n}
	}
	counts := func(m map[string]int) map[string]Count {
		out := make(map[string]Count, len(m))
		for v, n := range m {
			out[v] = count(n)
		}
		return out
	}
	last := w.Days[len(w.Days)-1]
	p := &Product{
		Installs30d: g.Installs30d,
		Installs1d:  g.Installs1d,
		Funnel:      []FunnelStep{},
		Versions:    counts(g.Versions),
		OS:          counts(g.OS),
		Arch:        counts(g.Arch),
		ServersLive: g.ServersLive,
		Range: Period{
			Days: len(w.Days), From: date(w.RangeStart), To: date(last),
			PreviousFrom: date(w.PrevStart), PreviousTo: date(w.RangeStart.AddDate(0, 0, -1)),
			Now: w.Now.Format(time.RFC3339),
		},
		Active:          change(g.Active, g.ActivePrev),
		New:             change(g.New, g.NewPrev),
		Daily:           []Day{},
		VersionAdoption: []DayVersions{},
		Retention:       []Cohort{},
		Platforms:       counts(g.Platforms),
		Runtimes:        counts(g.Runtimes),
		Servers:         []Server{},
		Errors:          []ErrorGroup{},
		MinInstalls:     k,
	}
	for _, d := range g.Daily {
		p.Daily = append(p.Daily, Day{Date: date(d.Day), Active: count(d.Active), New: count(d.New)})
		p.VersionAdoption = append(p.VersionAdoption, DayVersions{Date: date(d.Day), Versions: counts(d.Versions)})
	}
	for _, c := range g.Retention {
		if c.Installs == 0 {
			continue // a week in which no install was first seen has nothing to retain
		}
		row := Cohort{Week: date(c.Week), Installs: count(c.Installs), Active: make([]Share, 8)}
		for i, n := range c.Active {
			switch {
			case n < 0 || c.Installs == 0 || row.Installs.Hidden():
			case k > 1 && n < k:
				row.Active[i] = Share{Below: k}
			default:
				row.Active[i] = Share{V: round4(float64(n) / float64(c.Installs)), Known: true}
			}
		}
		p.Retention = append(p.Retention, row)
	}
	for i, f := range g.Funnel {
		st := FunnelStep{Milestone: f.Milestone, Installs: count(f.Installs)}
		if !st.Installs.Hidden() {
			first, prev := g.Funnel[0].Installs, f.Installs
			if i > 0 {
				prev = g.Funnel[i-1].Installs
			}
			st.Conversion, st.StepConversion = ratio(f.Installs, first), ratio(f.Installs, prev)
			if i > 0 && f.Installs > 0 {
				st.MedianSeconds = seconds(f.Median)
			}
		}
		p.Funnel = append(p.Funnel, st)
	}
	for _, s := range g.Servers {
		sv := Server{Version: s.Version, Live: count(s.Live)}
		if !sv.Live.Hidden() {
			sv.MedianUptimeSeconds = seconds(s.MedianUptime)
		}
		p.Servers = append(p.Servers, sv)
	}
	for _, e := range g.Errors {
		eg := ErrorGroup{Type: e.Type, Message: e.Message, Reports: count(e.Reports), Installs: count(e.Installs), Versions: counts(e.Versions)}
		if eg.Installs.Hidden() {
			eg.Reports = Count{Below: k}
		}
		p.Errors = append(p.Errors, eg)
	}
	addPerRun(p, g, k)
	return p
}

func change(cur, prev int) Change {
	c := Change{Current: cur, Previous: prev}
	if prev > 0 {
		v := math.Round(float64(cur-prev)/float64(prev)*1000) / 10
		c.ChangePct = &v
	}
	return c
}

// ratio is n/of to four decimals, 0 when of is 0.
func ratio(n, of int) *float64 {
	v := 0.0
	if of > 0 {
		v = round4(float64(n) / float64(of))
	}
	return &v
}

func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

func seconds(d time.Duration) *float64 {
	v := math.Round(d.Seconds())
	return &v
}

// WriteJSON writes the report as one indented JSON object.
func WriteJSON(w io.Writer, r *Report) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "<3" stays readable; the JSON is never embedded in HTML
	if err := enc.Encode(r); err != nil {
		return err
	}
	// Client text may hold C1 and bidirectional controls, which
	// encoding/json leaves raw and a terminal would act on.
	_, err := w.Write(safetext.JSON(b.Bytes()))
	return err
}

// ProductNames returns the report's products in name order.
func (r *Report) ProductNames() []string {
	names := make([]string, 0, len(r.Products))
	for n := range r.Products {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// countLabel shows a count for people: the number, or "fewer than K".
func countLabel(c Count) string {
	if c.Hidden() {
		return fmt.Sprintf("fewer than %d", c.Below)
	}
	return fmt.Sprint(c.N)
}

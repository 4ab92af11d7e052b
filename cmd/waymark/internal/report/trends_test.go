package report

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Daily actives, new installs per day, version adoption per day and the
// weekly retention cohorts agree with a direct count over every event of a simulated store
// (read by the former decoder, counted the plain way).
func TestTrendsAgreeWithDirectCount(t *testing.T) {
	dir := simStore(t, "-installs", "2500", "-days", "75", "-seed", "9", "-rotate-mb", "2")
	q := Query{Now: simNow.Add(7 * time.Hour), RangeDays: 30}
	aggs, err := Files{Paths: []string{dir}}.Aggregate(q)
	if err != nil {
		t.Fatal(err)
	}
	g := aggs["acme"]
	w := q.Windows()
	evs := refReadDir(t, dir)

	dayOf := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	first := map[string]time.Time{}
	activeDays := map[string]map[time.Time]bool{}
	latest := map[string]map[time.Time]refEvent{}
	for _, e := range evs {
		if e.Time.After(q.Now) || e.Time.Before(w.History) {
			continue
		}
		if f, ok := first[e.InstallationID]; !ok || e.Time.Before(f) {
			first[e.InstallationID] = e.Time
		}
		d := dayOf(e.Time)
		if activeDays[e.InstallationID] == nil {
			activeDays[e.InstallationID] = map[time.Time]bool{}
			latest[e.InstallationID] = map[time.Time]refEvent{}
		}
		activeDays[e.InstallationID][d] = true
		if l, ok := latest[e.InstallationID][d]; !ok || !e.Time.Before(l.Time) {
			latest[e.InstallationID][d] = e
		}
	}
	for i, d := range w.Days {
		active, newN, vers := 0, 0, map[string]int{}
		for id, days := range activeDays {
			if days[d] {
				active++
				vers[latest[id][d].Version]++
			}
			if dayOf(first[id]).Equal(d) {
				newN++
			}
		}
		got := g.Daily[i]
		if got.Active != active || got.New != newN || !reflect.DeepEqual(got.Versions, vers) {
			t.Errorf("%s: active %d new %d versions %v; direct count %d %d %v", d.Format(dateLayout), got.Active, got.New, got.Versions, active, newN, vers)
		}
	}
	if len(g.Retention) < 8 {
		t.Fatalf("%d cohorts, want the weeks of the range and the previous period", len(g.Retention))
	}
	for _, c := range g.Retention {
		installs := 0
		var active [8]int
		for id, f := range first {
			if f.Before(c.Week) || !f.Before(c.Week.AddDate(0, 0, 7)) {
				continue
			}
			installs++
			for k := range 8 {
				from := c.Week.AddDate(0, 0, 7*(k+1))
				if from.AddDate(0, 0, 7).After(q.Now) {
					active[k] = -1
					continue
				}
				for d := range activeDays[id] {
					if !d.Before(from) && d.Before(from.AddDate(0, 0, 7)) {
						active[k]++
						break
					}
				}
			}
		}
		if c.Installs != installs || c.Active != active {
			t.Errorf("cohort %s: %d %v; direct count %d %v", c.Week.Format(dateLayout), c.Installs, c.Active, installs, active)
		}
	}
	if g.Retention[0].Active[0] <= 0 || g.Retention[0].Active[3] < 0 {
		t.Errorf("the oldest cohort should have known, non-zero weeks: %+v", g.Retention[0])
	}
}

func milestoneLine(install string, at time.Time, names ...string) string {
	var recs []string
	for i, n := range names {
		recs = append(recs, fmt.Sprintf(`{"timeUnixNano":"%d","eventName":"waymark.milestone","attributes":[{"key":"milestone.name","value":{"stringValue":"%s"}},{"key":"event.id","value":{"stringValue":"%s-%04d-4000-8000-000000000000"}}]}`,
			at.Add(time.Duration(i)*time.Hour).UnixNano(), n, install[:8], i))
	}
	return fmt.Sprintf(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"acme"}},{"key":"app.installation.id","value":{"stringValue":"%s"}}]},"scopeLogs":[{"logRecords":[%s]}]}]}`+"\n", install, strings.Join(recs, ","))
}

// --funnel a,b,c counts, per step, installs first seen in the range that
// reached every step so far in order, with conversion from the first and the previous step.
func TestFunnelOrderedAndFirstSeenInRange(t *testing.T) {
	in := simNow.Add(-5 * 24 * time.Hour)
	content := milestoneLine("00000001-0000-4000-8000-000000000000", simNow.Add(-60*24*time.Hour), "a") + // first seen before the range
		milestoneLine("00000001-0000-4000-8000-000000000000", in, "b", "c") +
		milestoneLine("00000002-0000-4000-8000-000000000000", in, "a", "b", "c") + // a→b→c, one hour apart each
		milestoneLine("00000003-0000-4000-8000-000000000000", in, "a", "b") +
		milestoneLine("00000004-0000-4000-8000-000000000000", in, "a", "c") + // skipped b
		milestoneLine("00000005-0000-4000-8000-000000000000", in, "b", "a", "c") // b before a: reaches a only
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "logs.jsonl"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Make(Files{Paths: []string{dir}}, Options{Query: Query{Now: simNow, RangeDays: 30, Funnel: []string{"a", "b", "c"}}})
	if err != nil {
		t.Fatal(err)
	}
	f := r.Products["acme"].Funnel
	type step struct {
		m             string
		n             int
		conv, stepc   float64
		medianSeconds float64
	}
	want := []step{{"a", 4, 1, 1, -1}, {"b", 2, 0.5, 0.5, 3600}, {"c", 1, 0.25, 0.5, 3600}}
	for i, w := range want {
		g := f[i]
		med := -1.0
		if g.MedianSeconds != nil {
			med = *g.MedianSeconds
		}
		if g.Milestone != w.m || g.Installs.N != w.n || *g.Conversion != w.conv || *g.StepConversion != w.stepc || med != w.medianSeconds {
			t.Errorf("step %d = %s %d %v %v %v; want %+v", i, g.Milestone, g.Installs.N, *g.Conversion, *g.StepConversion, med, w)
		}
	}
}

package report

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/waymarkhq/waymark/internal/safetext"
)

// WriteCSV writes one CSV file per table of the report into dir (created if needed), named
// <product>-<table>.csv: summary, daily, version_adoption (one row per day and version),
// retention, funnel, versions, platforms, os, arch, runtimes, servers and errors. Hidden counts
// are written as "<K", as in the JSON.
func WriteCSV(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	for _, name := range r.ProductNames() {
		p := r.Products[name]
		c := func(x Count) string { return countCell(x) }
		tables := map[string][][]string{}
		tables["summary"] = [][]string{{"key", "value"},
			{"range_from", p.Range.From}, {"range_to", p.Range.To}, {"now", p.Range.Now},
			{"installs_30d", strconv.Itoa(p.Installs30d)}, {"installs_1d", strconv.Itoa(p.Installs1d)},
			{"active", strconv.Itoa(p.Active.Current)}, {"active_previous", strconv.Itoa(p.Active.Previous)},
			{"new", strconv.Itoa(p.New.Current)}, {"new_previous", strconv.Itoa(p.New.Previous)},
			{"servers_live", strconv.Itoa(p.ServersLive)}, {"min_installs", strconv.Itoa(p.MinInstalls)},
			{"sample_rate", strconv.FormatFloat(p.SampleRate, 'f', -1, 64)}, {"estimate", strconv.FormatBool(p.Estimate)}}
		daily := [][]string{{"date", "active", "new"}}
		for _, d := range p.Daily {
			daily = append(daily, []string{d.Date, c(d.Active), c(d.New)})
		}
		tables["daily"] = daily
		adoption := [][]string{{"date", "version", "installs"}}
		for _, d := range p.VersionAdoption {
			for _, kv := range sortedCounts(d.Versions) {
				adoption = append(adoption, []string{d.Date, kv.Key, c(kv.C)})
			}
		}
		tables["version_adoption"] = adoption
		ret := [][]string{{"week", "installs", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"}}
		for _, co := range p.Retention {
			row := []string{co.Week, c(co.Installs)}
			for _, s := range co.Active {
				switch {
				case s.Below > 0:
					row = append(row, "<"+strconv.Itoa(s.Below))
				case s.Known:
					row = append(row, strconv.FormatFloat(s.V, 'f', -1, 64))
				default:
					row = append(row, "")
				}
			}
			ret = append(ret, row)
		}
		tables["retention"] = ret
		funnel := [][]string{{"milestone", "installs", "conversion", "step_conversion", "median_seconds_from_previous"}}
		for _, f := range p.Funnel {
			funnel = append(funnel, []string{f.Milestone, c(f.Installs), num(f.Conversion), num(f.StepConversion), num(f.MedianSeconds)})
		}
		tables["funnel"] = funnel
		for key, m := range map[string]map[string]Count{"versions": p.Versions, "platforms": p.Platforms, "os": p.OS, "arch": p.Arch, "runtimes": p.Runtimes} {
			rows := [][]string{{"value", "installs"}}
			for _, kv := range sortedCounts(m) {
				rows = append(rows, []string{kv.Key, c(kv.C)})
			}
			tables[key] = rows
		}
		servers := [][]string{{"version", "live", "median_uptime_seconds"}}
		for _, s := range p.Servers {
			servers = append(servers, []string{s.Version, c(s.Live), num(s.MedianUptimeSeconds)})
		}
		tables["servers"] = servers
		tables["agents"] = agentRows(p)
		errs := [][]string{{"type", "message", "installs", "reports", "version", "version_installs"}}
		for _, e := range p.Errors {
			for _, kv := range sortedCounts(e.Versions) {
				errs = append(errs, []string{e.Type, e.Message, c(e.Installs), c(e.Reports), kv.Key, c(kv.C)})
			}
		}
		tables["errors"] = errs
		for table, rows := range tables {
			if err := writeCSVFile(filepath.Join(dir, name+"-"+table+".csv"), rows); err != nil {
				return err
			}
		}
	}
	return nil
}

func countCell(c Count) string {
	if c.Hidden() {
		return "<" + strconv.Itoa(c.Below)
	}
	return strconv.Itoa(c.N)
}

func num(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

func writeCSVFile(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	w := csv.NewWriter(f)
	for _, row := range rows {
		// A cell starting with =, +, -, @, a tab or CR would be a formula
		// in a spreadsheet.
		for i, cell := range row {
			row[i] = safetext.CSVCell(cell)
		}
		_ = w.Write(row)
	}
	w.Flush()
	err = w.Error()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("csv: write %s: %w", path, err)
	}
	return nil
}

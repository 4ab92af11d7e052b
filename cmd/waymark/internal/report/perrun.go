package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/waymarkhq/waymark/collector-config/logsql"
	"github.com/waymarkhq/waymark/internal/schema"
)

// This file holds what the report knows of runs rather than events: the AI coding agent that
// made a run (agent.name), the sample a product's installs send from (waymark.sample_rate), and
// the installs that asked for erasure (waymark.erasure), which no count includes.

// perRun reads a record's per-run attributes into ev, or counts why it cannot: a value the
// collector's schema would have dropped leaves the record out, as the collector would have.
func (d *decoder) perRun(r *rawRecord, ev *Event) bool {
	if r.agent != nil {
		if !slices.Contains(schema.AgentNames(), string(r.agent)) {
			d.skip(schema.AttrAgent + " not one of the agents")
			return false
		}
		ev.Agent = d.intern(r.agent)
	}
	if r.sampleRate != nil {
		f, ok := number(r.sampleRate)
		if !ok || !(f > 0 && f <= 1) {
			d.skip(schema.AttrSampleRate + " not in (0, 1]")
			return false
		}
		ev.SampleRate = f
	}
	return true
}

// runFacts is what an install's runs said, beside its events: the agents that made runs in
// the range.
type runFacts struct {
	agents []string
}

// addRun folds ev's per-run facts into the install's and the product's state.
func (a *accumulator) addRun(p *productAcc, in *installAcc, ev *Event) {
	// An event without the attribute was sent at rate 1 (a product that stopped sampling, or
	// never did): the latest event's rate holds.
	rate := ev.SampleRate
	if rate == 0 {
		rate = 1
	}
	p.setRate(rate, ev.Time)
	if ev.Agent != "" && ev.Time >= a.rangeStart && !slices.Contains(in.run.agents, ev.Agent) {
		in.run.agents = append(in.run.agents, ev.Agent)
	}
}

// setRate keeps the sample rate of the latest event (1 for one without the attribute), the
// greater at the same instant, so that the order of reading does not matter.
func (p *productAcc) setRate(rate float64, t int64) {
	if t > p.rateAt || (t == p.rateAt && rate > p.rate) {
		p.rate, p.rateAt = rate, t
	}
}

// erase notes an install's erasure request: the install is left out of every count.
func (p *productAcc) erase(id UUID) {
	if p.erased == nil {
		p.erased = map[UUID]struct{}{}
	}
	p.erased[id] = struct{}{}
}

// dropErased removes the installs that asked for erasure, and everything of theirs, before
// anything is counted.
func (p *productAcc) dropErased() {
	for id := range p.erased {
		delete(p.installs, id)
	}
	if len(p.erased) == 0 {
		return
	}
	for k, s := range p.sessions {
		if _, gone := p.erased[s.install]; gone {
			delete(p.sessions, k)
		}
	}
	for k, e := range p.errors {
		for ev, id := range e.reports {
			if _, gone := p.erased[id]; gone {
				delete(e.reports, ev)
			}
		}
		for id := range e.installs {
			if _, gone := p.erased[id]; gone {
				delete(e.installs, id)
			}
		}
		if len(e.reports) == 0 {
			delete(p.errors, k)
		}
	}
}

// countAgents fills g.Agents from the installs active in the range.
func (a *accumulator) countAgents(p *productAcc, g *Aggregates) {
	g.SampleRate = p.rate
	for _, in := range p.installs {
		if !in.activeIn(a.rangeOffset, a.days) {
			continue
		}
		for _, name := range in.run.agents {
			g.Agents[name]++
		}
	}
}

// addPerRun completes a product's section with its agents and, for a sampled product, scales
// every count by the inverse of the sample rate and marks the section as estimates. Shares,
// conversions and medians do not change; hidden groups ("fewer than K") stay hidden, since
// they hide how few installs actually sent.
func addPerRun(p *Product, g *Aggregates, k int) {
	p.Agents, p.AgentShares = map[string]Count{}, map[string]Share{}
	for name, n := range g.Agents {
		switch {
		case k > 1 && n < k:
			p.Agents[name] = Count{Below: k}
			p.AgentShares[name] = Share{Below: k}
		case g.Active > 0:
			p.Agents[name] = Count{N: n}
			p.AgentShares[name] = Share{V: round4(float64(n) / float64(g.Active)), Known: true}
		default:
			p.Agents[name] = Count{N: n}
		}
	}
	p.SampleRate = 1
	if g.SampleRate > 0 && g.SampleRate < 1 {
		p.SampleRate, p.Estimate = g.SampleRate, true
		scaleProduct(p, 1/g.SampleRate)
	}
}

// scaleProduct multiplies every count of p by f, rounded to whole installs.
func scaleProduct(p *Product, f float64) {
	n := func(v int) int { return int(math.Round(float64(v) * f)) }
	c := func(x *Count) {
		if !x.Hidden() {
			x.N = n(x.N)
		}
	}
	m := func(cs map[string]Count) {
		for k, x := range cs {
			c(&x)
			cs[k] = x
		}
	}
	p.Installs30d, p.Installs1d, p.ServersLive = n(p.Installs30d), n(p.Installs1d), n(p.ServersLive)
	p.Active.Current, p.Active.Previous = n(p.Active.Current), n(p.Active.Previous)
	p.New.Current, p.New.Previous = n(p.New.Current), n(p.New.Previous)
	for _, cs := range []map[string]Count{p.Versions, p.OS, p.Arch, p.Platforms, p.Runtimes, p.Agents} {
		m(cs)
	}
	for i := range p.Funnel {
		c(&p.Funnel[i].Installs)
	}
	for i := range p.Daily {
		c(&p.Daily[i].Active)
		c(&p.Daily[i].New)
	}
	for i := range p.VersionAdoption {
		m(p.VersionAdoption[i].Versions)
	}
	for i := range p.Retention {
		c(&p.Retention[i].Installs)
	}
	for i := range p.Servers {
		c(&p.Servers[i].Live)
	}
	for i := range p.Errors {
		c(&p.Errors[i].Installs)
		c(&p.Errors[i].Reports)
		m(p.Errors[i].Versions)
	}
}

// notErased leaves out, in every VictoriaLogs query, the installs that asked for erasure and
// whose records `waymark erase` has not deleted yet: a subquery over all time finds their ids.
const notErased = `-` + schema.ResInstallationID + `:in(event_name:="` + EventErasure + `" | fields ` + schema.ResInstallationID + `)`

// perRun: installs active in the range by the agents that made their runs there, and the
// sample rate of each product's latest event (1 when it carried none), as Files computes them.
func (r *vlRun) perRun() error {
	w := r.w
	agents := func() error {
		return r.each(r.base+` `+schema.AttrAgent+`:* `+span(w.RangeStart, w.Now, true)+`
| stats by (`+schema.ResServiceName+`, `+schema.AttrAgent+`) count_uniq(`+schema.ResInstallationID+`) as installs`, func(row logsql.Row, g *Aggregates) error {
			if !slices.Contains(schema.AgentNames(), row[schema.AttrAgent]) {
				return nil
			}
			var err error
			g.Agents[row[schema.AttrAgent]], err = count(row, "installs")
			return err
		})
	}
	// The rate of each product's latest event: one without the attribute (empty here) was
	// sent at rate 1, so a product that stopped sampling is not scaled any more.
	rate := func() error {
		return r.each(r.base+` `+span(w.History, w.Now, true)+`
| stats by (`+schema.ResServiceName+`) field_max(_time, `+schema.AttrSampleRate+`) as rate`, func(row logsql.Row, g *Aggregates) error {
			if f, err := strconv.ParseFloat(row["rate"], 64); err == nil && f > 0 && f <= 1 {
				g.SampleRate = f
			}
			return nil
		})
	}
	return r.parallel(agents, rate)
}

// EstimateSentence says, on every page of a sampled product, that its counts are estimates.
func EstimateSentence(rate float64) string {
	return "Every count is an estimate: this product sends from a sample of " +
		strconv.FormatFloat(rate*100, 'f', -1, 64) + "% of its installs, and the counts are scaled up by " +
		strconv.FormatFloat(1/rate, 'f', 2, 64) + "."
}

// agentRows is the agents table of the CSV output.
func agentRows(p *Product) [][]string {
	rows := [][]string{{"agent", "installs", "share_of_active"}}
	for _, kv := range sortedCounts(p.Agents) {
		share := p.AgentShares[kv.Key]
		cell := ""
		switch {
		case share.Below > 0:
			cell = "<" + strconv.Itoa(share.Below)
		case share.Known:
			cell = strconv.FormatFloat(share.V, 'f', -1, 64)
		}
		rows = append(rows, []string{kv.Key, countCell(kv.C), cell})
	}
	return rows
}

// ErasedName is the file, in a collector's data directory, where `waymark erase` keeps a
// salted hash of every install it erased; its name starts with a dot, so it is never read as
// data.
const ErasedName = ".waymark-erased.json"

// maxErasedFile bounds the registry read: 64 bytes per erased install, a million installs.
const maxErasedFile = 64 << 20

// Erased is the registry of erased installs: a random salt and the salted hashes, never a raw id.
type Erased struct {
	Salt   string   `json:"salt"`
	Hashes []string `json:"erased"`
}

// SaltedHash is the registry's form of an installation id: SHA-256 of the salt and the id, in hex.
func SaltedHash(salt []byte, id string) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(id))
	return hex.EncodeToString(h.Sum(nil))
}

// ReadErased reads the registry in dir; a directory without one has an empty registry.
func ReadErased(dir string) (Erased, error) {
	var e Erased
	path := filepath.Join(dir, ErasedName)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return e, nil
	}
	if err != nil {
		return e, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxErasedFile {
		return e, fmt.Errorf("%s is not a regular file of at most %d bytes", path, maxErasedFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// erasedSet is a registry ready for look-ups.
type erasedSet struct {
	salt   []byte
	hashes map[string]bool
}

// addErased merges the registry of a data directory into the accumulator's, so that records of
// installs erased before, stored after the last `waymark erase` (late duplicates), are left
// out too.
func (a *accumulator) addErased(dir string, warn Warner) {
	e, err := ReadErased(dir)
	if err != nil {
		warn(err.Error() + " (erased installs not known)")
		return
	}
	salt, err := hex.DecodeString(e.Salt)
	if len(e.Hashes) == 0 || err != nil {
		return
	}
	set := erasedSet{salt: salt, hashes: map[string]bool{}}
	for _, h := range e.Hashes {
		set.hashes[h] = true
	}
	a.erased = append(a.erased, set)
}

// dropRegistered notes as erased every install of p whose salted hash a registry holds.
func (a *accumulator) dropRegistered(p *productAcc) {
	if len(a.erased) == 0 {
		return
	}
	for id := range p.installs {
		text := id.String()
		for _, set := range a.erased {
			if set.hashes[SaltedHash(set.salt, text)] {
				p.erase(id)
			}
		}
	}
}

package report

import (
	"encoding/json"
	"strconv"
	"time"
)

// This file holds the report's JSON form: the types `waymark report --json` prints. Nothing in
// them depends on where the data came from (no paths, files, URLs or counts of skipped input),
// so every Source yields the same JSON for the same data.
//
// Small groups: with MinInstalls K > 1, a count of installs below K in any breakdown is
// written as the string "<K" (for example "<3") instead of a number, and a share or a median
// that would reveal such a count as null. Totals (installs_30d, installs_1d, active, new,
// servers_live) are never hidden.

// Report is the whole output: one section per product (service.name).
type Report struct {
	Products map[string]*Product `json:"products"`
}

// Product is one product's section. The first seven keys are those of the report before
// products were told apart; the others came with trends.
type Product struct {
	Installs30d int              `json:"installs_30d"`
	Installs1d  int              `json:"installs_1d"`
	Funnel      []FunnelStep     `json:"funnel"`
	Versions    map[string]Count `json:"versions"`
	OS          map[string]Count `json:"os"`
	Arch        map[string]Count `json:"arch"`
	ServersLive int              `json:"servers_live"`

	// Range is the period covered by daily, version_adoption, funnel, errors, active and new.
	Range Period `json:"range"`
	// Active and New compare installs active in, and first seen in, the range with the
	// previous period of the same length.
	Active Change `json:"active"`
	New    Change `json:"new"`
	// Daily has one entry per UTC calendar day of the range, oldest first.
	Daily []Day `json:"daily"`
	// VersionAdoption has, per day of the range, the installs active that day by the version
	// of their latest event that day.
	VersionAdoption []DayVersions `json:"version_adoption"`
	// Retention has one row per cohort week (Monday, UTC) starting in the range or the
	// previous period in which at least one install was first seen.
	Retention []Cohort `json:"retention"`
	// Platforms ("os/arch") and Runtimes count installs of the last 30 days, like versions.
	Platforms map[string]Count `json:"platforms"`
	Runtimes  map[string]Count `json:"runtimes"`
	// Servers are the live server sessions by version.
	Servers []Server `json:"servers"`
	// Errors are the error reports of the range grouped by type and message, most installs
	// affected first.
	Errors []ErrorGroup `json:"errors"`
	// MinInstalls is the K of --min-installs (1 when nothing is hidden).
	MinInstalls int `json:"min_installs"`

	// Agents counts the installs active in the range that had runs made by an AI coding agent,
	// by agent (agent.name), like versions; AgentShares is each as a share of the installs
	// active in the range.
	Agents      map[string]Count `json:"agents"`
	AgentShares map[string]Share `json:"agent_shares"`
	// SampleRate is the share of installs that send (waymark.sample_rate of the product's
	// latest event; 1 when it samples nothing). Below 1, every count of this section has been
	// scaled by its inverse and Estimate is true: the counts are estimates.
	SampleRate float64 `json:"sample_rate"`
	Estimate   bool    `json:"estimate"`
}

// Period is a report's range.
type Period struct {
	Days int `json:"days"`
	// From and To are the first and last UTC days of the range; PreviousFrom and PreviousTo
	// those of the period before it.
	From         string `json:"from"`
	To           string `json:"to"`
	PreviousFrom string `json:"previous_from"`
	PreviousTo   string `json:"previous_to"`
	// Now is the instant that ends the range (RFC 3339).
	Now string `json:"now"`
}

// Change is a count in the range next to the previous period's.
type Change struct {
	Current  int `json:"current"`
	Previous int `json:"previous"`
	// ChangePct is (current-previous)/previous in percent, one decimal; null when previous is 0.
	ChangePct *float64 `json:"change_pct"`
}

// Day is one day of the range.
type Day struct {
	Date   string `json:"date"`
	Active Count  `json:"active"`
	New    Count  `json:"new"`
}

// DayVersions is one day of version adoption.
type DayVersions struct {
	Date     string           `json:"date"`
	Versions map[string]Count `json:"versions"`
}

// Cohort is one week's installs and the share of them active in each of the 8 weeks after.
type Cohort struct {
	Week     string `json:"week"`
	Installs Count  `json:"installs"`
	// Active[k] is the share of the cohort with an event in week k+1 after it: null for a
	// week not over yet (or hidden), "<K" when fewer than K installs were active.
	Active []Share `json:"active"`
}

// FunnelStep is one milestone of the funnel. Installs are those first seen in the range that
// reached this step and every step before it, in order.
type FunnelStep struct {
	Milestone string `json:"milestone"`
	Installs  Count  `json:"installs"`
	// Conversion is Installs over the first step's; StepConversion over the previous step's
	// (both 1 for the first step, four decimals; null when hidden).
	Conversion     *float64 `json:"conversion"`
	StepConversion *float64 `json:"step_conversion"`
	// MedianSeconds is the median time from the previous step (element ⌊n/2⌋ of the sorted
	// durations), null for the first step or when hidden.
	MedianSeconds *float64 `json:"median_seconds_from_previous"`
}

// Server is the live sessions of one version.
type Server struct {
	Version string `json:"version"`
	Live    Count  `json:"live"`
	// MedianUptimeSeconds is the median uptime reported by their last heartbeats.
	MedianUptimeSeconds *float64 `json:"median_uptime_seconds"`
}

// ErrorGroup is the error reports with one exception type and message.
type ErrorGroup struct {
	Type     string           `json:"type"`
	Message  string           `json:"message"`
	Reports  Count            `json:"reports"`
	Installs Count            `json:"installs"`
	Versions map[string]Count `json:"versions"`
}

// Count is a number of installs, or a hidden one: fewer than Below.
type Count struct {
	N int
	// Below, if set, means the count is hidden and only known to be under it.
	Below int
}

// Hidden reports whether the count is shown only as "fewer than K".
func (c Count) Hidden() bool { return c.Below > 0 }

// MarshalJSON writes the number, or "<K" when hidden.
func (c Count) MarshalJSON() ([]byte, error) {
	if c.Hidden() {
		return []byte(`"<` + strconv.Itoa(c.Below) + `"`), nil
	}
	return strconv.AppendInt(nil, int64(c.N), 10), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Count) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil && len(s) > 1 && s[0] == '<' {
		k, err := strconv.Atoi(s[1:])
		*c = Count{Below: k}
		return err
	}
	*c = Count{}
	return json.Unmarshal(b, &c.N)
}

// Share is a fraction (four decimals), unknown (null), or hidden ("<K").
type Share struct {
	V     float64
	Known bool
	Below int
}

// MarshalJSON writes the fraction, null or "<K".
func (s Share) MarshalJSON() ([]byte, error) {
	switch {
	case s.Below > 0:
		return []byte(`"<` + strconv.Itoa(s.Below) + `"`), nil
	case !s.Known:
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, s.V, 'f', -1, 64), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Share) UnmarshalJSON(b []byte) error {
	*s = Share{}
	if string(b) == "null" {
		return nil
	}
	var str string
	if json.Unmarshal(b, &str) == nil && len(str) > 1 && str[0] == '<' {
		k, err := strconv.Atoi(str[1:])
		s.Below = k
		return err
	}
	s.Known = true
	return json.Unmarshal(b, &s.V)
}

const dateLayout = "2006-01-02"

func date(t time.Time) string { return t.UTC().Format(dateLayout) }

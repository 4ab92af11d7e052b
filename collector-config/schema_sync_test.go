package collectorconfig_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/internal/schema"
)

// TestIngestFollowsTheSchema holds ingest.yaml to internal/schema, the one table of what
// Waymark sends: every event of the schema has its rules (a name the filter lets through, a
// keep_keys list of exactly its attributes), ingest.yaml keeps no key the schema lacks, and the
// resource and metrics agree. Adding an event to the schema and forgetting the collector fails
// here, not in production.
func TestIngestFollowsTheSchema(t *testing.T) {
	raw, err := os.ReadFile("ingest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml := string(raw)
	list := func(s string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

	// Events: the filter's list of names, and one keep_keys per event.
	names := regexp.MustCompile(`not \((log\.event_name == "[^"]+"(?: or )?)+\)`).FindString(yaml)
	if names == "" {
		t.Fatal("ingest.yaml has no filter condition listing the event names")
	}
	var want []string
	for _, e := range schema.Events {
		want = append(want, e.Name)
	}
	if got := list(names); !slices.Equal(got, sorted(want)) {
		t.Errorf("events ingest.yaml lets through: %v; the schema's: %v", got, sorted(want))
	}
	kept := map[string][]string{}
	for _, m := range regexp.MustCompile(`keep_keys\(log\.attributes, \[([^\]]*)\]\) where log\.event_name == "([^"]+)"`).FindAllStringSubmatch(yaml, -1) {
		kept[m[2]] = list(m[1])
	}
	for _, e := range schema.Events {
		got, ok := kept[e.Name]
		if !ok {
			t.Errorf("ingest.yaml has no keep_keys rule for %s", e.Name)
			continue
		}
		if w := sorted(schema.Keys(e.Attrs)); !slices.Equal(got, w) {
			t.Errorf("%s: ingest.yaml keeps %v, the schema has %v", e.Name, got, w)
		}
		for _, a := range e.Attrs {
			if a.Key != "event.id" && !strings.Contains(yaml, `log.attributes["`+a.Key+`"]`) {
				t.Errorf("%s: no check of %s's value in ingest.yaml", e.Name, a.Key)
			}
		}
	}
	// agent.name: the filter's closed set is the schema's list of agents.
	agents := regexp.MustCompile(`IsMatch\(log\.attributes\["` + regexp.QuoteMeta(schema.AttrAgent) + `"\], "\^\(([^)]*)\)`).FindStringSubmatch(yaml)
	if agents == nil {
		t.Errorf("ingest.yaml does not check %s against a closed set", schema.AttrAgent)
	} else if got, w := sorted(strings.Split(agents[1], "|")), sorted(schema.AgentNames()); !slices.Equal(got, w) {
		t.Errorf("ingest.yaml keeps agent names %v, the schema has %v", got, w)
	}
	for name := range kept {
		if _, ok := schema.Lookup(name); !ok {
			t.Errorf("ingest.yaml keeps attributes of %s, which is not in the schema", name)
		}
	}

	// The resource: the keys kept, each one checked.
	res := regexp.MustCompile(`keep_keys\(resource\.attributes, \[([^\]]*)\]\)`).FindAllStringSubmatch(yaml, -1)
	if len(res) == 0 {
		t.Fatal("ingest.yaml has no keep_keys rule for the resource")
	}
	wantRes := sorted(append(schema.Keys(schema.Resource), schema.Keys(schema.ServerResource)...))
	for _, m := range res {
		if got := list(m[1]); !slices.Equal(got, wantRes) {
			t.Errorf("ingest.yaml keeps resource keys %v, the schema has %v", got, wantRes)
		}
	}
	for _, k := range wantRes {
		if !strings.Contains(yaml, `resource.attributes["`+k+`"]`) {
			t.Errorf("no check of resource key %s in ingest.yaml", k)
		}
	}

	// Metrics: the names let through, and the data point keys kept.
	mnames := regexp.MustCompile(`not \((metric\.name == "[^"]+"(?: or )?)+\)`).FindString(yaml)
	var wantM []string
	for _, m := range schema.Metrics {
		wantM = append(wantM, m.Name)
		if len(m.Attrs) == 0 {
			continue
		}
		dp := regexp.MustCompile(`keep_keys\(datapoint\.attributes, \[([^\]]*)\]\) where metric\.name == "` + regexp.QuoteMeta(m.Name) + `"`).FindStringSubmatch(yaml)
		if dp == nil {
			t.Errorf("ingest.yaml has no keep_keys rule for %s's data points", m.Name)
		} else if got, w := list(dp[1]), sorted(schema.Keys(m.Attrs)); !slices.Equal(got, w) {
			t.Errorf("%s: ingest.yaml keeps data point keys %v, the schema has %v", m.Name, got, w)
		}
	}
	if got := list(mnames); !slices.Equal(got, sorted(wantM)) {
		t.Errorf("metrics ingest.yaml lets through: %v; the schema's: %v", got, sorted(wantM))
	}
	if !strings.Contains(yaml, `scope.name`) || !strings.Contains(yaml, `"`+schema.Scope+`"`) {
		t.Errorf("ingest.yaml does not check the scope name %q", schema.Scope)
	}
}

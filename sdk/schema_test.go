package sdk

import (
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/schema"
)

// TestNoticeNamesEveryOptOut keeps the first-run notice in step with the
// schema's list of opt-outs, which status prints.
func TestNoticeNamesEveryOptOut(t *testing.T) {
	for _, product := range []string{"acme", "acme-cli"} {
		notice := strings.Join(strings.Fields(gate.Notice(product, "")), " ")
		for _, o := range schema.OptOuts(product, gate.EnvPrefix(product)) {
			if !strings.Contains(notice, o) {
				t.Errorf("notice for %s does not name the opt-out %q:\n%s", product, o, notice)
			}
		}
	}
}

// TestStatusListsTheSchema: what status says is collected is the schema,
// event for event and key for key.
func TestStatusListsTheSchema(t *testing.T) {
	cv := collected(true)
	if len(cv.Events) != len(schema.Events) {
		t.Fatalf("status lists %d events, the schema %d", len(cv.Events), len(schema.Events))
	}
	for _, e := range schema.Events {
		got := strings.Join(cv.Events[e.Name], ",")
		if want := strings.Join(schema.Keys(e.Attrs), ","); got != want {
			t.Errorf("%s: status lists %s, schema %s", e.Name, got, want)
		}
	}
	if got, want := len(cv.Resource), len(schema.Resource)+len(schema.ServerResource); got != want {
		t.Errorf("status lists %d resource keys for a server, the schema %d", got, want)
	}
}

package gate

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestEveryRuleIsDocumented keeps the package documentation's list of rule
// ids in step with the rules Decide can return.
func TestEveryRuleIsDocumented(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "decide.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "rule") || len(vs.Values) != 1 {
			return true
		}
		if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			id, _ := strconv.Unquote(lit.Value)
			ids = append(ids, id)
		}
		return true
	})
	if len(ids) < 15 {
		t.Fatalf("found only %d rule ids in decide.go: %v", len(ids), ids)
	}
	for _, id := range ids {
		if !strings.Contains(string(doc), "//\t"+id+" ") {
			t.Errorf("rule id %q is not listed in the package documentation (doc.go)", id)
		}
	}
}

// TestOptOutOutranksTechnicalRules: an opt-out names itself even when the
// endpoint override is unusable or the state dir is unsafe.
func TestOptOutOutranksTechnicalRules(t *testing.T) {
	env := map[string]string{"DO_NOT_TRACK": "1"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	d := Decide(Input{
		Product: "acme", LookupEnv: lookup,
		EndpointErr:    errString("must be http or https"),
		StateDirUnsafe: func() error { return errString("unsafe") },
	})
	if d.Mode != Off || d.Rule != ruleDoNotTrack {
		t.Fatalf("got %v/%s, want off/do_not_track", d.Mode, d.Rule)
	}
	delete(env, "DO_NOT_TRACK")
	d = Decide(Input{Product: "acme", LookupEnv: lookup, EndpointErr: errString("must be http or https")})
	if d.Mode != Off || d.Rule != ruleEndpointInvalid || !strings.Contains(d.Reason, "ACME_TELEMETRY_ENDPOINT") {
		t.Fatalf("got %v/%s (%s), want off/endpoint_invalid naming the variable", d.Mode, d.Rule, d.Reason)
	}
	d = Decide(Input{Product: "acme", LookupEnv: lookup, Disabled: true, DisabledBy: "--no-telemetry"})
	if d.Rule != ruleRunFlag || !strings.Contains(d.Reason, "--no-telemetry") {
		t.Fatalf("got %s (%s), want run_flag naming the flag", d.Rule, d.Reason)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

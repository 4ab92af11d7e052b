package gate

import (
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/waymarkhq/waymark/internal/schema"
)

func TestDetectAgentNamesEachAgentByItsOwnVariable(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string // "" for no agent
	}{
		{map[string]string{"CLAUDECODE": "1"}, "claude_code"},
		{map[string]string{"CODEX_SANDBOX": "seatbelt"}, "codex"},
		{map[string]string{"CODEX_THREAD_ID": "t-1"}, "codex"},
		{map[string]string{"CURSOR_AGENT": "1"}, "cursor"},
		{map[string]string{"CURSOR_TRACE_ID": "abc"}, ""}, // every Cursor terminal, people's too
		{map[string]string{"GEMINI_CLI": "1"}, "gemini_cli"},
		{map[string]string{"COPILOT_CLI": "1"}, "copilot"},
		{map[string]string{"COPILOT_AGENT": "true"}, "copilot"},
		{map[string]string{"REPL_ID": "x", "REPLIT_MODE": "assistant"}, "replit"},
		{map[string]string{"REPL_ID": "x"}, ""}, // any Repl, a person's shell too
		{map[string]string{"REPL_ID": "x", "REPLIT_MODE": "workflow"}, ""},
		{map[string]string{"CLINE_ACTIVE": "true"}, "cline"},
		{map[string]string{"OPENCODE": "1"}, "opencode"},
		{map[string]string{"AGENT": "amp"}, "amp"},
		{map[string]string{"AGENT": "Goose"}, "goose"},
		{map[string]string{"AGENT": "jenkins-agent-7"}, ""}, // AGENT is a common word
		{map[string]string{"AI_AGENT": "cursor"}, "cursor"},
		{map[string]string{"AI_AGENT": "Claude-Code"}, "claude_code"},
		{map[string]string{"AI_AGENT": "devin"}, "other"},
		{map[string]string{"AI_AGENT": "  "}, ""},
		{map[string]string{"CLAUDECODE": ""}, ""},
		{map[string]string{"CLAUDECODE": "0"}, ""}, // says no agent, as CI=false says no CI
		{map[string]string{"CLINE_ACTIVE": "false"}, ""},
		{map[string]string{"CURSOR_AGENT": " FALSE "}, ""},
		{map[string]string{"AI_AGENT": "0"}, ""},
		{map[string]string{"CLAUDECODE": "0", "CURSOR_AGENT": "1"}, "cursor"},
		{map[string]string{"CLAUDECODE": "1", "CURSOR_AGENT": "1"}, "claude_code"},
		{map[string]string{}, ""},
	}
	for _, c := range cases {
		got, ok := DetectAgent(envOf(c.env))
		if got != c.want || ok != (c.want != "") {
			t.Errorf("DetectAgent(%v) = %q, %v; want %q", c.env, got, ok, c.want)
		}
	}
	if got, ok := DetectAgent(nil); ok || got != "" {
		t.Errorf("DetectAgent(nil) = %q, %v", got, ok)
	}
}

// An agent's run is real use: the mode is what it would be without the agent, CI stays CI
// (GitHub Copilot's cloud agent also sets CI=true), and the decision names the agent.
func TestAgentRunsAreRealUseAndCIStaysCI(t *testing.T) {
	d := Decide(Input{Product: "acme", LookupEnv: envOf(map[string]string{"CLAUDECODE": "1"})})
	if d.Mode != On || d.Agent != "claude_code" || d.AgentEvidence != "CLAUDECODE" {
		t.Errorf("under Claude Code: mode %v, agent %q (%q); want on, claude_code", d.Mode, d.Agent, d.AgentEvidence)
	}
	d = Decide(Input{Product: "acme", LookupEnv: envOf(map[string]string{"COPILOT_AGENT": "1", "CI": "true"})})
	if d.Mode != Off || d.Rule != ruleCI || d.Agent != "copilot" {
		t.Errorf("Copilot's cloud agent with CI=true: mode %v by %s, agent %q; want off by ci, copilot", d.Mode, d.Rule, d.Agent)
	}
	d = Decide(Input{Product: "acme", LookupEnv: envOf(map[string]string{"CURSOR_AGENT": "1", "DO_NOT_TRACK": "1"})})
	if d.Mode != Off || d.Agent != "cursor" {
		t.Errorf("an opt-out under an agent: mode %v, agent %q; want off, cursor", d.Mode, d.Agent)
	}
}

// The gate's list of agent names is the schema's: the collector keeps exactly those.
func TestAgentNamesAreTheSchemas(t *testing.T) {
	if !slices.Equal(agentNames[:], schema.AgentNames()) {
		t.Errorf("gate's agent names %v, the schema's %v", agentNames, schema.AgentNames())
	}
	for _, r := range agentRules {
		if !slices.Contains(schema.AgentNames(), r.name) || r.source == "" {
			t.Errorf("rule for %s: name not in the schema or no source", r.env)
		}
	}
}

func FuzzDetectAgent(f *testing.F) {
	f.Add("CLAUDECODE", "1", "AI_AGENT", "")
	f.Add("AGENT", "amp", "REPLIT_MODE", "assistant")
	f.Add("REPL_ID", "x", "REPLIT_MODE", " Assistant ")
	f.Add("AI_AGENT", "\xff\x00claude", "CI", "true")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		env := map[string]string{k1: v1, k2: v2}
		name, ev, ok := detectAgent(envOf(env))
		if ok != (name != "") {
			t.Fatalf("ok %v with name %q", ok, name)
		}
		if ok {
			if !slices.Contains(schema.AgentNames(), name) {
				t.Fatalf("agent name %q is not in the closed set", name)
			}
			if ev == "" || !utf8.ValidString(ev) || len(ev) > 200 {
				t.Fatalf("evidence %q", ev)
			}
		}
		d := Decide(Input{Product: "acme", LookupEnv: envOf(env)})
		if d.Agent != name {
			t.Fatalf("Decide names agent %q, DetectAgent %q", d.Agent, name)
		}
	})
}

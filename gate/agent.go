package gate

import "strings"

// agentRule is how one AI coding agent announces itself in the environment
// of the commands it runs: the variable it sets and, where the variable is
// shared with other uses, the value or the companion variable that tells
// the agent apart.
type agentRule struct {
	name   string // agent.name, one of schema.AgentNames
	env    string // the variable; set, not empty, not "0" or "false", unless value says otherwise
	value  string // if set, env must equal it (case-insensitive, trimmed)
	and    string // if set, this variable must also hold andVal
	andVal string
	source string // where the rule comes from, for people
}

// agentRules is every agent Waymark recognises, in the order they are
// tested (the first match names the agent). Each rule is the variable the
// agent's own sources set, as other tools that tag agent runs read it
// (Next.js, stripe-cli, the .NET SDK, Turborepo, azd). It is static data:
// nothing runs at start-up.
var agentRules = []agentRule{
	{name: "claude_code", env: "CLAUDECODE", source: "Claude Code sets CLAUDECODE=1 in the shell of its Bash tool"},
	{name: "codex", env: "CODEX_SANDBOX", source: "OpenAI Codex CLI sets CODEX_SANDBOX in its sandboxed commands"},
	{name: "codex", env: "CODEX_THREAD_ID", source: "OpenAI Codex CLI sets CODEX_THREAD_ID in the commands of a thread"},
	// Not CURSOR_TRACE_ID: every terminal of the Cursor editor sets it, a person's too.
	{name: "cursor", env: "CURSOR_AGENT", source: "Cursor's agent sets CURSOR_AGENT=1 in the commands it runs"},
	{name: "gemini_cli", env: "GEMINI_CLI", source: "Gemini CLI sets GEMINI_CLI=1 in its shell tool"},
	{name: "copilot", env: "COPILOT_CLI", source: "GitHub Copilot CLI sets COPILOT_CLI=1"},
	{name: "copilot", env: "COPILOT_AGENT", source: "GitHub Copilot's coding agent sets COPILOT_AGENT (its cloud runs also set CI=true, which stays CI)"},
	{name: "replit", env: "REPL_ID", and: "REPLIT_MODE", andVal: "assistant", source: "Replit's assistant runs with REPL_ID and REPLIT_MODE=assistant (REPL_ID alone is any Repl)"},
	{name: "cline", env: "CLINE_ACTIVE", source: "Cline sets CLINE_ACTIVE=true in its terminal"},
	{name: "opencode", env: "OPENCODE", source: "opencode sets OPENCODE=1 in the commands it runs"},
	{name: "amp", env: "AGENT", value: "amp", source: "Amp sets AGENT=amp"},
	{name: "goose", env: "AGENT", value: "goose", source: "Goose sets AGENT=goose"},
}

// genericAgentEnv is the variable any agent may set to its own name; a
// known name is taken as it is, any other value counts as "other".
const genericAgentEnv = "AI_AGENT"

// maxAgentValue bounds how much of a variable's value is looked at.
const maxAgentValue = 64

// DetectAgent reports whether lookup describes a run made by an AI coding
// agent, and names the agent with one of the closed set of agent.name
// values (claude_code, codex, cursor, gemini_cli, copilot, replit, cline,
// opencode, amp, goose, other). Agents are real use, not CI: the decision
// is unchanged, but an agent run never waits for input. A nil lookup
// reports no agent.
func DetectAgent(lookup func(string) (string, bool)) (name string, ok bool) {
	name, _, ok = detectAgent(lookup)
	return name, ok
}

// detectAgent is DetectAgent that also names the variable that gave the
// agent away, for status.
func detectAgent(lookup func(string) (string, bool)) (name, evidence string, ok bool) {
	if lookup == nil {
		return "", "", false
	}
	for i := range agentRules {
		r := &agentRules[i]
		v, _ := lookup(r.env)
		v = strings.TrimSpace(v)
		if !agentSet(v) {
			continue
		}
		if r.value != "" && !strings.EqualFold(v, r.value) {
			continue
		}
		if r.and != "" {
			w, _ := lookup(r.and)
			if !strings.EqualFold(strings.TrimSpace(w), r.andVal) {
				continue
			}
			return r.name, r.env + " and " + r.and + "=" + r.andVal, true
		}
		if r.value != "" {
			return r.name, r.env + "=" + r.value, true
		}
		return r.name, r.env, true
	}
	if v, _ := lookup(genericAgentEnv); agentSet(strings.TrimSpace(v)) {
		return agentName(v), genericAgentEnv + "=" + showValue(strings.TrimSpace(v)), true
	}
	return "", "", false
}

// agentSet reports whether a trimmed value of an agent's variable says an
// agent runs: not empty, and not "0" or "false", which say the opposite (as
// CI=false and DO_NOT_TRACK=0 do).
func agentSet(v string) bool {
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// agentName maps a value of AI_AGENT to agent.name: a known name (compared
// without regard to case, '-' read as '_', so "Claude-Code" is claude_code)
// as it is, anything else "other".
func agentName(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > maxAgentValue {
		return "other"
	}
	norm := strings.ToLower(strings.ReplaceAll(v, "-", "_"))
	for _, n := range agentNames {
		if norm == n {
			return n
		}
	}
	return "other"
}

// agentNames is schema.AgentNames, kept here so that gate imports nothing
// of the SDK's internals; a test holds the two to each other.
var agentNames = [...]string{"claude_code", "codex", "cursor", "gemini_cli", "copilot", "replit", "cline",
	"opencode", "amp", "goose", "other"}

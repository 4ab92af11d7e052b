package gate

import (
	"strconv"
	"strings"
)

// Input is everything Decide needs. The caller reads the environment and
// the disk; Decide only looks at what it is given.
type Input struct {
	// Product is the product name, already validated against
	// [a-z][a-z0-9_-]{0,31}. It names <PREFIX>_TELEMETRY and the command
	// quoted in reasons.
	Product string

	// LookupEnv reads one environment variable, as os.LookupEnv does.
	// It is required; if nil, telemetry is off (rule "no_environment"),
	// because no opt-out could be read.
	LookupEnv func(string) (string, bool)

	// ConfigErr, if set, is why the program's Config is invalid: telemetry
	// is then off (rule "config_invalid") whatever else is set.
	ConfigErr error

	// Disabled is Config.Disabled: the program itself turned telemetry off.
	Disabled bool

	// DisabledBy, if set with Disabled, names the user's per-run switch that
	// turned telemetry off, such as "--no-telemetry"; the decision then names
	// it (rule "run_flag") instead of the program.
	DisabledBy string

	// OptOutEnv, if set, names the vendor's own opt-out variables, such as
	// CHECKPOINT_DISABLE; any of them set to a non-empty value turns
	// telemetry off.
	OptOutEnv []string

	// RequireConsent, if true, keeps telemetry off until the user saved a
	// choice with `<product> telemetry enable`.
	RequireConsent bool

	// Policy, if set, returns the machine policies administrators wrote:
	// one PolicyFile for each policy file that exists (the product's own and
	// the one for every Waymark tool), none when there is none. The most
	// restrictive wins: a file that cannot be read, or holds anything but
	// "off" or "local", counts as off, and off outranks local.
	Policy func() []PolicyFile

	// SavedMode, if set, returns the raw content of the mode file, or ""
	// when there is none. Decide calls it only when no earlier rule
	// decided, since it touches the disk. An error turns telemetry off,
	// because the user may have saved "off" in the file that could not be
	// read.
	SavedMode func() (string, error)

	// SharedMode, if set, returns the raw content of the choice saved for all
	// Waymark tools (`telemetry disable --all`), or "" when there is none. The
	// product's own saved choice outranks it.
	SharedMode func() (string, error)

	// SharedDirUnsafe, if set, returns why the folder holding the choice
	// saved for all Waymark tools must not be trusted (writable by group or
	// others, another user's, a symlink), or nil. Decide calls it only when
	// the product has no saved choice of its own; an error means off (rule
	// "saved_all_unsafe"), since a choice of "off" may be hidden there.
	SharedDirUnsafe func() error

	// The checks below can only turn telemetry off, and only when the rules
	// above chose on, local or debug: an opt-out always names itself first.

	// EndpointErr is why the endpoint override ($<PREFIX>_TELEMETRY_ENDPOINT)
	// cannot be used (rule "endpoint_invalid"), or nil.
	EndpointErr error

	// StateDirErr is why no state directory can be had (rule "no_state_dir"),
	// or nil. A state dir that exists but is unsafe to use (another user's,
	// writable by group or others) is reported by StateDirUnsafe instead.
	StateDirErr error

	// StateDirUnsafe, if set, returns why the state directory must not be
	// used (rule "state_dir_unsafe"), or nil.
	StateDirUnsafe func() error

	// OTelEnvHazard, if set, returns why building the OTel pipeline in this
	// process would print on its stderr (rule "otel_env"), or "". It is
	// called only when the rules above chose on, local or debug.
	OTelEnvHazard func() string

	// Prepare, if set, is called last when the mode is on or local, to make
	// the state directory ready; its error turns telemetry off (rule
	// "state_dir_unwritable"). Decide calls nothing else that writes.
	Prepare func() error
}

// PolicyFile is one machine policy file that exists: its path and raw
// content, or the error that kept it from being read.
type PolicyFile struct {
	// Path is where the file is, for the reason a person reads.
	Path string
	// Content is the file's raw content when Err is nil.
	Content string
	// Err is why the file could not be read; it means off.
	Err error
}

// Decision is the outcome of Decide: the mode and why.
type Decision struct {
	// Mode is what telemetry does in this process.
	Mode Mode

	// Rule is a stable identifier of the rule that decided; the package
	// documentation lists every one.
	Rule string

	// Reason is one sentence for a person, naming the variable or the
	// saved choice that decided and its value.
	Reason string

	// CI names the detected CI service, or the generic variable that gave
	// it away, and is "" outside CI. It is filled in even when an earlier
	// rule decided, because the first-run notice must never show in CI.
	CI string

	// Agent names the AI coding agent that made this run (one of the
	// closed set of agent.name values, see DetectAgent), and is "" for a
	// run of a person or a script. Agents are real use: it changes no mode,
	// but an agent run never waits for input. AgentEvidence names the
	// variable that gave the agent away.
	Agent, AgentEvidence string

	// Warnings lists settings that were not understood and did not decide,
	// such as a garbage <PREFIX>_TELEMETRY value under an opt-out, for
	// `telemetry status` to show.
	Warnings []string

	// PolicyFile is the machine policy file that decided (Rule "policy"),
	// or "".
	PolicyFile string
}

// The stable rule identifiers of Decision.Rule.
const (
	ruleConfigDisabled    = "config_disabled"
	ruleDoNotTrack        = "do_not_track"
	ruleProductEnv        = "product_env"
	ruleProductEnvInvalid = "product_env_invalid"
	ruleOptOutEnv         = "opt_out_env"
	ruleCI                = "ci"
	ruleSaved             = "saved"
	ruleSavedAll          = "saved_all"
	ruleSavedInvalid      = "saved_invalid"
	ruleSavedAllInvalid   = "saved_all_invalid"
	ruleSavedAllUnsafe    = "saved_all_unsafe"
	rulePolicy            = "policy"
	ruleConsentRequired   = "consent_required"
	ruleDefault           = "default"
	ruleNoEnvironment     = "no_environment"
	ruleConfigInvalid     = "config_invalid"
	ruleRunFlag           = "run_flag"
	ruleEndpointInvalid   = "endpoint_invalid"
	ruleNoStateDir        = "no_state_dir"
	ruleStateDirUnsafe    = "state_dir_unsafe"
	ruleOTelEnv           = "otel_env"
	ruleStateDirUnwrit    = "state_dir_unwritable"
)

// Unprepared returns the decision once the state dir turned out not to be
// ready for recording (err): off, by rule "state_dir_unwritable". A nil err
// leaves the decision as it is.
func (d Decision) Unprepared(err error) Decision {
	if err == nil || d.Mode == Off {
		return d
	}
	d.Mode, d.Rule, d.Reason = Off, ruleStateDirUnwrit, err.Error()+"; telemetry is off for this process"
	return d
}

// Saved reports whether the user's saved choice decided, this product's or
// the one for all Waymark tools.
func (d Decision) Saved() bool { return d.Rule == ruleSaved || d.Rule == ruleSavedAll }

// Policy reports whether a machine policy decided.
func (d Decision) Policy() bool { return d.Rule == rulePolicy }

// Decide applies the rules in the order the package documentation lists
// and returns the first that matches:
//
//  1. in.ConfigErr, then in.Disabled (naming in.DisabledBy if set) → off.
//  2. The machine policies (in.Policy), the most restrictive winning: off →
//     off; local → local, unless a rule below turns telemetry off;
//     unreadable or anything else → off.
//  3. DO_NOT_TRACK set to anything but "", "0" or "false" → off.
//  4. <PREFIX>_TELEMETRY: off, 0, false or disabled → off; local → local;
//     debug → debug; on, 1 or true → on; anything else → off, with rule
//     "product_env_invalid". An empty value counts as unset.
//  5. Any of in.OptOutEnv set to a non-empty value → off.
//  6. A CI environment (see DetectCI) → off.
//  7. The product's saved choice, then the one saved for all Waymark tools
//     (off when its folder is unsafe): on, off or local; anything else → off.
//  8. in.RequireConsent → off; otherwise on.
//
// A mode other than off then goes through the checks that can only turn it
// off: the endpoint override, the state dir (none, unsafe, not writable)
// and the host's OTel environment.
//
// Values of DO_NOT_TRACK and <PREFIX>_TELEMETRY are compared with
// surrounding white space removed and without regard to case. Decide never
// panics on any environment and always returns a non-empty Reason.
func Decide(in Input) Decision {
	d := choose(in)
	if d.Mode == Off {
		return d
	}
	off := func(rule, reason string) Decision {
		d.Mode, d.Rule, d.Reason = Off, rule, reason
		return d
	}
	prefix := EnvPrefix(in.Product)
	switch {
	case in.EndpointErr != nil:
		return off(ruleEndpointInvalid, prefix+"_TELEMETRY_ENDPOINT "+in.EndpointErr.Error()+"; telemetry is off")
	case in.StateDirErr != nil:
		return off(ruleNoStateDir, "no state directory: "+in.StateDirErr.Error())
	}
	if in.StateDirUnsafe != nil {
		if err := in.StateDirUnsafe(); err != nil {
			return off(ruleStateDirUnsafe, err.Error()+"; it is not used and telemetry is off")
		}
	}
	if in.OTelEnvHazard != nil {
		if hz := in.OTelEnvHazard(); hz != "" {
			return off(ruleOTelEnv, hz+"; telemetry is off for this process")
		}
	}
	if in.Prepare != nil && (d.Mode == On || d.Mode == Local) {
		if err := in.Prepare(); err != nil {
			return off(ruleStateDirUnwrit, err.Error()+"; telemetry is off for this process")
		}
	}
	return d
}

// choose applies the rules that pick a mode.
func choose(in Input) Decision {
	if in.ConfigErr != nil {
		return Decision{Mode: Off, Rule: ruleConfigInvalid, Reason: "the Config is invalid: " + in.ConfigErr.Error()}
	}
	lookup := in.LookupEnv
	if lookup == nil {
		return Decision{
			Mode:   Off,
			Rule:   ruleNoEnvironment,
			Reason: "no environment was given to read opt-outs from; telemetry is off",
		}
	}

	var d Decision
	ciName, ciEvidence, isCI := detectCI(lookup)
	d.CI = ciName
	d.Agent, d.AgentEvidence, _ = detectAgent(lookup)

	prodVar := EnvPrefix(in.Product) + "_TELEMETRY"
	prodRaw, _ := lookup(prodVar)
	prodMode, prodState := parseProductEnv(prodRaw)
	prodInvalid := prodVar + "=" + quoteValue(prodRaw) +
		" was not understood (want off, local, debug or on)"

	decide := func(m Mode, rule, reason string) Decision {
		d.Mode, d.Rule, d.Reason = m, rule, reason
		return d
	}

	// Rules 1 and 2 outrank the product variable, but a value it did not
	// understand is still worth showing in status.
	warnBadProductEnv := func() {
		if prodState == envInvalid {
			d.Warnings = append(d.Warnings, prodInvalid+"; ignored")
		}
	}
	if in.Disabled {
		warnBadProductEnv()
		if in.DisabledBy != "" {
			return decide(Off, ruleRunFlag, "the "+showValue(in.DisabledBy)+" flag turned telemetry off for this run")
		}
		return decide(Off, ruleConfigDisabled, "the program turned telemetry off (Config.Disabled)")
	}
	if in.Policy != nil {
		if pf, local, ok := strictestPolicy(in.Policy()); ok {
			d.PolicyFile = pf.Path
			if !local {
				return decide(Off, rulePolicy, policyReason(pf))
			}
			// A ceiling, not a floor: a user's opt-out below still turns
			// telemetry off; anything else becomes local.
			in.Policy = nil
			rest := choose(in)
			if rest.Mode == Off {
				rest.PolicyFile = pf.Path
				return rest
			}
			d.Warnings = rest.Warnings
			return decide(Local, rulePolicy, policyReason(pf))
		}
	}
	if v, _ := lookup("DO_NOT_TRACK"); doNotTrack(v) {
		warnBadProductEnv()
		return decide(Off, ruleDoNotTrack, "DO_NOT_TRACK="+showValue(v)+" is set")
	}

	switch prodState {
	case envValid:
		return decide(prodMode, ruleProductEnv, prodVar+"="+showValue(prodRaw)+" is set")
	case envInvalid:
		return decide(Off, ruleProductEnvInvalid, prodInvalid+"; telemetry is off")
	}

	for _, k := range in.OptOutEnv {
		if k == "" {
			continue
		}
		if v, _ := lookup(k); v != "" {
			return decide(Off, ruleOptOutEnv, k+"="+showValue(v)+" is set")
		}
	}

	if isCI {
		return decide(Off, ruleCI, "CI environment detected ("+ciEvidence+")")
	}

	if in.SavedMode != nil {
		raw, err := in.SavedMode()
		if err != nil {
			return decide(Off, ruleSaved, "the saved choice could not be read ("+err.Error()+"); telemetry is off")
		}
		if strings.TrimSpace(raw) != "" {
			m, ok := ParseSavedMode(raw)
			if !ok {
				// Fail closed: the user may have meant off ("offf", or "off"
				// behind a byte-order mark).
				return decide(Off, ruleSavedInvalid, "the saved choice "+quoteValue(raw)+
					" was not understood (want on, off or local); telemetry is off")
			}
			return decide(m, ruleSaved, "saved choice "+strconv.Quote(m.String())+
				" ("+in.Product+" telemetry "+savedCommand(m)+")")
		}
	}

	if in.SharedDirUnsafe != nil {
		if err := in.SharedDirUnsafe(); err != nil {
			return decide(Off, ruleSavedAllUnsafe, "the folder of the choice saved for all Waymark tools cannot be trusted ("+
				err.Error()+"); telemetry is off")
		}
	}
	if in.SharedMode != nil {
		raw, err := in.SharedMode()
		if err != nil {
			return decide(Off, ruleSavedAll, "the choice saved for all Waymark tools could not be read ("+err.Error()+"); telemetry is off")
		}
		if strings.TrimSpace(raw) != "" {
			m, ok := ParseSavedMode(raw)
			if !ok {
				return decide(Off, ruleSavedAllInvalid, "the choice saved for all Waymark tools "+quoteValue(raw)+
					" was not understood (want on, off or local); telemetry is off")
			}
			return decide(m, ruleSavedAll, "choice "+strconv.Quote(m.String())+" saved for all Waymark tools ("+
				in.Product+" telemetry "+savedCommand(m)+" --all)")
		}
	}

	if in.RequireConsent {
		return decide(Off, ruleConsentRequired, in.Product+" sends telemetry only with consent and none was saved; run \""+
			in.Product+" telemetry enable\" to turn it on")
	}
	return decide(On, ruleDefault, "no opt-out found; telemetry is on by default")
}

// strictestPolicy picks the policy that decides among those found: the
// first that means off (unreadable, "off" or anything but "local"), else the
// first "local". ok is false when no file was found.
func strictestPolicy(files []PolicyFile) (pf PolicyFile, local, ok bool) {
	for _, f := range files {
		if f.Err == nil && policyWord(f.Content) == "local" {
			if !ok {
				pf, local, ok = f, true, true
			}
			continue
		}
		return f, false, true
	}
	return pf, local, ok
}

// policyWord is a policy file's content as compared: trimmed, lower case.
func policyWord(raw string) string { return strings.ToLower(strings.TrimSpace(raw)) }

// policyReason says what policy file pf holds and what it means.
func policyReason(pf PolicyFile) string {
	switch {
	case pf.Err != nil:
		return "the machine policy " + pf.Path + " could not be read (" + pf.Err.Error() + "); telemetry is off"
	case policyWord(pf.Content) == "local":
		return "the machine policy " + pf.Path + " says local"
	case policyWord(pf.Content) == "off":
		return "the machine policy " + pf.Path + " says off"
	}
	return "the machine policy " + pf.Path + " holds " + quoteValue(pf.Content) + ", which is not off or local; telemetry is off"
}

// EnvPrefix returns the prefix of a product's environment variables: the
// product name upper-cased with "-" turned into "_", so "acme" gives "ACME"
// and "acme-cli" gives "ACME_CLI". Any other byte that cannot appear in a
// portable variable name also becomes "_".
func EnvPrefix(product string) string {
	b := []byte(product)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

// envState is how a <PREFIX>_TELEMETRY value was understood.
type envState uint8

const (
	envUnset envState = iota
	envValid
	envInvalid
)

// parseProductEnv reads a <PREFIX>_TELEMETRY value.
func parseProductEnv(raw string) (Mode, envState) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return Off, envUnset
	}
	for _, w := range [...]string{"off", "0", "false", "disabled"} {
		if strings.EqualFold(v, w) {
			return Off, envValid
		}
	}
	for _, w := range [...]string{"on", "1", "true"} {
		if strings.EqualFold(v, w) {
			return On, envValid
		}
	}
	switch {
	case strings.EqualFold(v, "local"):
		return Local, envValid
	case strings.EqualFold(v, "debug"):
		return Debug, envValid
	}
	return Off, envInvalid
}

// doNotTrack reports whether a DO_NOT_TRACK value asks for no tracking:
// anything but empty, "0" or "false".
func doNotTrack(raw string) bool {
	v := strings.TrimSpace(raw)
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// savedCommand names the `telemetry` subcommand that saves m.
func savedCommand(m Mode) string {
	switch m {
	case On:
		return "enable"
	case Local:
		return "local"
	}
	return "disable"
}

// maxShown bounds how much of a value a reason repeats.
const maxShown = 40

// showValue renders a value for a reason: as is when it is a short plain
// word such as 1 or true, quoted otherwise.
func showValue(v string) string {
	if v == "" || len(v) > maxShown {
		return quoteValue(v)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-' || c == '/' || c == ':') {
			return quoteValue(v)
		}
	}
	return v
}

// quoteValue renders a value in Go quotes, cut to maxShown characters so
// that a huge or binary value cannot flood the status output.
func quoteValue(v string) string {
	n := 0
	for i := range v {
		if n == maxShown {
			return strconv.Quote(v[:i]) + "…"
		}
		n++
	}
	return strconv.Quote(v)
}

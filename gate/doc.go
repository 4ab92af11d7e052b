// Package gate owns Waymark's decision: whether telemetry is on, off, local
// or debug for this process, and which rule decided it and why. Every rule
// that can turn telemetry off lives here, with its id; callers never patch
// the result. It also owns CI detection, AI coding agent detection, terminal
// detection and the text of the first-run notice.
//
// The rules are evaluated in this order, and the first that matches is the
// one Decision.Rule names (and `telemetry status` prints):
//
//	config_invalid        the program's Config is invalid → off
//	run_flag              the user's per-run switch, such as --no-telemetry → off
//	config_disabled       Config.Disabled → off
//	policy                the machine policy files: off, or local (at most: a user's opt-out
//	                      below still means off); unreadable or anything else → off;
//	                      of the product's file and Waymark's, the most restrictive wins
//	do_not_track          DO_NOT_TRACK set to anything but "", "0" or "false" → off
//	product_env           <PREFIX>_TELEMETRY=off|0|false|disabled|local|debug|on|1|true
//	product_env_invalid   <PREFIX>_TELEMETRY set to anything else → off
//	opt_out_env           a vendor opt-out variable (Config.OptOutEnv) is set → off
//	ci                    a CI environment → off
//	saved                 the user's saved choice (telemetry enable|disable|local)
//	saved_invalid         a saved choice that is not exactly on, off or local → off
//	saved_all_unsafe      the folder of the choice saved for all Waymark tools is
//	                      writable by group or others, another user's, or a symlink → off
//	saved_all             the choice saved for all Waymark tools (… --all)
//	saved_all_invalid     a choice saved for all tools that is not on, off or local → off
//	consent_required      Config.RequireConsent and no saved choice → off
//	default               nothing else matched → on
//	no_environment        no environment could be read → off
//
// When those rules chose on, local or debug, these checks can still turn
// telemetry off for the process, in this order:
//
//	endpoint_invalid      $<PREFIX>_TELEMETRY_ENDPOINT cannot be used
//	no_state_dir          no state directory can be had (no home)
//	state_dir_unsafe      the state dir is another user's, or writable by group or others
//	otel_env              a malformed OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME
//	                      would make the OTel SDK print on the host's stderr
//	state_dir_unwritable  the state dir cannot be created or written (on and local only)
//
// AI coding agents are no rule: their runs are real use and decide nothing.
// Decision.Agent names the agent (see DetectAgent and its table of variables,
// each with its source, in agent.go) so that every event of the run carries
// agent.name and the run never waits for input.
//
// Gate never reads the process environment itself, never prints and never
// touches the network: the caller passes the environment, the saved choice
// and the results of its checks in, so every decision can be reproduced in a
// test. It writes nothing but through Input.Prepare. It does no work at
// package initialisation.
package gate

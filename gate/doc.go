// Package gate owns Waymark's decision: whether telemetry is on, off, local
// or debug for this process, and which rule decided it and why. It also owns
// CI detection, terminal detection and the text of the first-run notice.
//
// The rules are evaluated in a fixed order and the first that matches wins:
// Config.Disabled, DO_NOT_TRACK, <PREFIX>_TELEMETRY, the vendor's own opt-out
// variables, a CI environment, the saved choice, and finally the default
// (on, or off until consent when the product requires it).
//
// Gate never reads the process environment itself, never creates, writes or
// deletes files, never prints, and never touches the network: the caller
// passes the environment and the saved choice in, so every decision can be
// reproduced in a test. It does no work at package initialisation.
package gate

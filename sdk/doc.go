// Package sdk is Waymark's public API: Start a Client from a Config, mark
// Milestones, Shutdown, and give a CLI its `telemetry` subcommand with
// Command. It wires the gate (the decision), the local state and the OTel
// pipeline and delivery (under internal/) together; nothing imports it.
//
// Telemetry never hurts the host program: Start returns an error only for a
// bad Config, and disk, network and collector problems never reach the
// caller as an error, a panic, output or a delay. A CLI's Shutdown never
// waits on the network; pending events leave from a detached uploader, which
// is the program's own binary re-run. That child is recognised while this
// package initialises, before main runs, so Start may be called anywhere;
// only init functions of packages initialised before sdk run in it.
package sdk

package sdk

import (
	"context"
	"os"
	"runtime/debug"
)

// SkipRun marks this run as not real use of the program — shell
// completion, help, the telemetry command itself — so that it counts for
// nothing: no usage ping, no first-run notice, nothing written. Milestones
// reached in the run are still recorded. The cobra and urfave/cli
// integrations call it for those commands. Safe on a nil or disabled Client.
func (c *Client) SkipRun() {
	if c != nil {
		c.skip.Store(true)
	}
}

// SkipRun calls SkipRun on the Client that Start returned, for code that
// cannot reach it: a path of the program that is not real use (its own
// version or help output, a dry run) marks the run so it counts for nothing.
// Before Start, or when telemetry is off, it does nothing.
func SkipRun() {
	active.Load().SkipRun()
}

// End ends a run correctly whatever happened, deferred once at the top of
// main (or of the command's run function):
//
//	defer t.End()
//
// On a normal return it shuts down as Shutdown does. On a panic it offers
// the user a crash report as ReportPanics does (a prompt on a terminal,
// nothing sent without a yes), shuts down so the run's events leave, and
// panics again with the same value, so the program fails as it would have.
func (c *Client) End() {
	if r := recover(); r != nil {
		if c != nil {
			c.offerReport(r, debug.Stack())
			c.Shutdown(context.Background())
		}
		panic(r)
	}
	c.Shutdown(context.Background())
}

// Exit shuts down as Shutdown does, then ends the process with code, so a
// program that exits with a status (cobra's error path) loses nothing.
// Deferred calls do not run, as with os.Exit.
func (c *Client) Exit(code int) {
	c.Shutdown(context.Background())
	osExit(code)
}

// Exit calls Exit on the Client that Start returned; before Start it is
// os.Exit.
func Exit(code int) {
	active.Load().Exit(code)
}

// osExit is os.Exit; tests replace it.
var osExit = os.Exit

// Package waymarkurfave adds Waymark telemetry to a CLI built on
// github.com/urfave/cli/v3 with one call on its root command. It owns the
// wiring between urfave/cli and package sdk: when telemetry starts (after
// every flag is parsed, only for commands that are real use), the
// `telemetry` command tree, the per-run --no-telemetry flag, and ending the
// run on every exit path. It records nothing itself; what is recorded, and
// when telemetry is off, is sdk's and gate's business.
//
// A vendor's main becomes:
//
//	func main() {
//		t := waymarkurfave.Instrument(newRootCmd(), sdk.Config{Product: "acmecli", ...})
//		if err := t.Run(context.Background(), os.Args); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// Instrument adds:
//
//   - a persistent --no-telemetry flag (also --no-telemetry=true, and after
//     the subcommand) that turns telemetry off for the run; `telemetry
//     status` and debug mode name it;
//   - a `telemetry` command (status [--json], enable, disable, local, reset)
//     with urfave/cli's own help and completion, built on sdk.Command;
//   - the start of telemetry in front of every command's Action, which
//     urfave/cli runs after all flags are parsed and the Before hooks ran
//     (milestones belong in Actions, not in Before);
//   - an ExitErrHandler that shuts telemetry down before an error that
//     carries an exit code (cli.Exit) ends the process, then does what the
//     program's handler, or urfave/cli's, does.
//
// Runs that are not real use start nothing and write nothing: shell
// completion (--generate-shell-completion), the completion command, help
// (the help command, --help, a command without an Action), a `version`
// command, a set flag named version (urfave/cli's, or the program's own
// --version/-V), the telemetry command itself, and any run that fails
// before its Action (an unknown flag, a missing required flag or
// argument). Any other path that is not use calls sdk.SkipRun.
//
// Call Instrument right after the command tree is built, before any code
// that inspects or rewrites the arguments.
//
// Run runs the command and then ends the run: a panic in an Action is
// offered to the user as an anonymous crash report (a prompt on a
// terminal, nothing sent without a yes) and raised again, and telemetry
// shuts down on every path, so the exit that follows loses nothing.
package waymarkurfave

import (
	"context"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/waymarkhq/waymark/sdk"
)

// FlagName is the name of the persistent flag that turns telemetry off for
// one run: --no-telemetry.
const FlagName = "no-telemetry"

// Telemetry is Waymark wired into one urfave/cli command tree. Its methods
// are meant for the goroutine that runs the tree.
type Telemetry struct {
	root    *cli.Command
	cfg     sdk.Config
	tele    *cli.Command // the telemetry command, nil if the program has its own
	wrapped map[*cli.Command]bool
	client  *sdk.Client // set when a counted command starts telemetry
}

// Instrument adds Waymark to root, the root of a urfave/cli command tree,
// and returns the handle that runs it. Call it once the tree is built,
// before Run. cfg is the Config that sdk.Start would take; the flag sets
// its Disabled and DisabledBy for a run.
//
// If root already has a flag named no-telemetry (a bool) it is used as is;
// if it already has a `telemetry` command, that command is left alone and
// counts for nothing.
func Instrument(root *cli.Command, cfg sdk.Config) *Telemetry {
	t := &Telemetry{root: root, cfg: cfg, wrapped: map[*cli.Command]bool{}}
	if !hasFlag(root, FlagName) {
		root.Flags = append(root.Flags, &cli.BoolFlag{Name: FlagName, Usage: "turn telemetry off for this run"})
	}
	if root.Command("telemetry") == nil {
		t.tele = t.telemetryCommand()
		root.Commands = append(root.Commands, t.tele)
	}
	prev := root.ExitErrHandler
	root.ExitErrHandler = func(ctx context.Context, cmd *cli.Command, err error) {
		if prev != nil {
			// The program's handler may exit: nothing may wait behind it.
			t.client.Shutdown(context.Background())
			prev(ctx, cmd, err)
			return
		}
		if exits(err) {
			t.client.Shutdown(context.Background())
		}
		cli.HandleExitCoder(err)
	}
	t.wrap(root)
	return t
}

// Run runs the command tree as root.Run does and returns its error, then
// ends the run as End does. urfave/cli prints only errors that carry an
// exit code (cli.Exit); print the others, as the usual main does with
// log.Fatal. Telemetry is shut down by the time Run returns.
func (t *Telemetry) Run(ctx context.Context, args []string) error {
	defer t.End()
	t.wrap(t.root) // commands added since Instrument
	return t.root.Run(ctx, args)
}

// End ends the run, deferred where the program runs the tree itself
// instead of calling Run:
//
//	defer t.End()
//
// After a normal return it shuts telemetry down (sdk.Client.Shutdown). On
// a panic it offers the user a crash report (sdk.Client.End: a prompt on a
// terminal, nothing sent without a yes), shuts down, and panics again with
// the same value, so the program fails as it would have.
func (t *Telemetry) End() {
	if r := recover(); r != nil {
		t.crashed(r)
	}
	t.client.Shutdown(context.Background())
}

// crashed hands a recovered panic value to the Client's End, which must
// itself be the deferred call that recovers it.
func (t *Telemetry) crashed(r any) {
	defer t.client.End()
	panic(r)
}

// Exit shuts telemetry down and ends the process with code, as os.Exit
// does (deferred calls do not run), so an exit with a status loses nothing.
func (t *Telemetry) Exit(code int) {
	t.client.Exit(code) // a nil Client still exits
	os.Exit(code)
}

// Client returns the Client that a counted command started, or nil when no
// command started telemetry (yet) in this run. sdk.Milestone acts on it
// without this.
func (t *Telemetry) Client() *sdk.Client {
	return t.client
}

// config is the Config for this run of cmd: the vendor's, with the user's
// --no-telemetry flag applied.
func (t *Telemetry) config(cmd *cli.Command) sdk.Config {
	cfg := t.cfg
	if cmd.Bool(FlagName) {
		cfg.Disabled = true
		cfg.DisabledBy = "--" + FlagName
	}
	return cfg
}

// begin starts telemetry for cmd, once.
func (t *Telemetry) begin(cmd *cli.Command) {
	if t.client != nil {
		return
	}
	c, err := sdk.Start(t.config(cmd))
	if err != nil {
		// Only a bad Config gets here: the vendor's bug, shown to the
		// vendor on the first run. c is usable and does nothing.
		w := cmd.Root().ErrWriter
		if w == nil {
			w = os.Stderr
		}
		w.Write([]byte(err.Error() + "\n"))
	}
	t.client = c
}

// wrap puts begin in front of the Action of every command under c that
// has one, except the telemetry tree, help and completion (urfave/cli adds
// those during Run, with Actions of their own that stay unwrapped). It is
// safe to call again.
func (t *Telemetry) wrap(c *cli.Command) {
	if c == t.tele || t.wrapped[c] || c != t.root && t.isBuiltIn(c) {
		return
	}
	if action := c.Action; action != nil {
		t.wrapped[c] = true
		c.Action = func(ctx context.Context, cmd *cli.Command) error {
			if !versionSet(cmd) {
				t.begin(cmd)
			}
			return action(ctx, cmd)
		}
	}
	for _, sub := range c.Commands {
		t.wrap(sub)
	}
}

// isBuiltIn reports whether c is a command that is never use: help and
// the completion command, which urfave/cli adds itself, and a version
// command.
func (t *Telemetry) isBuiltIn(c *cli.Command) bool {
	return c.Name == "help" || c.Name == "completion" || c.Name == "version" || c.Name == t.root.ShellCompletionCommandName
}

// versionSet reports whether the run set a flag named version on cmd or a
// command above it: urfave/cli's own answers before any Action runs, a
// program's own --version/-V is printed from its Action.
func versionSet(cmd *cli.Command) bool {
	return cmd.IsSet("version")
}

// exits reports whether urfave/cli's HandleExitCoder ends the process for err.
func exits(err error) bool {
	switch err.(type) {
	case cli.ExitCoder, cli.MultiError:
		return true
	}
	return false
}

func hasFlag(c *cli.Command, name string) bool {
	for _, f := range c.Flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// Package waymarkcobra adds Waymark telemetry to a CLI built on
// github.com/spf13/cobra with one call on its root command. It owns the
// wiring between cobra and package sdk: when telemetry starts (after flag
// parsing, only for commands that are real use), the `telemetry` command
// tree, the per-run --no-telemetry flag, and ending the run on every exit
// path. It records nothing itself; what is recorded, and when telemetry is
// off, is sdk's and gate's business.
//
// A vendor's main becomes:
//
//	func main() {
//		root := newRootCmd()
//		t := waymarkcobra.Instrument(root, sdk.Config{Product: "acmectl", ...})
//		if err := t.Execute(); err != nil {
//			os.Exit(1)
//		}
//	}
//
// Instrument adds:
//
//   - a persistent --no-telemetry flag (also --no-telemetry=true) that turns
//     telemetry off for the run; `telemetry status` and debug mode name it;
//   - a `telemetry` command (status [--json], enable, disable, local, reset)
//     with cobra's own help and completion, built on sdk.Command;
//   - the start of telemetry in the root's PersistentPreRunE, after flags are
//     parsed, chained before any hook the program already set (and before
//     the hook of any subcommand that has its own, since cobra runs only the
//     nearest one unless cobra.EnableTraverseRunHooks is set).
//
// Runs that are not real use start nothing and write nothing: shell
// completion (__complete, __completeNoDesc), the completion command, help
// (the help command, --help, a command that is not runnable), a `version`
// command, a set flag named version (cobra's, or the program's own
// --version/-V), the telemetry command itself, and any run that fails
// before its hooks (an unknown flag or command, bad arguments). Any other
// path that is not use calls sdk.SkipRun.
//
// Call Instrument right after the command tree is built, before any code
// that inspects or rewrites the arguments (root.Find, a default command):
// it adds the telemetry command, and cobra's help and completion commands,
// that such code must see.
//
// Execute runs the root command and then ends the run: a panic in a
// command is offered to the user as an anonymous crash report (a prompt on
// a terminal, nothing sent without a yes) and raised again, and telemetry
// shuts down on every path, so the os.Exit that follows loses nothing.
package waymarkcobra

import (
	"context"
	"os"
	"reflect"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/waymarkhq/waymark/sdk"
)

// FlagName is the name of the persistent flag that turns telemetry off for
// one run: --no-telemetry.
const FlagName = "no-telemetry"

// Telemetry is Waymark wired into one cobra command tree. Its methods are
// meant for the goroutine that runs the tree.
type Telemetry struct {
	root   *cobra.Command
	cfg    sdk.Config
	flag   *pflag.Flag
	tele   *cobra.Command // the telemetry command, nil if the program has its own
	client *sdk.Client    // set when a counted command starts telemetry
}

// Instrument adds Waymark to root, the root of a cobra command tree, and
// returns the handle that runs it. Call it once the tree is built (after
// AddCommand), before Execute. cfg is the Config that sdk.Start would take;
// the flag sets its Disabled and DisabledBy for a run.
//
// If root already has a persistent --no-telemetry flag (a bool) it is used
// as is; if it already has a `telemetry` command, that command is left
// alone and counts for nothing.
func Instrument(root *cobra.Command, cfg sdk.Config) *Telemetry {
	t := &Telemetry{root: root, cfg: cfg}
	if t.flag = root.PersistentFlags().Lookup(FlagName); t.flag == nil {
		root.PersistentFlags().Bool(FlagName, false, "turn telemetry off for this run")
		t.flag = root.PersistentFlags().Lookup(FlagName)
	}
	if !hasCommand(root, "telemetry") {
		t.tele = t.telemetryCommand()
		root.AddCommand(t.tele)
	}
	// cobra adds its help and completion commands only when the tree runs.
	// Added now, they are in the tree for code that looks commands up
	// before Execute (a main that sends unknown arguments to a default
	// command would otherwise turn `help` into that command's argument, and
	// count it as use).
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	t.hook()
	return t
}

// Execute runs the command tree as root.ExecuteC does and returns its
// error (cobra has printed it already), then ends the run as End does. To
// run with a context, set it first with root.SetContext. The usual main
// exits with status 1 when Execute returns an error; telemetry is shut down
// by then.
func (t *Telemetry) Execute() error {
	defer t.End()
	t.hook() // commands, or hooks, added since Instrument
	_, err := t.root.ExecuteC()
	return err
}

// End ends the run, deferred where the program runs the tree itself
// instead of calling Execute:
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

// config is the Config for this run: the vendor's, with the user's
// --no-telemetry flag applied.
func (t *Telemetry) config() sdk.Config {
	cfg := t.cfg
	if t.flag != nil && t.flag.Value.String() == "true" {
		cfg.Disabled = true
		cfg.DisabledBy = "--" + FlagName
	}
	return cfg
}

// begin starts telemetry for cmd, once, if cmd is real use.
func (t *Telemetry) begin(cmd *cobra.Command) {
	if t.client != nil || !t.counted(cmd) {
		return
	}
	c, err := sdk.Start(t.config())
	if err != nil {
		// Only a bad Config gets here: the vendor's bug, shown to the
		// vendor on the first run. c is usable and does nothing.
		cmd.PrintErrln(err)
	}
	t.client = c
}

// counted reports whether running cmd is real use of the program: not
// completion, help, a version command or flag, or the telemetry command.
func (t *Telemetry) counted(cmd *cobra.Command) bool {
	if versionSet(cmd) {
		return false
	}
	top := cmd
	for top.HasParent() && top.Parent() != t.root {
		top = top.Parent()
	}
	if top == t.root || !top.HasParent() {
		return true // the root itself (or a tree Instrument never saw)
	}
	if t.tele != nil && top == t.tele {
		return false
	}
	switch top.Name() {
	case "help", "completion", "version", "telemetry", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
		return false
	}
	return true
}

// hook installs the start of telemetry in front of the root's persistent
// pre-run hook and that of every command that has its own, keeping the
// program's hook. It is safe to call again: a hook already ours is left.
func (t *Telemetry) hook() {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c == t.root || c.PersistentPreRunE != nil || c.PersistentPreRun != nil {
			t.chain(c)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(t.root)
}

// chain puts begin in front of c's persistent pre-run hook, keeping the
// program's: PersistentPreRunE, or PersistentPreRun when only that is set
// (cobra runs the E form when both are). A PersistentPreRun set after an
// earlier chain runs after it.
func (t *Telemetry) chain(c *cobra.Command) {
	preE, pre := c.PersistentPreRunE, c.PersistentPreRun
	if isOurs(preE) && pre == nil {
		return
	}
	if preE != nil && !isOurs(preE) {
		pre = nil // never ran: cobra prefers PersistentPreRunE
	}
	c.PersistentPreRun = nil
	c.PersistentPreRunE = t.wrap(preE, pre)
}

// wrap returns the hook chain installs: begin, then the program's hooks.
// It is never inlined, so that every hook it returns has the same code
// (an inlined copy would compile the closure anew) and isOurs can tell.
//
//go:noinline
func (t *Telemetry) wrap(preE func(*cobra.Command, []string) error, pre func(*cobra.Command, []string)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		t.begin(cmd)
		if preE != nil {
			if err := preE(cmd, args); err != nil {
				return err
			}
		}
		if pre != nil {
			pre(cmd, args)
		}
		return nil
	}
}

// ours is the code of every hook wrap returns (closures of one function
// literal share it), so isOurs recognises a hook chain installed.
var ours = reflect.ValueOf(new(Telemetry).wrap(nil, nil)).Pointer()

func isOurs(f func(*cobra.Command, []string) error) bool {
	return f != nil && reflect.ValueOf(f).Pointer() == ours
}

// versionSet reports whether the run set a flag named version: cobra's own
// (which answers before any hook runs) or the program's, such as a root
// --version/-V that its Run prints from.
func versionSet(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup("version")
	return f != nil && f.Changed && f.Value.String() != "false"
}

func hasCommand(root *cobra.Command, name string) bool {
	for _, c := range root.Commands() {
		if c.Name() == name {
			return true
		}
	}
	return false
}

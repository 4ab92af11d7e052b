// Package telemetrytext owns the words of the telemetry command that a
// person reads: what each subcommand and flag does (for sdk.Command's help
// and for the cobra and urfave/cli command trees, so all three say the same),
// and the plain-language forms of delivery errors and times shown by status.
// It formats text only: it reads no file, environment or clock of its own.
package telemetrytext

import (
	"fmt"
	"strings"
)

// Subcommand describes one subcommand of the telemetry command.
type Subcommand struct {
	// Name is what the user types, e.g. "status".
	Name string
	// Short is a one-line summary, without a final period (cobra's Short,
	// urfave's Usage).
	Short string
	// Long is one or two full sentences on what it does.
	Long string
	// JSON, All and Erase say whether it takes --json, --all and --erase.
	JSON, All, Erase bool
}

// Subcommands lists the telemetry command's subcommands in the order help
// shows them.
var Subcommands = []Subcommand{
	{
		Name:  "status",
		Short: "Show whether telemetry is on, why, what waits to be sent and exactly what is collected",
		Long: "Shows whether telemetry is on, off or local and which setting decided it, the installation id, " +
			"how many events wait to be sent, the last delivery problem, and exactly what is collected. " +
			"It is what the command does when given no subcommand.",
		JSON: true,
	},
	{
		Name:  "show",
		Short: "List the events last sent from this machine and those waiting to be sent",
		Long: "Lists, exactly as they go out, the events the collector last accepted from this machine " +
			"and the events still waiting to be sent.",
		JSON: true,
	},
	{
		Name:  "enable",
		Short: "Turn telemetry on: send anonymous usage data",
		Long:  "Turns telemetry on and saves that choice: anonymous usage events are sent from now on.",
		All:   true,
	},
	{
		Name:  "disable",
		Short: "Turn telemetry off and forget this machine",
		Long: "Turns telemetry off and saves that choice, then forgets this machine: the installation id, " +
			"the events waiting to be sent, the record of sent events and the milestones are deleted. " +
			"Enabling again later counts as a new installation.",
		All:   true,
		Erase: true,
	},
	{
		Name:  "local",
		Short: "Record events in a file on this machine only, never send them",
		Long: "Records events in a file on this machine and never sends them, not even after a later enable; " +
			"status names the file.",
		All: true,
	},
	{
		Name:  "reset",
		Short: "Start again as a new installation with a new id",
		Long: "Gives this machine a new installation id and deletes the events waiting to be sent; milestones count again from the start. " +
			"While telemetry is off it only deletes the old id, and the first run with telemetry on makes the new one.",
	},
}

// Flag help, one line each (cobra and urfave show these next to the flag).
const (
	JSONFlag  = "print as JSON, for scripts"
	AllFlag   = "make the choice for every Waymark-instrumented tool of this user"
	EraseFlag = "first ask the vendor to erase what this installation sent"
)

// Flag help in full sentences, as the help text shows it.
const (
	jsonLong = "With status or show: print JSON instead of text, for scripts."
	allLong  = "With enable, disable or local: save the choice for every Waymark-instrumented tool of this user, " +
		"not only this one; a tool's own saved choice still wins over it."
	eraseLong = "With disable: before forgetting this machine, send the vendor one request to erase everything " +
		"this installation ever sent (only when something was sent); if it cannot be sent now, a later run " +
		"sends it, and it is the only thing ever sent while telemetry is off."
)

// Summary is the telemetry command's one-line description.
func Summary(product string) string {
	return "Show or change what " + product + " sends about its use"
}

// Overrides is the sentence on what outranks a saved choice. envPrefix is
// the product's environment prefix (ACME for acme); runFlag, if set, is a
// per-run flag such as "--no-telemetry".
func Overrides(envPrefix, runFlag string) string {
	s := envPrefix + "_TELEMETRY (off, local, debug or on) and DO_NOT_TRACK=1 in the environment " +
		"outrank a saved choice"
	if runFlag != "" {
		s += "; " + runFlag + " turns telemetry off for one run"
	}
	return s + "."
}

// Long is the telemetry command's description for a framework's command
// tree (cobra's Long, urfave's Description), which lists the subcommands
// with their Short lines by itself: what the command is, what --all does,
// and what outranks a saved choice. runFlag is the per-run flag, e.g.
// "--no-telemetry".
func Long(product, envPrefix, runFlag string) string {
	return hang("", Summary(product)+". Without a subcommand it shows the status.", 80) + "\n" +
		strings.TrimSuffix(hang("", "The --all flag of enable, disable and local saves the choice for every "+
			"Waymark-instrumented tool of this user, not only this one; a tool's own saved choice still wins over it. "+
			Overrides(envPrefix, runFlag), 80), "\n")
}

// Help is the full help of the telemetry command, wrapped to 80 columns.
// usage is the command line that runs it, e.g. "acme telemetry".
func Help(product, usage, envPrefix, runFlag string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s.\n\n", Summary(product))
	fmt.Fprintf(&b, "Usage: %s [COMMAND] [--json] [--all] [--erase]\n\nCommands:\n", usage)
	width := 0
	for _, s := range Subcommands {
		width = max(width, len(s.Name))
	}
	item := func(name, text string) {
		b.WriteString(hang("  "+name+strings.Repeat(" ", width-len(name))+"  ", text, 80))
	}
	for _, s := range Subcommands {
		item(s.Name, s.Long)
	}
	item("help", "Shows this help; -h and --help do the same.")
	b.WriteString("\nFlags:\n")
	item("--json", jsonLong)
	item("--all", allLong)
	item("--erase", eraseLong)
	b.WriteString("\n")
	b.WriteString(hang("", Overrides(envPrefix, runFlag), 80))
	return b.String()
}

// hang wraps text to width columns after lead, indenting later lines under
// the text's first column.
func hang(lead, text string, width int) string {
	var b strings.Builder
	b.WriteString(lead)
	col := len(lead)
	indent := strings.Repeat(" ", len(lead))
	first := true
	for _, w := range strings.Fields(text) {
		if !first && col+1+len(w) > width {
			b.WriteString("\n" + indent)
			col = len(indent)
			first = true
		}
		if !first {
			b.WriteString(" ")
			col++
		}
		b.WriteString(w)
		col += len(w)
		first = false
	}
	b.WriteString("\n")
	return b.String()
}

package waymarkcobra

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/sdk"
)

// command is sdk.Command; tests replace it to see the arguments.
var command = sdk.Command

// subcommands are the telemetry command's, as sdk.Command knows them, and
// which of its flags each takes.
var subcommands = []struct {
	name, short      string
	json, all, erase bool
}{
	{"status", "Show whether telemetry is on, why, and exactly what is sent", true, false, false},
	{"show", "Show the events last sent from this machine, and those pending", true, false, false},
	{"enable", "Send anonymous usage telemetry", false, true, false},
	{"disable", "Send nothing, and forget this machine", false, true, true},
	{"local", "Record events on this machine only, never send them", false, true, false},
	{"reset", "Start again as a new installation with a new id", false, false, false},
}

// exitCode is the error of a telemetry command that sdk.Command already
// explained to the user; it carries the status sdk.Command returned.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// telemetryCommand builds `telemetry` and its subcommands. Each runs
// sdk.Command, which records and sends nothing; the only writes are the
// choice the user asked for. Without a subcommand it is status.
func (t *Telemetry) telemetryCommand() *cobra.Command {
	product := t.cfg.Product
	run := func(sub string, jsonOut, all, erase *bool) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			args := []string{sub}
			if jsonOut != nil && *jsonOut {
				args = append(args, "--json")
			}
			if all != nil && *all {
				args = append(args, "--all")
			}
			if erase != nil && *erase {
				args = append(args, "--erase")
			}
			code := command(t.config(), args, cmd.OutOrStdout(), cmd.ErrOrStderr())
			if code == 0 {
				return nil
			}
			// sdk.Command has said what went wrong; cobra must not say
			// more. Set here, so cobra's own errors (bad arguments) still
			// show.
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			return exitCode(code)
		}
	}
	jsonFlag := func(c *cobra.Command) *bool {
		return c.Flags().Bool("json", false, "print as JSON")
	}
	tele := &cobra.Command{
		Use:   "telemetry",
		Short: "Show or change what " + product + " sends about its use",
		Long: "Show or change " + product + "'s anonymous usage telemetry.\n\n" +
			"Without a subcommand it shows the status. --" + FlagName + " turns telemetry off for one run;\n" +
			"the " + gate.EnvPrefix(product) + "_TELEMETRY and DO_NOT_TRACK environment variables turn it off everywhere.",
		Args: cobra.NoArgs,
	}
	tele.RunE = run("status", jsonFlag(tele), nil, nil)
	for _, s := range subcommands {
		sub := &cobra.Command{Use: s.name, Short: s.short, Args: cobra.NoArgs}
		var jsonOut, all, erase *bool
		if s.json {
			jsonOut = jsonFlag(sub)
		}
		if s.all {
			all = sub.Flags().Bool("all", false, "for every Waymark tool on this machine")
		}
		if s.erase {
			erase = sub.Flags().Bool("erase", false, "first ask the vendor to erase what this installation sent")
		}
		sub.RunE = run(s.name, jsonOut, all, erase)
		tele.AddCommand(sub)
	}
	return tele
}

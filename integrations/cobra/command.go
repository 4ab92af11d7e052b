package waymarkcobra

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/sdk"
)

// exitCode is the error of a telemetry command that sdk.Command already
// explained to the user; it carries the status sdk.Command returned.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// telemetryCommand builds `telemetry` and its subcommands. Each runs
// sdk.Command, which records and sends nothing; the only writes are the
// choice the user asked for.
func (t *Telemetry) telemetryCommand() *cobra.Command {
	product := t.cfg.Product
	var jsonOut bool
	run := func(sub string) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			args := []string{sub}
			if jsonOut {
				args = append(args, "--json")
			}
			code := sdk.Command(t.config(), args, cmd.OutOrStdout(), cmd.ErrOrStderr())
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
	tele := &cobra.Command{
		Use:   "telemetry",
		Short: "Show or change what " + product + " sends about its use",
		Long: "Show or change " + product + "'s anonymous usage telemetry.\n\n" +
			"Without a subcommand it shows the status. --" + FlagName + " turns telemetry off for one run;\n" +
			"the " + gate.EnvPrefix(product) + "_TELEMETRY and DO_NOT_TRACK environment variables turn it off everywhere.",
		Args: cobra.NoArgs,
		RunE: run("status"),
	}
	tele.Flags().BoolVar(&jsonOut, "json", false, "print the status as JSON")
	status := &cobra.Command{
		Use:   "status",
		Short: "Show whether telemetry is on, why, and exactly what is sent",
		Args:  cobra.NoArgs,
		RunE:  run("status"),
	}
	status.Flags().BoolVar(&jsonOut, "json", false, "print the status as JSON")
	tele.AddCommand(status,
		&cobra.Command{Use: "enable", Short: "Send anonymous usage telemetry", Args: cobra.NoArgs, RunE: run("enable")},
		&cobra.Command{Use: "disable", Short: "Send nothing, and delete events not yet sent", Args: cobra.NoArgs, RunE: run("disable")},
		&cobra.Command{Use: "local", Short: "Record events on this machine only, never send them", Args: cobra.NoArgs, RunE: run("local")},
		&cobra.Command{Use: "reset", Short: "Start again as a new installation with a new id", Args: cobra.NoArgs, RunE: run("reset")},
	)
	return tele
}

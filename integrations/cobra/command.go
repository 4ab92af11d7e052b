package waymarkcobra

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/telemetrytext"
	"github.com/waymarkhq/waymark/sdk"
)

// command is sdk.Command; tests replace it to see the arguments.
var command = sdk.Command

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
		return c.Flags().Bool("json", false, telemetrytext.JSONFlag)
	}
	tele := &cobra.Command{
		Use:   "telemetry",
		Short: telemetrytext.Summary(product),
		Long:  telemetrytext.Long(product, gate.EnvPrefix(product), "--"+FlagName),
		Args:  cobra.NoArgs,
	}
	tele.RunE = run("status", jsonFlag(tele), nil, nil)
	for _, s := range telemetrytext.Subcommands {
		sub := &cobra.Command{Use: s.Name, Short: s.Short, Long: s.Long, Args: cobra.NoArgs}
		var jsonOut, all, erase *bool
		if s.JSON {
			jsonOut = jsonFlag(sub)
		}
		if s.All {
			all = sub.Flags().Bool("all", false, telemetrytext.AllFlag)
		}
		if s.Erase {
			erase = sub.Flags().Bool("erase", false, telemetrytext.EraseFlag)
		}
		sub.RunE = run(s.Name, jsonOut, all, erase)
		tele.AddCommand(sub)
	}
	// cobra gives only the root a help command; "telemetry help" is what
	// sdk.Command and urfave/cli understand too.
	tele.AddCommand(&cobra.Command{
		Use:   "help",
		Short: "Show this help (also -h, --help)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Parent().Help() },
	})
	return tele
}

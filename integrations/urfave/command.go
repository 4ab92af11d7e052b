package waymarkurfave

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/sdk"
)

// telemetryCommand builds `telemetry` and its subcommands. Each runs
// sdk.Command, which records and sends nothing; the only writes are the
// choice the user asked for.
func (t *Telemetry) telemetryCommand() *cli.Command {
	product := t.cfg.Product
	run := func(sub string) cli.ActionFunc {
		return func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return cli.Exit(fmt.Sprintf("%s: unexpected argument %q", cmd.FullName(), cmd.Args().First()), 2)
			}
			args := []string{sub}
			if cmd.Bool("json") {
				args = append(args, "--json")
			}
			root := cmd.Root()
			if code := sdk.Command(t.config(cmd), args, root.Writer, root.ErrWriter); code != 0 {
				// sdk.Command has said what went wrong.
				return cli.Exit("", code)
			}
			return nil
		}
	}
	jsonFlag := func() cli.Flag {
		return &cli.BoolFlag{Name: "json", Usage: "print the status as JSON", Local: true}
	}
	return &cli.Command{
		Name:  "telemetry",
		Usage: "Show or change what " + product + " sends about its use",
		Description: "Show or change " + product + "'s anonymous usage telemetry.\n\n" +
			"Without a subcommand it shows the status. --" + FlagName + " turns telemetry off for one run;\n" +
			"the " + gate.EnvPrefix(product) + "_TELEMETRY and DO_NOT_TRACK environment variables turn it off everywhere.",
		Flags:  []cli.Flag{jsonFlag()},
		Action: run("status"),
		Commands: []*cli.Command{
			{Name: "status", Usage: "Show whether telemetry is on, why, and exactly what is sent", Flags: []cli.Flag{jsonFlag()}, Action: run("status")},
			{Name: "enable", Usage: "Send anonymous usage telemetry", Action: run("enable")},
			{Name: "disable", Usage: "Send nothing, and delete events not yet sent", Action: run("disable")},
			{Name: "local", Usage: "Record events on this machine only, never send them", Action: run("local")},
			{Name: "reset", Usage: "Start again as a new installation with a new id", Action: run("reset")},
		},
	}
}

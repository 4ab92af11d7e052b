package waymarkurfave

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/telemetrytext"
	"github.com/waymarkhq/waymark/sdk"
)

// command is sdk.Command; tests replace it to see the arguments.
var command = sdk.Command

// telemetryCommand builds `telemetry` and its subcommands. Each runs
// sdk.Command, which records and sends nothing; the only writes are the
// choice the user asked for. Without a subcommand it is status.
func (t *Telemetry) telemetryCommand() *cli.Command {
	product := t.cfg.Product
	run := func(sub string) cli.ActionFunc {
		return func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return cli.Exit(fmt.Sprintf("%s: unexpected argument %q", cmd.FullName(), cmd.Args().First()), 2)
			}
			args := []string{sub}
			for _, f := range []string{"json", "all", "erase"} {
				if hasFlag(cmd, f) && cmd.Bool(f) {
					args = append(args, "--"+f)
				}
			}
			root := cmd.Root()
			if code := command(t.config(cmd), args, root.Writer, root.ErrWriter); code != 0 {
				// sdk.Command has said what went wrong.
				return cli.Exit("", code)
			}
			return nil
		}
	}
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: telemetrytext.JSONFlag, Local: true}
	tele := &cli.Command{
		Name:        "telemetry",
		Usage:       telemetrytext.Summary(product),
		Description: telemetrytext.Long(product, gate.EnvPrefix(product), "--"+FlagName),
		Flags:       []cli.Flag{jsonFlag},
		Action:      run("status"),
	}
	for _, s := range telemetrytext.Subcommands {
		sub := &cli.Command{Name: s.Name, Usage: s.Short, Description: s.Long, Action: run(s.Name)}
		if s.JSON {
			sub.Flags = append(sub.Flags, &cli.BoolFlag{Name: "json", Usage: telemetrytext.JSONFlag, Local: true})
		}
		if s.All {
			sub.Flags = append(sub.Flags, &cli.BoolFlag{Name: "all", Usage: telemetrytext.AllFlag, Local: true})
		}
		if s.Erase {
			sub.Flags = append(sub.Flags, &cli.BoolFlag{Name: "erase", Usage: telemetrytext.EraseFlag, Local: true})
		}
		tele.Commands = append(tele.Commands, sub)
	}
	return tele
}

package waymarkurfave

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/sdk"
)

// command is sdk.Command; tests replace it to see the arguments.
var command = sdk.Command

// subcommands are the telemetry command's, as sdk.Command knows them, and
// which of its flags each takes.
var subcommands = []struct {
	name, usage      string
	json, all, erase bool
}{
	{"status", "Show whether telemetry is on, why, and exactly what is sent", true, false, false},
	{"show", "Show the events last sent from this machine, and those pending", true, false, false},
	{"enable", "Send anonymous usage telemetry", false, true, false},
	{"disable", "Send nothing, and forget this machine", false, true, true},
	{"local", "Record events on this machine only, never send them", false, true, false},
	{"reset", "Start again as a new installation with a new id", false, false, false},
}

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
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: "print as JSON", Local: true}
	tele := &cli.Command{
		Name:  "telemetry",
		Usage: "Show or change what " + product + " sends about its use",
		Description: "Show or change " + product + "'s anonymous usage telemetry.\n\n" +
			"Without a subcommand it shows the status. --" + FlagName + " turns telemetry off for one run;\n" +
			"the " + gate.EnvPrefix(product) + "_TELEMETRY and DO_NOT_TRACK environment variables turn it off everywhere.",
		Flags:  []cli.Flag{jsonFlag},
		Action: run("status"),
	}
	for _, s := range subcommands {
		sub := &cli.Command{Name: s.name, Usage: s.usage, Action: run(s.name)}
		if s.json {
			sub.Flags = append(sub.Flags, &cli.BoolFlag{Name: "json", Usage: "print as JSON", Local: true})
		}
		if s.all {
			sub.Flags = append(sub.Flags, &cli.BoolFlag{Name: "all", Usage: "for every Waymark tool on this machine", Local: true})
		}
		if s.erase {
			sub.Flags = append(sub.Flags, &cli.BoolFlag{Name: "erase", Usage: "first ask the vendor to erase what this installation sent", Local: true})
		}
		tele.Commands = append(tele.Commands, sub)
	}
	return tele
}

package waymarkurfave_test

import (
	"context"
	"fmt"
	"log"

	"github.com/urfave/cli/v3"

	waymarkurfave "github.com/waymarkhq/waymark/integrations/urfave"
	"github.com/waymarkhq/waymark/sdk"
)

// A urfave/cli program's main: instrument the root, run, and handle the
// error as before. Telemetry starts before the Action of a command that is
// real use, and is shut down before Run returns, whatever happened.
// (Disabled here so the example sends nothing.)
func Example() {
	root := &cli.Command{
		Name: "acmecli",
		Commands: []*cli.Command{{
			Name:  "hello",
			Usage: "Say hello",
			Action: func(ctx context.Context, cmd *cli.Command) error {
				sdk.Milestone("first_run") // once per installation
				fmt.Println("Hello from acmecli!")
				return nil
			},
		}},
	}

	t := waymarkurfave.Instrument(root, sdk.Config{
		Product:    "acmecli",
		Version:    "1.4.2",
		Endpoint:   "https://telemetry.acme.example",
		Milestones: []string{"first_run"},
		NoticeURL:  "https://acme.example/telemetry",
		Disabled:   true,
	})
	// A real main passes os.Args.
	if err := t.Run(context.Background(), []string{"acmecli", "hello"}); err != nil {
		log.Fatal(err)
	}
	// Output: Hello from acmecli!
}

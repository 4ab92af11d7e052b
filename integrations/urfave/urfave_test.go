package waymarkurfave

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"

	"github.com/waymarkhq/waymark/sdk"
)

// env gives the in-process runs a clean environment: not CI, no opt-out,
// a HOME of their own. The state dir is in cfg.
func env(t *testing.T) sdk.Config {
	t.Setenv("CI", "false")
	t.Setenv("DO_NOT_TRACK", "")
	t.Setenv("ACMECLI_TELEMETRY", "")
	t.Setenv("ACMECLI_TELEMETRY_ENDPOINT", "")
	t.Setenv("HOME", t.TempDir())
	return sdk.Config{
		Product:    "acmecli",
		Version:    "1.4.2",
		Endpoint:   "http://127.0.0.1:9",
		Milestones: []string{"first_run"},
		StateDir:   filepath.Join(t.TempDir(), "state"),
	}
}

type tree struct {
	root        *cli.Command
	out, errOut bytes.Buffer
	before      int
	tel         *Telemetry
	exited      []int
}

func newTree(t *testing.T) *tree {
	tr := &tree{}
	tr.root = &cli.Command{
		Name:                  "acmecli",
		EnableShellCompletion: true,
		Before: func(ctx context.Context, cmd *cli.Command) (context.Context, error) {
			tr.before++
			return ctx, nil
		},
		Commands: []*cli.Command{
			{Name: "hello", Action: func(context.Context, *cli.Command) error { sdk.Milestone("first_run"); return nil }},
			{Name: "group", Commands: []*cli.Command{
				{Name: "leaf", Action: func(context.Context, *cli.Command) error { sdk.Milestone("first_run"); return nil }},
			}},
			{Name: "fail", Action: func(context.Context, *cli.Command) error { sdk.Milestone("first_run"); return cli.Exit("failed", 3) }},
			{Name: "boom", Action: func(context.Context, *cli.Command) error { panic("boom") }},
		},
		Writer:    &tr.out,
		ErrWriter: &tr.errOut,
	}
	old := cli.OsExiter
	cli.OsExiter = func(code int) { tr.exited = append(tr.exited, code) }
	t.Cleanup(func() { cli.OsExiter = old })
	return tr
}

func (tr *tree) run(cfg sdk.Config, args ...string) error {
	tr.tel = Instrument(tr.root, cfg)
	return tr.tel.Run(context.Background(), append([]string{"acmecli"}, args...))
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestStartsBeforeTheActionAndShutsDown(t *testing.T) {
	for _, args := range [][]string{{"hello"}, {"group", "leaf"}} {
		cfg := env(t)
		tr := newTree(t)
		if err := tr.run(cfg, args...); err != nil {
			t.Fatal(err)
		}
		if tr.before != 1 || tr.tel.Client() == nil || len(entries(t, cfg.StateDir)) == 0 {
			t.Fatalf("%q: Before ran %d times, started %v, recorded %v", args, tr.before, tr.tel.Client() != nil, entries(t, cfg.StateDir))
		}
		if err := tr.tel.Client().Shutdown(context.Background()); !errors.Is(err, sdk.ErrShutdown) {
			t.Fatalf("Run did not shut the client down: %v", err)
		}
	}
}

func TestRunsThatAreNotUseStartNothing(t *testing.T) {
	for _, args := range [][]string{
		{}, {"help"}, {"help", "hello"}, {"--help"}, {"hello", "--help"}, {"completion", "bash"},
		{"--generate-shell-completion"}, {"hello", "--generate-shell-completion"}, {"group"},
		{"telemetry"}, {"telemetry", "status", "--json"}, {"--no-telemetry", "telemetry", "status"},
		{"hello", "--nosuchflag"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cfg := env(t)
			tr := newTree(t)
			tr.run(cfg, args...)
			if tr.tel.Client() != nil {
				t.Errorf("%q started telemetry", args)
			}
			if es := entries(t, cfg.StateDir); len(es) != 0 {
				t.Errorf("%q wrote %v", args, es)
			}
		})
	}
}

func TestNoTelemetryFlag(t *testing.T) {
	for _, args := range [][]string{{"--no-telemetry", "hello"}, {"--no-telemetry=true", "hello"}, {"hello", "--no-telemetry"}} {
		cfg := env(t)
		tr := newTree(t)
		if err := tr.run(cfg, args...); err != nil {
			t.Fatal(err)
		}
		if tr.tel.Client() == nil {
			t.Fatalf("%q: hello is real use and must start (a disabled) telemetry", args)
		}
		if es := entries(t, cfg.StateDir); len(es) != 0 {
			t.Errorf("%q recorded %v", args, es)
		}
	}
}

func status(t *testing.T, cfg sdk.Config, args ...string) sdk.Status {
	t.Helper()
	tr := newTree(t)
	if err := tr.run(cfg, args...); err != nil {
		t.Fatalf("%q: %v\n%s", args, err, tr.errOut.String())
	}
	var st sdk.Status
	if err := json.Unmarshal(tr.out.Bytes(), &st); err != nil {
		t.Fatalf("%q printed no JSON: %v\n%s", args, err, tr.out.String())
	}
	return st
}

func TestTelemetryCommand(t *testing.T) {
	cfg := env(t)
	if st := status(t, cfg, "telemetry", "status", "--json"); st.Mode != "on" || st.Rule != "default" {
		t.Errorf("status --json: %s (%s)", st.Mode, st.Rule)
	}
	if st := status(t, cfg, "telemetry", "--json"); st.Mode != "on" {
		t.Errorf("telemetry --json: %s", st.Mode)
	}
	for _, args := range [][]string{{"--no-telemetry", "telemetry", "status", "--json"}, {"telemetry", "status", "--json", "--no-telemetry"}} {
		st := status(t, cfg, args...)
		if st.Mode != "off" || st.Rule != "run_flag" || !strings.Contains(st.Reason, "--no-telemetry") {
			t.Errorf("%q: %s, %s, %q", args, st.Mode, st.Rule, st.Reason)
		}
	}
	tr := newTree(t)
	if err := tr.run(cfg, "telemetry", "disable"); err != nil || !strings.Contains(tr.out.String(), "disabled") {
		t.Fatalf("telemetry disable: %v\n%s%s", err, tr.out.String(), tr.errOut.String())
	}
	if st := status(t, cfg, "telemetry", "status", "--json"); st.Mode != "off" || st.Rule != "saved" {
		t.Errorf("after disable: %s (%s)", st.Mode, st.Rule)
	}
	tr = newTree(t)
	tr.run(cfg, "telemetry", "status", "extra")
	if len(tr.exited) != 1 || tr.exited[0] != 2 {
		t.Errorf("telemetry status extra exited %v, want [2]", tr.exited)
	}
}

// An error with an exit code makes urfave/cli exit inside Run: telemetry
// must be shut down before that.
func TestShutsDownBeforeAnExitCoderExits(t *testing.T) {
	cfg := env(t)
	tr := newTree(t)
	var shutAtExit error
	cli.OsExiter = func(code int) {
		tr.exited = append(tr.exited, code)
		shutAtExit = tr.tel.Client().Shutdown(context.Background())
	}
	tr.run(cfg, "fail")
	if len(tr.exited) != 1 || tr.exited[0] != 3 {
		t.Fatalf("fail exited %v, want [3]", tr.exited)
	}
	if !errors.Is(shutAtExit, sdk.ErrShutdown) {
		t.Fatalf("telemetry was not shut down when urfave/cli exited: %v", shutAtExit)
	}
}

func TestRunRepanicsAfterShutdown(t *testing.T) {
	cfg := env(t)
	tr := newTree(t)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the action's panic", r)
			}
		}()
		tr.run(cfg, "boom")
		t.Fatal("Run returned after a panic")
	}()
	if err := tr.tel.Client().Shutdown(context.Background()); !errors.Is(err, sdk.ErrShutdown) {
		t.Fatalf("the panic path did not shut the client down: %v", err)
	}
}

// Every path of the telemetry tree reaches sdk.Command with the arguments
// it documents, the run's --no-telemetry applied to the Config.
func TestTelemetryTreeArguments(t *testing.T) {
	cfg := env(t)
	var got []string
	var gotCfg sdk.Config
	defer func(old func(sdk.Config, []string, io.Writer, io.Writer) int) { command = old }(command)
	command = func(c sdk.Config, args []string, _, _ io.Writer) int {
		got, gotCfg = args, c
		return 0
	}
	for _, tc := range []struct {
		args, want []string
		disabled   bool
	}{
		{[]string{"telemetry"}, []string{"status"}, false},
		{[]string{"telemetry", "--json"}, []string{"status", "--json"}, false},
		{[]string{"telemetry", "status", "--json"}, []string{"status", "--json"}, false},
		{[]string{"--no-telemetry", "telemetry", "status"}, []string{"status"}, true},
		{[]string{"telemetry", "status", "--no-telemetry"}, []string{"status"}, true},
		{[]string{"telemetry", "show", "--json"}, []string{"show", "--json"}, false},
		{[]string{"telemetry", "enable", "--all"}, []string{"enable", "--all"}, false},
		{[]string{"telemetry", "disable"}, []string{"disable"}, false},
		{[]string{"telemetry", "disable", "--all"}, []string{"disable", "--all"}, false},
		{[]string{"telemetry", "disable", "--erase"}, []string{"disable", "--erase"}, false},
		{[]string{"telemetry", "local", "--all"}, []string{"local", "--all"}, false},
		{[]string{"telemetry", "reset"}, []string{"reset"}, false},
	} {
		got = nil
		tr := newTree(t)
		if err := tr.run(cfg, tc.args...); err != nil {
			t.Fatalf("%q: %v\n%s", tc.args, err, tr.errOut.String())
		}
		if !slices.Equal(got, tc.want) || gotCfg.Disabled != tc.disabled || tc.disabled && gotCfg.DisabledBy != "--no-telemetry" {
			t.Errorf("%q called sdk.Command with %q (Disabled %v by %q), want %q (Disabled %v)", tc.args, got, gotCfg.Disabled, gotCfg.DisabledBy, tc.want, tc.disabled)
		}
	}
	// Flags a subcommand does not take are urfave/cli's errors.
	for _, args := range [][]string{{"telemetry", "reset", "--all"}, {"telemetry", "enable", "--json"}} {
		got = nil
		tr := newTree(t)
		if err := tr.run(cfg, args...); err == nil || got != nil {
			t.Errorf("%q: error %v, sdk.Command called with %q\n%s", args, err, got, tr.errOut.String())
		}
	}
}

// Version in every form writes nothing: urfave/cli's own --version/-v, a
// `version` command (as gqlgen has), and a program's own --version/-V flag
// that its root Action prints from. Real use of the same tree still counts.
func TestVersionInEveryFormWritesNothing(t *testing.T) {
	newVersionTree := func(own bool) (*cli.Command, *bytes.Buffer) {
		var out bytes.Buffer
		root := &cli.Command{
			Name:      "acmecli",
			Writer:    &out,
			ErrWriter: &out,
			Action: func(_ context.Context, cmd *cli.Command) error {
				if own && cmd.Bool("version") {
					fmt.Fprintln(cmd.Root().Writer, "acmecli 1.4.2")
					return nil
				}
				sdk.Milestone("first_run")
				return nil
			},
			Commands: []*cli.Command{
				{Name: "version", Action: func(_ context.Context, cmd *cli.Command) error {
					fmt.Fprintln(cmd.Root().Writer, "1.4.2")
					return nil
				}},
				{Name: "generate", Action: func(context.Context, *cli.Command) error { sdk.Milestone("first_run"); return nil }},
			},
		}
		if own {
			root.HideVersion = true
			root.Flags = []cli.Flag{&cli.BoolFlag{Name: "version", Aliases: []string{"V"}}}
		} else {
			root.Version = "1.4.2"
		}
		return root, &out
	}
	for _, c := range []struct {
		own  bool
		args []string
		use  bool
	}{
		{false, []string{"--version"}, false}, {false, []string{"-v"}, false}, {false, []string{"version"}, false},
		{true, []string{"--version"}, false}, {true, []string{"-V"}, false}, {true, []string{"version"}, false},
		{false, []string{"generate"}, true}, {true, []string{}, true},
	} {
		t.Run(fmt.Sprintf("own=%v %s", c.own, strings.Join(c.args, " ")), func(t *testing.T) {
			cfg := env(t)
			root, out := newVersionTree(c.own)
			tel := Instrument(root, cfg)
			if err := tel.Run(context.Background(), append([]string{"acmecli"}, c.args...)); err != nil {
				t.Fatal(err)
			}
			es := entries(t, cfg.StateDir)
			if !c.use && (tel.Client() != nil || len(es) != 0) {
				t.Errorf("%q is not use: started %v, wrote %v", c.args, tel.Client() != nil, es)
			}
			if !c.use && out.Len() == 0 {
				t.Errorf("%q printed nothing: the program's own answer is lost", c.args)
			}
			if c.use && len(es) == 0 {
				t.Errorf("%q is use but recorded nothing", c.args)
			}
		})
	}
}

package waymarkcobra

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/sdk"
)

// env gives the in-process runs a clean environment: not CI, no opt-out,
// a HOME of their own. The state dir is in cfg.
func env(t *testing.T) sdk.Config {
	t.Setenv("CI", "false")
	t.Setenv("DO_NOT_TRACK", "")
	t.Setenv("ACMECTL_TELEMETRY", "")
	t.Setenv("ACMECTL_TELEMETRY_ENDPOINT", "")
	t.Setenv("HOME", t.TempDir())
	return sdk.Config{
		Product:    "acmectl",
		Version:    "1.4.2",
		Endpoint:   "http://127.0.0.1:9",
		Milestones: []string{"first_run"},
		StateDir:   filepath.Join(t.TempDir(), "state"),
	}
}

// tree is a root with a program hook, a hello command that reaches
// first_run, and a sub tree whose command has a hook of its own.
type tree struct {
	root                *cobra.Command
	out, errOut         bytes.Buffer
	rootHook, groupHook int
	startedInHook       bool
	tel                 *Telemetry
}

func newTree() *tree {
	tr := &tree{}
	tr.root = &cobra.Command{
		Use: "acmectl",
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			tr.rootHook++
			tr.startedInHook = tr.tel.Client() != nil
			return nil
		},
	}
	hello := &cobra.Command{Use: "hello", Run: func(*cobra.Command, []string) { sdk.Milestone("first_run") }}
	group := &cobra.Command{Use: "group", PersistentPreRun: func(*cobra.Command, []string) { tr.groupHook++ }}
	group.AddCommand(&cobra.Command{Use: "leaf", Run: func(*cobra.Command, []string) { sdk.Milestone("first_run") }})
	boom := &cobra.Command{Use: "boom", Run: func(*cobra.Command, []string) { panic("boom") }}
	tr.root.AddCommand(hello, group, boom)
	tr.root.SetOut(&tr.out)
	tr.root.SetErr(&tr.errOut)
	return tr
}

func (tr *tree) run(cfg sdk.Config, args ...string) error {
	tr.tel = Instrument(tr.root, cfg)
	tr.root.SetArgs(args)
	return tr.tel.Execute()
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

func TestStartsAfterFlagsBeforeTheProgramsHook(t *testing.T) {
	cfg := env(t)
	tr := newTree()
	if err := tr.run(cfg, "hello"); err != nil {
		t.Fatal(err)
	}
	if tr.rootHook != 1 || !tr.startedInHook {
		t.Fatalf("root hook ran %d times, telemetry started before it: %v; want once, true", tr.rootHook, tr.startedInHook)
	}
	if len(entries(t, cfg.StateDir)) == 0 {
		t.Fatal("hello reached first_run but nothing was recorded")
	}
	if err := tr.tel.Client().Shutdown(context.Background()); !errors.Is(err, sdk.ErrShutdown) {
		t.Fatalf("Execute did not shut the client down: second Shutdown gave %v", err)
	}
}

// cobra runs only the nearest persistent hook: a subcommand's own hook
// must start telemetry too, and still run.
func TestStartsInASubcommandsOwnHook(t *testing.T) {
	cfg := env(t)
	tr := newTree()
	if err := tr.run(cfg, "group", "leaf"); err != nil {
		t.Fatal(err)
	}
	if tr.groupHook != 1 || tr.rootHook != 0 {
		t.Fatalf("group hook ran %d times, root hook %d; want 1 and 0 (cobra's nearest hook)", tr.groupHook, tr.rootHook)
	}
	if tr.tel.Client() == nil || len(entries(t, cfg.StateDir)) == 0 {
		t.Fatal("group leaf did not start telemetry or record first_run")
	}
}

func TestRunsThatAreNotUseStartNothing(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"help", "hello"}, {"--help"}, {"hello", "--help"}, {"completion", "bash"},
		{cobra.ShellCompRequestCmd, ""}, {cobra.ShellCompNoDescRequestCmd, "he"},
		{"telemetry"}, {"telemetry", "status", "--json"}, {"--no-telemetry", "telemetry", "status"},
		{"nosuchcommand"}, {"hello", "--nosuchflag"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cfg := env(t)
			tr := newTree()
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
		tr := newTree()
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
	// --no-telemetry=false leaves telemetry on.
	cfg := env(t)
	if err := newTree().run(cfg, "--no-telemetry=false", "hello"); err != nil {
		t.Fatal(err)
	}
	if len(entries(t, cfg.StateDir)) == 0 {
		t.Error("--no-telemetry=false turned telemetry off")
	}
}

func status(t *testing.T, cfg sdk.Config, args ...string) sdk.Status {
	t.Helper()
	tr := newTree()
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
	// A persistent flag of the program (-v style) and ours before the
	// subcommand both parse; ours is named.
	st := status(t, cfg, "--no-telemetry", "telemetry", "status", "--json")
	if st.Mode != "off" || st.Rule != "run_flag" || !strings.Contains(st.Reason, "--no-telemetry") {
		t.Errorf("--no-telemetry telemetry status --json: %s, %s, %q", st.Mode, st.Rule, st.Reason)
	}

	tr := newTree()
	if err := tr.run(cfg, "telemetry", "disable"); err != nil || !strings.Contains(tr.out.String(), "disabled") {
		t.Fatalf("telemetry disable: %v\n%s%s", err, tr.out.String(), tr.errOut.String())
	}
	if st := status(t, cfg, "telemetry", "status", "--json"); st.Mode != "off" || st.Rule != "saved" {
		t.Errorf("after disable: %s (%s)", st.Mode, st.Rule)
	}

	// cobra's own errors still show; sdk.Command's failures carry its code
	// and show only sdk.Command's message.
	tr = newTree()
	if err := tr.run(cfg, "telemetry", "status", "extra"); err == nil || !strings.Contains(tr.errOut.String(), "unknown command") {
		t.Errorf("telemetry status extra: %v\n%s", err, tr.errOut.String())
	}
	bad := cfg
	bad.StateDir = filepath.Join(t.TempDir(), "file")
	os.WriteFile(bad.StateDir, nil, 0o600)
	tr = newTree()
	err := tr.run(bad, "telemetry", "enable")
	var code exitCode
	if !errors.As(err, &code) || code != 1 || strings.Contains(tr.errOut.String(), "Error:") || !strings.Contains(tr.errOut.String(), "telemetry enable") {
		t.Errorf("telemetry enable on an unusable state dir: %v\n%s", err, tr.errOut.String())
	}
}

func TestExecuteRepanicsAfterShutdown(t *testing.T) {
	cfg := env(t)
	tr := newTree()
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the command's panic", r)
			}
		}()
		tr.run(cfg, "boom")
		t.Fatal("Execute returned after a panic")
	}()
	if err := tr.tel.Client().Shutdown(context.Background()); !errors.Is(err, sdk.ErrShutdown) {
		t.Fatalf("the panic path did not shut the client down: %v", err)
	}
}

func TestKeepsTheProgramsOwnFlagAndCommand(t *testing.T) {
	cfg := env(t)
	root := &cobra.Command{Use: "acmectl"}
	var own bool
	root.PersistentFlags().BoolVar(&own, FlagName, false, "the program's own")
	mine := &cobra.Command{Use: "telemetry", Run: func(*cobra.Command, []string) {}}
	root.AddCommand(mine, &cobra.Command{Use: "hello", Run: func(*cobra.Command, []string) { sdk.Milestone("first_run") }})
	tel := Instrument(root, cfg)
	if found, _, err := root.Find([]string{"telemetry"}); tel.tele != nil || err != nil || found != mine {
		t.Fatalf("Instrument replaced the program's telemetry command")
	}
	root.SetArgs([]string{"--" + FlagName, "hello"})
	if err := tel.Execute(); err != nil {
		t.Fatal(err)
	}
	if !own || len(entries(t, cfg.StateDir)) != 0 {
		t.Fatalf("the program's --no-telemetry (set %v) did not turn telemetry off: %v", own, entries(t, cfg.StateDir))
	}
}

// A hook the program sets after Instrument is chained by Execute.
func TestChainsAHookSetAfterInstrument(t *testing.T) {
	cfg := env(t)
	root := &cobra.Command{Use: "acmectl"}
	root.AddCommand(&cobra.Command{Use: "hello", Run: func(*cobra.Command, []string) { sdk.Milestone("first_run") }})
	tel := Instrument(root, cfg)
	ran := false
	root.PersistentPreRun = func(*cobra.Command, []string) { ran = true }
	root.SetArgs([]string{"hello"})
	if err := tel.Execute(); err != nil {
		t.Fatal(err)
	}
	if !ran || tel.Client() == nil || len(entries(t, cfg.StateDir)) == 0 {
		t.Fatalf("hook ran %v, telemetry started %v", ran, tel.Client() != nil)
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
		{[]string{"-v", "--no-telemetry", "telemetry", "status"}, []string{"status"}, true},
		{[]string{"telemetry", "show", "--json"}, []string{"show", "--json"}, false},
		{[]string{"telemetry", "enable", "--all"}, []string{"enable", "--all"}, false},
		{[]string{"telemetry", "disable"}, []string{"disable"}, false},
		{[]string{"telemetry", "disable", "--all"}, []string{"disable", "--all"}, false},
		{[]string{"telemetry", "disable", "--erase"}, []string{"disable", "--erase"}, false},
		{[]string{"telemetry", "local", "--all"}, []string{"local", "--all"}, false},
		{[]string{"telemetry", "reset"}, []string{"reset"}, false},
	} {
		got = nil
		tr := newTree()
		tr.root.PersistentFlags().BoolP("verbose", "v", false, "a flag of the program's own")
		if err := tr.run(cfg, tc.args...); err != nil {
			t.Fatalf("%q: %v\n%s", tc.args, err, tr.errOut.String())
		}
		if !slices.Equal(got, tc.want) || gotCfg.Disabled != tc.disabled || tc.disabled && gotCfg.DisabledBy != "--no-telemetry" {
			t.Errorf("%q called sdk.Command with %q (Disabled %v by %q), want %q (Disabled %v)", tc.args, got, gotCfg.Disabled, gotCfg.DisabledBy, tc.want, tc.disabled)
		}
	}
	// Flags a subcommand does not take are cobra's errors, not sdk.Command's.
	for _, args := range [][]string{{"telemetry", "reset", "--all"}, {"telemetry", "enable", "--json"}} {
		got = nil
		tr := newTree()
		if err := tr.run(cfg, args...); err == nil || got != nil || !strings.Contains(tr.errOut.String(), "unknown flag") {
			t.Errorf("%q: error %v, sdk.Command called with %q\n%s", args, err, got, tr.errOut.String())
		}
	}
}

// defaultCommandCLI is a tree built the way yq's main builds its own: the
// root prints the version from its own --version/-V flag in RunE, a
// `version` command exists, and main sends any arguments the tree does not
// know to a default `eval` command after looking them up with Find. It is
// wired exactly as the package doc says: Instrument right after the tree is
// built, then the program's own argument handling, then Execute.
func defaultCommandCLI(t *testing.T, cfg sdk.Config, args ...string) (*Telemetry, string) {
	var version bool
	var out bytes.Buffer
	root := &cobra.Command{
		Use: "yqlike",
		RunE: func(cmd *cobra.Command, args []string) error {
			if version {
				cmd.Print("yqlike version 4.54.3\n")
				return nil
			}
			sdk.Milestone("first_run")
			return nil
		},
	}
	root.Flags().BoolVarP(&version, "version", "V", false, "print the version")
	root.PersistentFlags().BoolP("null-input", "n", false, "use null as input")
	root.AddCommand(
		&cobra.Command{Use: "eval", Run: func(*cobra.Command, []string) { sdk.Milestone("first_run") }},
		&cobra.Command{Use: "version", Run: func(cmd *cobra.Command, _ []string) { cmd.Print("4.54.3\n") }},
	)
	root.SetOut(&out)
	root.SetErr(&out)

	tel := Instrument(root, cfg)
	if _, _, err := root.Find(args); err != nil && (len(args) == 0 || args[0] != cobra.ShellCompRequestCmd) {
		args = append([]string{"eval"}, args...)
	}
	root.SetArgs(args)
	tel.Execute()
	return tel, out.String()
}

// Version and help in every form write nothing, even in a program that
// rewrites the arguments it does not know and prints its version itself;
// real use still counts.
func TestVersionAndHelpOfADefaultCommandCLIWriteNothing(t *testing.T) {
	for _, args := range [][]string{
		{"--version"}, {"-V"}, {"version"}, {"help"}, {"--help"}, {"-h"}, {"help", "eval"},
		{"completion", "bash"}, {"eval", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cfg := env(t)
			tel, out := defaultCommandCLI(t, cfg, args...)
			if tel.Client() != nil {
				t.Errorf("%q started telemetry", args)
			}
			if es := entries(t, cfg.StateDir); len(es) != 0 {
				t.Errorf("%q wrote %v", args, es)
			}
			if out == "" {
				t.Errorf("%q printed nothing: the program's own answer is lost", args)
			}
		})
	}
	for _, args := range [][]string{{"-n", ".a = 1"}, {".a"}, {"eval", ".a"}} {
		t.Run("use "+strings.Join(args, " "), func(t *testing.T) {
			cfg := env(t)
			if tel, _ := defaultCommandCLI(t, cfg, args...); tel.Client() == nil {
				t.Fatalf("%q is use but started nothing", args)
			}
			if len(entries(t, cfg.StateDir)) == 0 {
				t.Errorf("%q is use but recorded nothing", args)
			}
		})
	}
}

// A path the integration cannot know is not use calls sdk.SkipRun: the run
// then counts for nothing.
func TestPackageSkipRunCountsNothing(t *testing.T) {
	for _, skip := range []bool{true, false} {
		cfg := env(t)
		root := &cobra.Command{Use: "acmectl", Run: func(*cobra.Command, []string) {
			if skip {
				sdk.SkipRun()
			}
		}}
		root.AddCommand(&cobra.Command{Use: "hello", Run: func(*cobra.Command, []string) {}})
		root.SetArgs([]string{})
		tel := Instrument(root, cfg)
		if err := tel.Execute(); err != nil {
			t.Fatal(err)
		}
		if tel.Client() == nil {
			t.Fatal("the root is use: telemetry should have started")
		}
		es := entries(t, cfg.StateDir)
		if skip && len(es) != 0 {
			t.Errorf("a skipped run wrote %v", es)
		}
		if !skip && len(es) == 0 {
			t.Errorf("a run that is use wrote nothing: the skipped case proves nothing")
		}
	}
}

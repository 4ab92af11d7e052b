// Command acme is Waymark's example CLI: how a vendor instruments a
// command-line tool with a plain main: product "acme", env prefix ACME,
// milestones first_run and first_deploy.
//
//	acme hello                 reaches first_run
//	acme deploy                reaches first_deploy
//	acme crash [TEXT]          panics inside ReportPanics (with TEXT, if given)
//	acme telemetry status|show|enable|disable|local|reset|help [--json] [--all]
//	acme --version
package main

import (
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/sdk"
)

// version is this build's version; override with -ldflags "-X main.version=…".
var version = "1.4.2"

// noticeVersion is the version of what acme's telemetry means; a vendor
// bumps it (here with -ldflags "-X main.noticeVersion=…") when milestones
// change in meaning, and every user sees the first-run notice again.
var noticeVersion = ""

func config() sdk.Config {
	return sdk.Config{
		Product: "acme",
		Version: version,
		// ACME_TELEMETRY_ENDPOINT overrides this, and ACME_TELEMETRY_UPDATE_URL
		// sets the update manifest; Waymark reads both itself.
		Endpoint:   "http://127.0.0.1:4318",
		Milestones: []string{"first_run", "first_deploy"},
		NoticeURL:  "https://acme.example/telemetry",
		// Bumped when what the milestones mean changes.
		NoticeVersion: noticeVersion,
	}
}

func main() {
	args := os.Args[1:]
	// The telemetry command records and sends nothing itself.
	if len(args) > 0 && args[0] == "telemetry" {
		os.Exit(sdk.Command(config(), args[1:], os.Stdout, os.Stderr))
	}
	t, err := sdk.Start(config())
	if err != nil {
		log.Print(err)
	}
	// Exit shuts down (the uploader takes what this run queued), then exits.
	t.Exit(run(t, args))
}

func run(t *sdk.Client, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: acme hello|deploy|crash [TEXT]|telemetry|--version")
		return 2
	}
	switch args[0] {
	case "--version", "version":
		fmt.Printf("acme %s\n", version)
	case "hello":
		sdk.Milestone("first_run")
		fmt.Println("Hello from acme!")
	case "deploy":
		// A long deploy, for tests: "--wait-file F" waits until F exists.
		if len(args) == 3 && args[1] == "--wait-file" {
			waitFor(args[2])
		}
		sdk.Milestone("first_deploy")
		fmt.Println("Deployed.")
	case "crash":
		crash(t, args[1:])
	default:
		fmt.Fprintf(os.Stderr, "acme: unknown command %q\n", args[0])
		return 2
	}
	return 0
}

// waitFor waits until path exists, at most a minute.
func waitFor(path string) {
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
}

// crash fails the way a real bug would. ReportPanics asks (on a terminal)
// whether to send a scrubbed report, then re-panics, so acme still exits 2.
// Given text, it panics with that text instead, as a program that puts what
// it was handling into its panic.
func crash(t *sdk.Client, text []string) {
	defer t.ReportPanics()
	if len(text) > 0 {
		panic(strings.Join(text, " "))
	}
	var m map[string]int
	//lint:ignore SA5000 the crash is the point of this command
	m["boom"]++ // assignment to entry in nil map
}

package store

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
)

// Environment variables that turn a run of the test binary into a child of
// TestExactlyOnceAcrossProcesses.
const (
	childEnv   = "WAYMARK_MILESTONES_TEST_CHILD" // the state dir
	childLog   = "WAYMARK_MILESTONES_TEST_LOG"   // the shared "spool" emit appends to
	childStart = "WAYMARK_MILESTONES_TEST_GO"    // children wait for this file to exist
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		if err := runChild(dir, os.Getenv(childLog), os.Getenv(childStart)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild is one run of a host program: it reads its device id and records
// first_run, emitting by appending a line to the shared log. It prints
// "<device id> <recorded>".
func runChild(dir, log, start string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(start); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("start signal never came")
		}
		time.Sleep(time.Millisecond)
	}
	s := New(statedir.New(dir), nil)
	// This test is about exclusion, not the timeout (TestLockBusy covers
	// that): on a loaded machine a peer can be descheduled while holding the
	// lock for more than the production second, and giving up is correct
	// there but would make this test flaky.
	s.lockWait = 30 * time.Second
	id, _, err := s.DeviceID()
	if err != nil {
		return err
	}
	rec, err := s.Record("first_run", func() error {
		f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(f, "first_run %s %d\n", id, os.Getpid()); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	if err != nil {
		return err
	}
	fmt.Printf("%s %v\n", id, rec)
	return nil
}

func TestExactlyOnceAcrossProcesses(t *testing.T) {
	const procs = 20
	for round := 0; round < 3; round++ {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "state")
			log := filepath.Join(root, "spool.log")
			start := filepath.Join(root, "go")
			cmds := make([]*exec.Cmd, procs)
			outs := make([]*strings.Builder, procs)
			for i := range cmds {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), childEnv+"="+dir, childLog+"="+log, childStart+"="+start)
				outs[i] = new(strings.Builder)
				cmd.Stdout = outs[i]
				cmd.Stderr = outs[i]
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				cmds[i] = cmd
			}
			// Release all children at once so they race for the state.
			writeFile(t, start, nil)
			ids := make(map[string]int)
			recorded := 0
			for i, cmd := range cmds {
				if err := cmd.Wait(); err != nil {
					t.Fatalf("child %d: %v\n%s", i, err, outs[i])
				}
				var id string
				var rec bool
				if _, err := fmt.Sscanf(outs[i].String(), "%s %t", &id, &rec); err != nil {
					t.Fatalf("child %d printed %q: %v", i, outs[i], err)
				}
				ids[id]++
				if rec {
					recorded++
				}
			}
			if len(ids) != 1 {
				t.Fatalf("children saw %d device ids: %v", len(ids), ids)
			}
			var id string
			for id = range ids {
			}
			if recorded != 1 {
				t.Fatalf("%d children report recording first_run, want 1", recorded)
			}
			f, err := os.Open(log)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var lines []string
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "first_run "+id+" ") {
				t.Fatalf("emitted %d times: %q", len(lines), lines)
			}
			var file struct {
				InstallationID string            `json:"installation_id"`
				Milestones     map[string]string `json:"milestones"`
			}
			if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "milestones.json"))), &file); err != nil {
				t.Fatal(err)
			}
			if file.InstallationID != id || len(file.Milestones) != 1 || file.Milestones["first_run"] == "" {
				t.Fatalf("milestones.json = %+v, want first_run for %s", file, id)
			}
			if got := strings.TrimSpace(readFile(t, filepath.Join(dir, "device_id"))); got != id {
				t.Fatalf("device_id = %q, children saw %q", got, id)
			}
		})
	}
}

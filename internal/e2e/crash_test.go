package e2e

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A first run killed at any point loses nothing and counts nothing
// twice. Each install's first `acme hello` is killed (SIGKILL) after a random
// delay spread over a first run's whole life, from before main to after
// Shutdown; one more run follows. Then, per install: the first_run milestone
// arrives with exactly one distinct event.id (sent at most twice: a kill
// between queuing it and recording it makes the next run queue it again,
// with the same id), at least one usage ping arrives, every event names the
// installation id on disk, and nothing stays pending.
func TestFirstRunKilledAtAnyPointCountsOnce(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	// How long a first run lives here, to spread the kill points over it:
	// the quickest of three, since other tests may slow any one of them.
	var probes []*Install
	life := time.Hour
	for range 3 {
		p := newInstall(t, col.URL)
		life = min(life, p.MustRun(nil, "hello").Elapsed)
		probes = append(probes, p)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("a first run takes %v; kill delays drawn with seed %d", life, seed)
	const n = 24
	var installs []*Install
	var killed int
	for i := range n {
		in := newInstall(t, col.URL)
		// An even spread over one life, each point moved at random within
		// its slot.
		slot := life / n
		delay := slot*time.Duration(i) + time.Duration(rng.Int64N(int64(slot)+1))
		cmd := in.Cmd(acmeBin, nil, "hello")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		if err := cmd.Wait(); err != nil {
			killed++
		} else {
			// The run ended before its kill: runs are quicker now than
			// the estimate, so spread the next points over less.
			life = life * 4 / 5
		}
		in.MustRun(nil, "hello")
		installs = append(installs, in)
	}
	t.Logf("%d of %d first runs were killed before they ended", killed, n)
	if killed < n/4 {
		t.Errorf("only %d of %d first runs were killed: the kill points do not cover a first run", killed, n)
	}
	for i, in := range installs {
		if st, ok := waitStatus(t, in, deliveryWait, func(st map[string]any) bool { return nothingPending(st) }); !ok {
			t.Fatalf("install %d: events still pending: %v", i, st)
		}
	}
	time.Sleep(time.Second) // a late duplicate would show now
	onDisk := map[string]bool{}
	for i, in := range append(installs, probes...) {
		raw, err := os.ReadFile(filepath.Join(in.StateDir(), "device_id"))
		if err != nil {
			t.Fatalf("install %d: %v", i, err)
		}
		onDisk[strings.TrimSpace(string(raw))] = true
	}
	for i, in := range installs {
		raw, _ := os.ReadFile(filepath.Join(in.StateDir(), "device_id"))
		id := strings.TrimSpace(string(raw))
		var ms, usage []Event
		for _, e := range col.Events() {
			if e.Resource["app.installation.id"] != id {
				continue
			}
			switch e.Name {
			case "waymark.milestone":
				ms = append(ms, e)
			case "waymark.usage":
				usage = append(usage, e)
			}
		}
		if got := eventIDs(ms); len(got) != 1 || len(ms) > 2 {
			t.Errorf("install %d: first_run sent %d times with event.ids %v; want one id, at most two sends", i, len(ms), got)
		}
		if len(usage) == 0 {
			t.Errorf("install %d: no usage ping arrived", i)
		}
	}
	for _, e := range col.Events() {
		if id := e.Resource["app.installation.id"]; !onDisk[id] {
			t.Errorf("%s names installation id %q, which no install has on disk", e.Name, id)
		}
	}
}

// Command spoolcost measures what a large spool adds to a host's run
// (appends must be O(1)): `acme hello` on an install whose
// spool holds 100 000 valid entries against the same on an install whose
// spool is empty, interleaved. Budget: at most +5 ms, median of the paired
// differences of wall time.
//
// Every timed run does the host's whole telemetry path, appends included:
// before each run milestones.json and ticket-usage are removed, so the run
// records first_run and a usage ping again, and upload.json holds a backoff
// 50 minutes ahead (0.1.0's format), so no uploader sends or cleans up
// while the runs are timed (the endpoint is a released port anyway). After
// each run the spool is put back as it was: what the run appended is
// removed, and any entry the run evicted is written again, so every run
// meets 100 000 entries. The driver reports how many entries a run appended
// (0 would make the measurement meaningless: it then fails as invalid), how
// many it evicted, and how many uploader processes it saw. It prints PASS or
// FAIL and exits 1 on a FAIL, 2 on an error.
//
// Run it from the module root:
//
//	go run ./bench/cmd/spoolcost [-pairs 30] [-warmup 3] [-entries 100000]
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/bench/internal/measure"
)

const budget = 5 * time.Millisecond

func main() {
	pairs := flag.Int("pairs", 30, "timed pairs (empty spool, full spool), interleaved, after the warm-up")
	warmup := flag.Int("warmup", 3, "untimed pairs first")
	entries := flag.Int("entries", 100000, "entries in the full spool")
	keep := flag.Bool("keep", false, "keep the temporary directory (binary, HOMEs, state dirs)")
	flag.Parse()
	ok, err := run(*pairs, *warmup, *entries, *keep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "spoolcost:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// install is one state dir and the spool it must hold before every run.
type install struct {
	name     string
	env      []string
	state    string
	spool    string
	baseline map[string][]byte // entry name → content
	samples  []measure.Sample
	appended []float64
	evicted  []float64
	seen     map[int]bool
}

func run(pairs, warmup, entries int, keep bool) (bool, error) {
	if pairs < 1 || warmup < 0 || pairs > 10000 || warmup > 1000 || entries < 1 || entries > 1000000 {
		return false, fmt.Errorf("bad flags: -pairs %d -warmup %d -entries %d", pairs, warmup, entries)
	}
	root, err := measure.ModuleRoot()
	if err != nil {
		return false, err
	}
	tmp, cleanup, err := measure.Workdir("spoolcost", keep)
	if err != nil {
		return false, err
	}
	defer cleanup()
	acme := filepath.Join(tmp, "acme")
	fmt.Println("building examples/cli as", acme, "...")
	if err := measure.Build(root, "./examples/cli", acme, "-trimpath"); err != nil {
		return false, err
	}
	refused, err := measure.ReleasedPort()
	if err != nil {
		return false, err
	}

	empty, err := newInstall(acme, filepath.Join(tmp, "empty"), "empty spool", refused, 0)
	if err != nil {
		return false, err
	}
	start := time.Now()
	full, err := newInstall(acme, filepath.Join(tmp, "full"), fmt.Sprintf("%d entries", entries), refused, entries)
	if err != nil {
		return false, err
	}
	fmt.Printf("wrote %d spool entries in %v\n", entries, time.Since(start).Round(time.Millisecond))

	fmt.Printf("\n== acme hello, %d warm-up + %d timed pairs, interleaved\n", warmup, pairs)
	for i := -warmup; i < pairs; i++ {
		order := []*install{empty, full}
		if (i+warmup)%2 == 1 {
			order = []*install{full, empty}
		}
		for _, in := range order {
			if err := in.timedRun(acme, i >= 0); err != nil {
				return false, err
			}
		}
	}

	we, wf := measure.Walls(empty.samples), measure.Walls(full.samples)
	d := measure.Diffs(we, wf)
	me, mf, md := measure.Median(we), measure.Median(wf), measure.Median(d)
	ce, cf := measure.CPUs(empty.samples), measure.CPUs(full.samples)
	ratio := float64(mf) / float64(me)
	invalid := ""
	if measure.MedianFloat(empty.appended) < 1 {
		invalid = "the runs appended nothing to the spool, so appends were not measured"
	}
	ok := md <= budget && invalid == ""

	fmt.Println()
	for _, in := range []*install{empty, full} {
		fmt.Printf("%-16s wall median %s  CPU median %s  entries appended per run (median) %.0f, evicted %.0f; uploader processes seen %d\n",
			in.name, measure.MsAbs(measure.Median(measure.Walls(in.samples))), measure.MsAbs(measure.Median(measure.CPUs(in.samples))),
			measure.MedianFloat(in.appended), measure.MedianFloat(in.evicted), len(in.seen))
	}
	fmt.Printf("\n== summary: acme hello with %d spool entries minus with an empty spool, %d pairs (budget +%s)\n",
		entries, len(d), measure.MsAbs(budget))
	fmt.Printf("medians: empty %s, full %s; ratio full/empty %.2f\n", measure.MsAbs(me), measure.MsAbs(mf), ratio)
	fmt.Printf("difference of medians %s; median of paired differences %s (p90 %s); CPU paired difference median %s\n",
		measure.Ms(mf-me), measure.Ms(md), measure.Ms(measure.Quantile(d, 0.9)), measure.Ms(measure.Median(measure.Diffs(ce, cf))))
	verdict := measure.Verdict(ok)
	if invalid != "" {
		verdict = "FAIL (invalid: " + invalid + ")"
	}
	fmt.Printf("spool of %d entries adds %s to a run   budget +%s   %s\n", entries, measure.Ms(md), measure.MsAbs(budget), verdict)
	fmt.Printf("spoolcost: %s\n", map[bool]string{true: "budget PASS", false: "budget FAILED"}[ok])
	return ok, nil
}

// newInstall makes a HOME and a state dir, seeds it with one `acme hello`
// (installation id, milestones, spool), then gives its spool n entries and
// nothing else.
func newInstall(acme, dir, name, endpoint string, n int) (*install, error) {
	home := filepath.Join(dir, "home")
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	in := &install{
		name:     name,
		env:      measure.Env(home, "ACME_TELEMETRY_DIR="+state, "ACME_TELEMETRY_ENDPOINT="+endpoint),
		state:    state,
		spool:    filepath.Join(state, "spool"),
		baseline: map[string][]byte{},
		seen:     map[int]bool{},
	}
	var stderr bytes.Buffer
	if _, err := measure.Run(acme, []string{"hello"}, in.env, &stderr); err != nil || stderr.Len() > 0 {
		return nil, fmt.Errorf("seed %s: %v %s", name, err, stderr.String())
	}
	measure.WaitNoProcess(acme, 15*time.Second)
	if err := os.MkdirAll(in.spool, 0o700); err != nil {
		return nil, err
	}
	// The spool holds only the baseline: the seed's own entries go.
	if _, err := in.restore(); err != nil {
		return nil, err
	}
	base := time.Now().Add(-time.Hour).UnixNano()
	for i := 0; i < n; i++ {
		name, data := entry(base+int64(i)*1000, 3, 1, uint64(i))
		if err := os.WriteFile(filepath.Join(in.spool, name), data, 0o600); err != nil {
			return nil, err
		}
		in.baseline[name] = data
	}
	return in, nil
}

// entry encodes a spool entry as the contract names and lays it out:
// <16 hex ns>-<kind><signal>-<8 hex size>-<16 hex>.spool, a 16-byte header
// (WMSP, version 1, kind, signal, 0, payload length, CRC-32 of bytes 4..12
// and the payload), and a payload: here an OTLP LogsData holding one empty
// ResourceLogs.
func entry(at int64, kind, sig byte, rnd uint64) (string, []byte) {
	payload := []byte{0x0a, 0x00}
	data := make([]byte, 16+len(payload))
	copy(data, "WMSP")
	data[4], data[5], data[6] = 1, kind, sig
	binary.BigEndian.PutUint32(data[8:], uint32(len(payload)))
	copy(data[16:], payload)
	crc := crc32.Update(crc32.ChecksumIEEE(data[4:12]), crc32.IEEETable, payload)
	binary.BigEndian.PutUint32(data[12:], crc)
	return fmt.Sprintf("%016x-%d%d-%08x-%016x.spool", uint64(at), kind, sig, len(data), rnd), data
}

// timedRun prepares the state dir (a first milestone and a usage ping due,
// the backoff ahead), times one `acme hello`, then puts the spool back.
func (in *install) timedRun(acme string, keep bool) error {
	for _, f := range []string{"milestones.json", "ticket-usage"} {
		if err := os.Remove(filepath.Join(in.state, f)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	next := time.Now().Add(50 * time.Minute).UTC().Format(time.RFC3339Nano)
	backoff := `{"failures":1,"next_attempt":"` + next + `","last_error":"spoolcost: held off","delivered":0,"dropped":0}` + "\n"
	if err := os.WriteFile(filepath.Join(in.state, "upload.json"), []byte(backoff), 0o600); err != nil {
		return err
	}
	var stderr bytes.Buffer
	s, err := measure.Run(acme, []string{"hello"}, in.env, &stderr)
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", in.name, err, stderr.String())
	}
	if stderr.Len() > 0 {
		return fmt.Errorf("%s: acme hello wrote on stderr: %q", in.name, stderr.String())
	}
	for _, p := range measure.Processes(acme) {
		in.seen[p] = true
	}
	measure.WaitNoProcess(acme, 15*time.Second)
	ch, err := in.restore()
	if err != nil {
		return err
	}
	if keep {
		in.samples = append(in.samples, s)
		in.appended = append(in.appended, float64(ch.appended))
		in.evicted = append(in.evicted, float64(ch.evicted))
	}
	return nil
}

type change struct{ appended, evicted int }

// restore makes the spool hold exactly the baseline again.
func (in *install) restore() (change, error) {
	var ch change
	f, err := os.Open(in.spool)
	if err != nil {
		return ch, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return ch, err
	}
	present := make(map[string]bool, len(names))
	for _, n := range names {
		present[n] = true
		if _, ok := in.baseline[n]; ok {
			continue
		}
		if strings.HasSuffix(n, ".spool") {
			ch.appended++
		}
		if err := os.RemoveAll(filepath.Join(in.spool, n)); err != nil {
			return ch, err
		}
	}
	for n, data := range in.baseline {
		if present[n] {
			continue
		}
		ch.evicted++
		if err := os.WriteFile(filepath.Join(in.spool, n), data, 0o600); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

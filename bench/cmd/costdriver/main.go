// Command costdriver measures what linking Waymark costs a CLI that already
// uses net/http (a budget of +2.5 MB stripped and +1.5 ms start-up): the growth of the stripped
// binary (budget +2.5 MB) and the extra start-up wall time with telemetry off
// (budget +1.5 ms, median of paired differences). It builds
// bench/cmd/basecli and bench/cmd/withsdk, runs them interleaved with a
// scrubbed environment, and reports where package init time goes with
// GODEBUG=inittrace=1. It prints PASS or FAIL per budget and exits 1 on a
// FAIL.
//
// Run it from the module root:
//
//	go run ./bench/cmd/costdriver [-runs 200] [-warmup 20] [-inittrace 25]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/bench/internal/measure"
)

const (
	sizeBudget  = 2_500_000 // bytes: 2.5 MB, the stricter reading of "2.5 MB"; 2.5 MiB is the looser
	startBudget = 1500 * time.Microsecond
)

// variant is one program under test and how it is run.
type variant struct {
	name     string
	exe      string
	env      []string
	budgeted bool
}

func main() {
	runs := flag.Int("runs", 200, "timed runs of each program, interleaved, after the warm-up")
	warmup := flag.Int("warmup", 20, "untimed runs of each program first")
	traces := flag.Int("inittrace", 25, "runs of each program with GODEBUG=inittrace=1")
	keep := flag.Bool("keep", false, "keep the temporary directory with the binaries")
	flag.Parse()
	ok, err := run(*runs, *warmup, *traces, *keep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "costdriver:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// run measures and reports; ok is false when a budget failed.
func run(runs, warmup, traces int, keep bool) (ok bool, err error) {
	if runs < 1 || warmup < 0 || traces < 0 || runs > 100000 || traces > 10000 {
		return false, fmt.Errorf("bad counts: -runs %d -warmup %d -inittrace %d", runs, warmup, traces)
	}
	root, err := measure.ModuleRoot()
	if err != nil {
		return false, err
	}
	tmp, err := os.MkdirTemp("", "waymark-costdriver-")
	if err != nil {
		return false, err
	}
	if keep {
		fmt.Println("binaries kept in", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return false, err
	}

	baseExe := filepath.Join(tmp, "basecli")
	sdkExe := filepath.Join(tmp, "withsdk")
	disExe := filepath.Join(tmp, "withsdk-disabled")
	linkExe := filepath.Join(tmp, "withsdk-nostart")
	fmt.Println("building stripped binaries (-trimpath -ldflags='-s -w') ...")
	if err := measure.BuildStripped(root, "./bench/cmd/basecli", baseExe); err != nil {
		return false, err
	}
	if err := measure.BuildStripped(root, "./bench/cmd/withsdk", sdkExe); err != nil {
		return false, err
	}
	if err := measure.BuildStripped(root, "./bench/cmd/withsdk", disExe, "-X", "main.disabled=true"); err != nil {
		return false, err
	}
	if err := measure.BuildStripped(root, "./bench/cmd/withsdk", linkExe, "-X", "main.skipstart=true"); err != nil {
		return false, err
	}
	ok = true

	// Size.
	baseSize, sdkSize := fileSize(baseExe), fileSize(sdkExe)
	grow := sdkSize - baseSize
	sizeOK := grow <= sizeBudget
	ok = ok && sizeOK
	fmt.Printf("\n== binary size (stripped)\n")
	fmt.Printf("basecli           %10d bytes  %6.2f MB\n", baseSize, mb(baseSize))
	fmt.Printf("withsdk           %10d bytes  %6.2f MB\n", sdkSize, mb(sdkSize))
	fmt.Printf("growth            %+10d bytes  %+6.2f MB (%+.2f MiB)   budget +2.50 MB   %s\n",
		grow, mb(grow), float64(grow)/(1<<20), measure.Verdict(sizeOK))

	// Start-up wall time, interleaved in a shuffled order each round.
	vs := []variant{
		{"basecli", baseExe, measure.Env(home, "ACME_TELEMETRY=off"), false},
		{"withsdk ACME_TELEMETRY=off", sdkExe, measure.Env(home, "ACME_TELEMETRY=off"), true},
		{"withsdk Config.Disabled", disExe, measure.Env(home), true},
		{"withsdk linked, no Start", linkExe, measure.Env(home, "ACME_TELEMETRY=off"), false},
	}
	fmt.Printf("\n== start-up: %d warm-up + %d timed runs of each, interleaved (shuffled order each round)\n", warmup, runs)
	samples := make([][]measure.Sample, len(vs))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := -warmup; i < runs; i++ {
		for _, k := range rng.Perm(len(vs)) {
			smp, err := measure.Run(vs[k].exe, nil, vs[k].env, nil)
			if err != nil {
				return false, err
			}
			if i >= 0 {
				samples[k] = append(samples[k], smp)
			}
		}
	}
	times := make([][]time.Duration, len(vs))
	cpus := make([][]time.Duration, len(vs))
	for k, v := range vs {
		times[k], cpus[k] = measure.Walls(samples[k]), measure.CPUs(samples[k])
		fmt.Printf("%-28s wall median %s (p10 %s, p90 %s)   CPU user+sys %s   minor faults %.0f\n", v.name,
			measure.MsAbs(measure.Median(times[k])), measure.MsAbs(measure.Quantile(times[k], 0.1)),
			measure.MsAbs(measure.Quantile(times[k], 0.9)), measure.MsAbs(measure.Median(cpus[k])),
			measure.MedianFloat(measure.MinFlts(samples[k])))
	}
	for k := 1; k < len(vs); k++ {
		md := measure.Median(measure.Diffs(times[0], times[k]))
		verdict := "(diagnostic, no budget)"
		if vs[k].budgeted {
			startOK := md <= startBudget
			ok = ok && startOK
			verdict = "budget +1.500 ms   " + measure.Verdict(startOK)
		}
		fmt.Printf("%-28s minus basecli: wall %s (median of paired differences; difference of medians %s), CPU %s, faults %+.0f   %s\n",
			vs[k].name, measure.Ms(md), measure.Ms(measure.Median(times[k])-measure.Median(times[0])),
			measure.Ms(measure.Median(measure.Diffs(cpus[0], cpus[k]))),
			measure.MedianFloat(measure.MinFlts(samples[k]))-measure.MedianFloat(measure.MinFlts(samples[0])), verdict)
	}
	if files := filesUnder(home); len(files) > 0 {
		ok = false
		fmt.Printf("FAIL: telemetry off wrote files under HOME: %v\n", files)
	} else {
		fmt.Printf("telemetry off wrote nothing under HOME: PASS\n")
	}

	if traces > 0 {
		if err := initReport(root, home, baseExe, sdkExe, traces); err != nil {
			return false, err
		}
	}

	fmt.Printf("\ncostdriver: %s\n", map[bool]string{true: "all budgets PASS", false: "a budget FAILED"}[ok])
	return ok, nil
}

// initTrace is one run's GODEBUG=inittrace=1 output: clock ms per package.
type initTrace struct {
	clock map[string]float64
}

// initReport runs both programs with GODEBUG=inittrace=1, interleaved, and
// prints the medians: the total package init time of each, the part spent
// in the packages only withsdk links, and the costliest of those.
func initReport(root, home, baseExe, sdkExe string, n int) error {
	baseDeps, err := measure.Deps(root, "./bench/cmd/basecli")
	if err != nil {
		return err
	}
	sdkDeps, err := measure.Deps(root, "./bench/cmd/withsdk")
	if err != nil {
		return err
	}
	added := map[string]bool{}
	for p := range sdkDeps {
		if !baseDeps[p] {
			added[p] = true
		}
	}
	env := measure.Env(home, "ACME_TELEMETRY=off", "GODEBUG=inittrace=1")
	var baseTotal, sdkTotal, sdkAdded []float64
	perPkg := map[string][]float64{}
	for i := 0; i < n; i++ {
		for j := 0; j < 2; j++ {
			exe := baseExe
			if (i+j)%2 == 1 {
				exe = sdkExe
			}
			var stderr bytes.Buffer
			if _, err := measure.Run(exe, nil, env, &stderr); err != nil {
				return err
			}
			tr := parseInitTrace(stderr.Bytes())
			total, inAdded := 0.0, 0.0
			for p, ms := range tr.clock {
				total += ms
				if added[p] {
					inAdded += ms
				}
			}
			if exe == baseExe {
				baseTotal = append(baseTotal, total)
				continue
			}
			sdkTotal = append(sdkTotal, total)
			sdkAdded = append(sdkAdded, inAdded)
			for p := range added {
				perPkg[p] = append(perPkg[p], tr.clock[p])
			}
		}
	}
	fmt.Printf("\n== package init, GODEBUG=inittrace=1, %d runs of each, medians (telemetry off)\n", n)
	fmt.Printf("basecli  sum of init clock %.3f ms\n", measure.MedianFloat(baseTotal))
	fmt.Printf("withsdk  sum of init clock %.3f ms\n", measure.MedianFloat(sdkTotal))
	fmt.Printf("withsdk  init in the %d packages only it links (Waymark, OTel, their deps): %.3f ms\n", len(added), measure.MedianFloat(sdkAdded))
	type pkgMs struct {
		pkg string
		ms  float64
	}
	var rows []pkgMs
	for p, xs := range perPkg {
		if m := measure.MedianFloat(xs); m > 0 {
			rows = append(rows, pkgMs{p, m})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		return rows[i].ms > rows[j].ms || rows[i].ms == rows[j].ms && rows[i].pkg < rows[j].pkg
	})
	fmt.Printf("costliest of those (median init clock):\n")
	for i, r := range rows {
		if i == 12 {
			break
		}
		fmt.Printf("  %8.3f ms  %s\n", r.ms, r.pkg)
	}
	var waymark []string
	for p := range added {
		if strings.HasPrefix(p, "github.com/waymarkhq/waymark/") {
			waymark = append(waymark, p)
		}
	}
	sort.Strings(waymark)
	wsum := 0.0
	for _, p := range waymark {
		wsum += measure.MedianFloat(perPkg[p])
	}
	fmt.Printf("Waymark's own %d packages: %.3f ms together\n", len(waymark), wsum)
	return nil
}

// parseInitTrace reads lines such as
// "init net/http @5.1 ms, 0.40 ms clock, 18648 bytes, 143 allocs".
func parseInitTrace(b []byte) initTrace {
	tr := initTrace{clock: map[string]float64{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 7 || f[0] != "init" || !strings.HasPrefix(f[2], "@") || f[6] != "clock," {
			continue
		}
		ms, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			continue
		}
		tr.clock[f[1]] += ms
	}
	return tr
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func mb(n int64) float64 { return float64(n) / 1e6 }

// filesUnder lists what exists under dir, which should stay empty.
func filesUnder(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != dir {
			out = append(out, strings.TrimPrefix(p, dir+string(filepath.Separator)))
		}
		return nil
	})
	return out
}

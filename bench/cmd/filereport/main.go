// Command filereport times `waymark report --json` over the simulator's store (the files the
// collector's file exporter would have written) against a plain read of the same bytes, for the
// report built from this checkout (on every core, and with GOMAXPROCS=1) and for one built from
// another revision (main by default), interleaved in one run.
//
// It prints, per build, the median wall time, CPU time and peak RSS; events per second of wall
// time and per CPU-second (per core); the ratio of the wall time to that of the plain read; and
// whether every build's output is the same. The budget is checked on the build of this
// checkout on every core: at most 1.2 s and 80 MB for the 60 000-install, 60-day store.
//
// Run it from the module root:
//
//	go run ./bench/cmd/filereport [-installs 60000] [-days 60] [-runs 5] [-base main] [-store DIR]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/waymarkhq/waymark/bench/internal/measure"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "filereport:", err)
		os.Exit(1)
	}
}

type build struct {
	name, bin string
	env       []string
}

type sample struct {
	wall, cpu time.Duration
	rssMB     float64
}

func run() error {
	installs := flag.Int("installs", 60000, "simulated installs")
	days := flag.Int("days", 60, "days of history")
	runs := flag.Int("runs", 5, "reports of each build")
	base := flag.String("base", "main", "git revision the former report is built from (empty: none)")
	store := flag.String("store", "", "an existing store to read instead of simulating one")
	keep := flag.Bool("keep", false, "keep the working folder")
	flag.Parse()

	root, err := measure.ModuleRoot()
	if err != nil {
		return err
	}
	dir, cleanup, err := measure.Workdir("filereport", *keep)
	if err != nil {
		return err
	}
	defer cleanup()
	newBin := filepath.Join(dir, "waymark-new")
	if err := measure.Build(root, "./cmd/waymark", newBin); err != nil {
		return err
	}
	const now = "2026-11-20"
	if *store == "" {
		simBin := filepath.Join(dir, "simulate")
		if err := measure.Build(root, "./collector-config/simulate", simBin); err != nil {
			return err
		}
		*store = filepath.Join(dir, "store")
		args := []string{"-installs", strconv.Itoa(*installs), "-days", strconv.Itoa(*days), "-seed", "1", "-end", now, "-out", *store}
		if _, err := measure.Run(simBin, args, os.Environ(), nil); err != nil {
			return err
		}
	}
	files, _ := filepath.Glob(filepath.Join(*store, "*.jsonl"))
	sort.Strings(files)
	// Counted with a small buffer: a child's peak RSS counts its parent's at fork time.
	var size int64
	events := 0
	pattern := []byte(`"eventName":"waymark.`)
	buf := make([]byte, 1<<20)
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		carry := 0
		for {
			n, err := f.Read(buf[carry:])
			size += int64(n)
			chunk := buf[:carry+n]
			events += bytes.Count(chunk, pattern)
			carry = min(len(chunk), len(pattern)-1)
			copy(buf, chunk[len(chunk)-carry:])
			if err != nil {
				break
			}
		}
		f.Close()
	}
	runtime.GC()

	env := os.Environ()
	builds := []build{{"this checkout", newBin, env}, {"this, 1 core", newBin, append(env[:len(env):len(env)], "GOMAXPROCS=1")}}
	if *base != "" {
		src := filepath.Join(dir, "src-base")
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		cmd := exec.Command("sh", "-c", `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, "sh", root, *base, src)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git archive %s: %v\n%s", *base, err, out)
		}
		bin := filepath.Join(dir, "waymark-base")
		if err := measure.Build(src, "./cmd/waymark", bin); err != nil {
			return err
		}
		builds = append([]build{{*base, bin, env}}, builds...)
	}

	fmt.Printf("machine: %d CPUs, load average %s\n", runtime.NumCPU(), loadAverage())
	fmt.Printf("store: %s, %d files, %.0f MB, %d events\n", *store, len(files), float64(size)/1e6, events)
	var reads []time.Duration
	samples := make([][]sample, len(builds))
	outs := make([][]byte, len(builds))
	for k := 0; k < *runs; k++ {
		d, err := plainRead(files)
		if err != nil {
			return err
		}
		reads = append(reads, d)
		for j := range builds {
			i := (j + k) % len(builds)
			s, out, err := report(builds[i], *store, now)
			if err != nil {
				return err
			}
			samples[i] = append(samples[i], s)
			outs[i] = out
		}
	}
	read := measure.Median(reads)
	fmt.Printf("plain read of the same bytes (1 MiB buffers, page cache): median %.3f s, %.2f GB/s\n", read.Seconds(), float64(size)/read.Seconds()/1e9)
	for i, b := range builds {
		var walls, cpus []time.Duration
		var rss []float64
		for _, s := range samples[i] {
			walls, cpus, rss = append(walls, s.wall), append(cpus, s.cpu), append(rss, s.rssMB)
		}
		w, c, m := measure.Median(walls), measure.Median(cpus), measure.MedianFloat(rss)
		fmt.Printf("%-14s wall %.3f s, CPU %.3f s, peak RSS %.1f MB; %.0f events/s, %.0f events/CPU-s; %.1fx the plain read; output same as %s: %v\n",
			b.name, w.Seconds(), c.Seconds(), m, float64(events)/w.Seconds(), float64(events)/c.Seconds(), float64(w)/float64(read), builds[0].name, bytes.Equal(outs[i], outs[0]))
	}
	if *base != "" {
		fmt.Printf("wall ratio this checkout / %s: %.2f\n", *base, float64(medWall(samples[1]))/float64(medWall(samples[0])))
	}
	cur := samples[len(builds)-2]
	ok := medWall(cur) <= 1200*time.Millisecond && medRSS(cur) <= 80
	fmt.Printf("budget (this checkout, every core): <= 1.2 s and <= 80 MB: %s\n", measure.Verdict(ok))
	fmt.Printf("load average after: %s\n", loadAverage())
	return nil
}

func medWall(s []sample) time.Duration {
	var w []time.Duration
	for _, x := range s {
		w = append(w, x.wall)
	}
	return measure.Median(w)
}

func medRSS(s []sample) float64 {
	var r []float64
	for _, x := range s {
		r = append(r, x.rssMB)
	}
	return measure.MedianFloat(r)
}

// report runs one report and returns its costs and output.
func report(b build, store, now string) (sample, []byte, error) {
	cmd := exec.Command(b.bin, "report", "--json", "--now", now, store)
	cmd.Env = b.env
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	start := time.Now()
	err := cmd.Run()
	s := sample{wall: time.Since(start)}
	if err != nil {
		return s, nil, fmt.Errorf("%s: %v\n%s", b.name, err, stderr.String())
	}
	s.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.rssMB = float64(ru.Maxrss) / 1024
	}
	return s, out.Bytes(), nil
}

// plainRead reads every file once with 1 MiB buffers and discards the bytes.
func plainRead(files []string) (time.Duration, error) {
	buf := make([]byte, 1<<20)
	start := time.Now()
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return 0, err
		}
		_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf)
		f.Close()
		if err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Command xtelcmp puts Waymark side by side with Go's own telemetry,
// golang.org/x/telemetry with upload on, in the same net/http CLI
// (bench/cmd/basecli's shape). It generates a throw-away module in a
// temporary directory with four probes of that CLI:
//
//   - base: the CLI alone;
//   - xtel: the CLI plus telemetry.Start(telemetry.Config{Upload: true,
//     ReportCrashes: false}) and one counter increment;
//   - waymark: the CLI plus sdk.Start, a milestone and the deferred End,
//     as the README's quick start does (built with a replace of this
//     checkout, so x/telemetry never enters Waymark's own go.mod);
//   - otelfloor (size only): the CLI plus what Waymark's design requires of
//     OpenTelemetry and nothing of Waymark: an sdk/log LoggerProvider
//     with the same options, a synchronous processor and an exporter that
//     touches each record.
//
// It prints (a) the stripped sizes, the additions over base, the sections
// that grew and, by package, the symbols each probe adds (from
// `go tool nm -size` of unstripped builds); (b) first runs, each in a fresh
// HOME, paired and interleaved; (c) the steady state, each probe in one
// HOME after a warm-up. Both telemetries are pointed at a loopback endpoint
// that answers 200, and before every run it waits until no process of any
// probe is left: Waymark's detached uploader and x/telemetry's upload child
// both outlive the run that starts them.
//
// Run it from the module root:
//
//	go run ./bench/cmd/xtelcmp [-samples 31] [-warmup 3] [-steady 31] [-symbols 40] [-sizes]
package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/bench/internal/measure"
)

// xtelVersion is the x/telemetry the module proxy served when this
// benchmark was written.
const xtelVersion = "v0.0.0-20261111153349-cdaf7e97dd7b"

// probe is one program built from the generated module.
type probe struct {
	name     string
	bin      string // stripped, as shipped; what is run
	full     string // with symbols, for the breakdown
	timed    bool
	stateDir func(home string) string // where its first run writes
}

func main() {
	samples := flag.Int("samples", 31, "first runs of each timed probe, each in a fresh HOME, interleaved, after the warm-up")
	warmup := flag.Int("warmup", 3, "untimed first-run rounds before the timed ones")
	steady := flag.Int("steady", 31, "steady-state runs of each timed probe (same HOME), interleaved; 0 skips")
	symbols := flag.Int("symbols", 40, "packages to list in each symbol breakdown")
	sizesOnly := flag.Bool("sizes", false, "only build and print sizes and the breakdown")
	version := flag.String("xtel", xtelVersion, "version of golang.org/x/telemetry")
	keep := flag.Bool("keep", false, "keep the temporary directory")
	flag.Parse()
	if err := run(*samples, *warmup, *steady, *symbols, *sizesOnly, *version, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "xtelcmp:", err)
		os.Exit(2)
	}
}

func run(samples, warmup, steady, symbols int, sizesOnly bool, version string, keep bool) error {
	if samples < 1 || warmup < 0 || steady < 0 || samples > 10000 || steady > 10000 {
		return fmt.Errorf("bad flags: -samples %d -warmup %d -steady %d", samples, warmup, steady)
	}
	root, err := measure.ModuleRoot()
	if err != nil {
		return err
	}
	tmp, cleanup, err := measure.Workdir("xtelcmp", keep)
	if err != nil {
		return err
	}
	defer cleanup()
	if tmp, err = filepath.EvalSymlinks(tmp); err != nil {
		return err
	}
	fmt.Printf("== machine: %s, load average %s, %s\n", cores(), loadavg(), goVersion())

	up, closeUp, err := upEndpoint()
	if err != nil {
		return err
	}
	defer closeUp()

	probes, err := buildProbes(root, tmp, version, up)
	if err != nil {
		return err
	}
	if err := printSizes(probes, symbols); err != nil {
		return err
	}
	if sizesOnly {
		return nil
	}
	var timed []probe
	for _, p := range probes {
		if p.timed {
			timed = append(timed, p)
		}
	}
	if err := checkFirstRun(timed, filepath.Join(tmp, "check")); err != nil {
		return err
	}
	exec.Command("sync").Run()
	time.Sleep(2 * time.Second)
	fmt.Printf("\n== (b) first run, fresh HOME each, %d warm-up + %d timed rounds, order rotated; load average %s\n", warmup, samples, loadavg())
	first, err := firstRuns(timed, filepath.Join(tmp, "homes"), samples, warmup)
	if err != nil {
		return err
	}
	report(first, timed)
	if steady > 0 {
		fmt.Printf("\n== (c) steady state, one HOME per probe after %d warm-up runs, %d timed rounds; load average %s\n", 5, steady, loadavg())
		st, err := steadyRuns(timed, filepath.Join(tmp, "steady"), steady, 5)
		if err != nil {
			return err
		}
		report(st, timed)
	}
	fmt.Printf("\nload average at the end: %s\n", loadavg())
	return nil
}

// The generated programs. Each is bench/cmd/basecli plus its telemetry.
const cliBody = `
	client := &http.Client{Timeout: 2 * time.Second}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:9/status", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(os.Args) > 1 && os.Args[1] == "send" {
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		resp.Body.Close()
	}
	fmt.Printf("would %s %s within %v\n", req.Method, req.URL, client.Timeout)
`

var sources = map[string]string{
	"base": `package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {` + cliBody + `}
`,
	"xtel": `package main

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"golang.org/x/telemetry"
	"golang.org/x/telemetry/counter"
)

var endpoint string

func main() {
	telemetry.Start(telemetry.Config{Upload: true, ReportCrashes: false, UploadURL: endpoint + "/upload"})
	counter.Inc("xtelprobe/run")
` + cliBody + `}
`,
	"waymark": `package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/waymarkhq/waymark/sdk"
)

var endpoint string

func main() {
	t, err := sdk.Start(sdk.Config{
		Product:    "acme",
		Version:    "1.4.2",
		Endpoint:   endpoint,
		Milestones: []string{"first_run"},
	})
	if err != nil {
		log.Print(err)
	}
	defer t.End()
	sdk.Milestone("first_run")
` + cliBody + `}
`,
	"otelfloor": `package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

type exporter struct{ n int }

func (e *exporter) Export(_ context.Context, recs []sdklog.Record) error {
	for _, r := range recs {
		e.n += len(r.EventName())
		r.WalkAttributes(func(kv attribute.KeyValue) bool { e.n += len(kv.Key) + len(kv.Value.Emit()); return true })
	}
	return nil
}
func (e *exporter) Shutdown(context.Context) error   { return nil }
func (e *exporter) ForceFlush(context.Context) error { return nil }

type processor struct{ e *exporter }

func (p processor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (p processor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	return p.e.Export(ctx, []sdklog.Record{*r})
}
func (p processor) Shutdown(context.Context) error   { return nil }
func (p processor) ForceFlush(context.Context) error { return nil }

func main() {
	e := &exporter{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(processor{e}),
		sdklog.WithAttributeCountLimit(64), sdklog.WithAttributeValueLengthLimit(8192),
		sdklog.WithResource(resource.Empty()))
	var rec log.Record
	rec.SetEventName("first_run")
	rec.SetTimestamp(time.Now())
	rec.AddAttributes(attribute.String("a", "b"))
	lp.Logger("probe", log.WithInstrumentationVersion("1")).Emit(context.Background(), rec)
	lp.Shutdown(context.Background())
	if e.n < 0 {
		os.Exit(3)
	}
` + cliBody + `}
`,
}

// buildProbes writes the module and builds every probe twice: stripped
// (-trimpath -ldflags "-s -w", as a release) and with symbols.
func buildProbes(root, tmp, version, endpoint string) ([]probe, error) {
	mod := filepath.Join(tmp, "probes")
	gomod := fmt.Sprintf("module xtelprobe\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/waymarkhq/waymark v0.0.0\n\tgolang.org/x/telemetry %s\n)\n\nreplace github.com/waymarkhq/waymark => %s\n", version, root)
	if err := os.MkdirAll(mod, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644); err != nil {
		return nil, err
	}
	if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
		os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644)
	}
	for name, src := range sources {
		if err := os.MkdirAll(filepath.Join(mod, name), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(mod, name, "main.go"), []byte(src), 0o644); err != nil {
			return nil, err
		}
	}
	fmt.Printf("generated the probe module in %s (golang.org/x/telemetry %s, waymark => %s); go mod tidy ...\n", mod, version, root)
	if err := goIn(mod, "mod", "tidy"); err != nil {
		return nil, err
	}
	xdgConfig := func(home string) string { return filepath.Join(home, ".config", "go", "telemetry") }
	probes := []probe{
		{name: "base", timed: true},
		{name: "xtel", timed: true, stateDir: xdgConfig},
		{name: "waymark", timed: true, stateDir: func(home string) string { return home }},
		{name: "otelfloor"},
	}
	ld := "-X main.endpoint=" + endpoint
	for i := range probes {
		p := &probes[i]
		p.bin = filepath.Join(tmp, p.name)
		p.full = filepath.Join(tmp, p.name+".full")
		fmt.Println("building", p.name, "...")
		if err := goIn(mod, "build", "-trimpath", "-ldflags=-s -w "+ld, "-o", p.bin, "./"+p.name); err != nil {
			return nil, err
		}
		if err := goIn(mod, "build", "-trimpath", "-ldflags="+ld, "-o", p.full, "./"+p.name); err != nil {
			return nil, err
		}
	}
	return probes, nil
}

// printSizes prints (a): sizes, sections and the symbol breakdown.
func printSizes(probes []probe, symbols int) error {
	base := probes[0]
	bs := fileSize(base.bin)
	fmt.Printf("\n== (a) stripped size (-trimpath -ldflags \"-s -w\")\n")
	for _, p := range probes {
		s := fileSize(p.bin)
		fmt.Printf("%-10s %10d bytes  %+10d over base  (%+.3f MB)\n", p.name, s, s-bs, float64(s-bs)/1e6)
	}
	secs := map[string]map[string]uint64{}
	for _, p := range probes {
		m, err := sections(p.bin)
		if err != nil {
			return err
		}
		secs[p.name] = m
	}
	fmt.Printf("\nsections that grew over base, bytes (stripped builds)\n%-14s", "section")
	for _, p := range probes[1:] {
		fmt.Printf(" %10s", p.name)
	}
	fmt.Println()
	var names []string
	for n := range secs[base.name] {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		line, grew := fmt.Sprintf("%-14s", n), false
		for _, p := range probes[1:] {
			d := int64(secs[p.name][n]) - int64(secs[base.name][n])
			grew = grew || d > 256 || d < -256
			line += fmt.Sprintf(" %+10d", d)
		}
		if grew && n != ".noptrbss" && n != ".bss" && n != ".tbss" {
			fmt.Println(line)
		}
	}
	baseSyms, err := nm(base.full)
	if err != nil {
		return err
	}
	bySyms := map[string]map[string]int64{}
	for _, p := range probes[1:] {
		syms, err := nm(p.full)
		if err != nil {
			return err
		}
		bySyms[p.name] = syms
		printBreakdown(p.name+" over base", baseSyms, syms, symbols)
	}
	if floor, ok := bySyms["otelfloor"]; ok {
		if w, ok := bySyms["waymark"]; ok {
			printBreakdown("waymark over otelfloor (what Waymark adds beyond the OpenTelemetry SDK it must link)", floor, w, symbols)
		}
	}
	return nil
}

// printBreakdown groups the symbols that b has and a has not (or has
// smaller) by package.
func printBreakdown(title string, a, b map[string]int64, top int) {
	byPkg := map[string]int64{}
	var total int64
	for name, size := range b {
		d := size - a[name]
		if d == 0 {
			continue
		}
		byPkg[symbolPackage(name)] += d
		total += d
	}
	type kv struct {
		k string
		v int64
	}
	var l []kv
	for k, v := range byPkg {
		l = append(l, kv{k, v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v || l[i].v == l[j].v && l[i].k < l[j].k })
	fmt.Printf("\nsymbols, %s: %+d bytes in all (go tool nm -size; text, rodata, data; not pclntab)\n", title, total)
	for i, x := range l {
		if i == top {
			fmt.Printf("  ... %d more packages\n", len(l)-top)
			break
		}
		fmt.Printf("  %+9d  %s\n", x.v, x.k)
	}
}

// symbolPackage names the package a symbol belongs to: the import path
// before the first dot after the last slash, with type arguments, type:
// prefixes and pointer stars removed. go:func.* (function metadata) and
// similar linker symbols keep their own name.
func symbolPackage(name string) string {
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	if strings.HasPrefix(name, "go:") {
		if i := strings.IndexByte(name, '.'); i >= 0 {
			return name[:i]
		}
		return name
	}
	name = strings.TrimPrefix(name, "type:")
	name = strings.TrimLeft(name, "*")
	name = strings.TrimPrefix(name, ".eq.")
	slash := strings.LastIndexByte(name, '/')
	if i := strings.IndexByte(name[slash+1:], '.'); i >= 0 {
		name = name[:slash+1+i]
	}
	if name == "" {
		return "(linker)"
	}
	return name
}

// nm reads symbol sizes with go tool nm -size.
func nm(bin string) (map[string]int64, error) {
	out, err := exec.Command("go", "tool", "nm", "-size", bin).Output()
	if err != nil {
		return nil, fmt.Errorf("go tool nm %s: %w", bin, err)
	}
	syms := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		// address, size, kind, then the name, which may hold spaces.
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[2] == "U" {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		syms[strings.Join(f[3:], " ")] += n
	}
	return syms, sc.Err()
}

// sections returns the size of every ELF section.
func sections(bin string) (map[string]uint64, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]uint64{}
	for _, s := range f.Sections {
		if s.Name != "" {
			m[s.Name] = s.Size
		}
	}
	return m, nil
}

// env is the scrubbed environment of a probe run: the loopback endpoint
// is compiled in; GOPROXY=off keeps any go command x/telemetry might start
// off the network.
func env(home string) []string {
	return measure.Env(home, "GOPROXY=off", "GOTOOLCHAIN=local")
}

// waitAll waits until no process of any probe is left.
func waitAll(ps []probe) time.Duration {
	start := time.Now()
	for _, p := range ps {
		measure.WaitNoProcess(p.bin, 15*time.Second)
	}
	return time.Since(start)
}

// checkFirstRun runs each probe once in a fresh HOME, untimed, and shows
// what its first run left there; for x/telemetry it also creates the debug
// directory, so the upload child writes its log and the check can prove
// that the child ran.
func checkFirstRun(ps []probe, dir string) error {
	fmt.Printf("\n== what a first run writes (one untimed run each, fresh HOME)\n")
	for _, p := range ps {
		home := filepath.Join(dir, p.name)
		if err := os.MkdirAll(home, 0o700); err != nil {
			return err
		}
		if p.name == "xtel" {
			if err := os.MkdirAll(filepath.Join(p.stateDir(home), "debug"), 0o755); err != nil {
				return err
			}
		}
		if _, err := measure.Run(p.bin, nil, env(home), nil); err != nil {
			return err
		}
		waited := waitAll(ps)
		files := filesUnder(home)
		fmt.Printf("%-8s %d files (waited %v for its children): %s\n", p.name, len(files), waited.Round(time.Millisecond), strings.Join(files, " "))
		switch p.name {
		case "xtel":
			logs, _ := filepath.Glob(filepath.Join(p.stateDir(home), "debug", "*"))
			var ran bool
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				ran = ran || bytes.Contains(b, []byte("Uploading 0 reports")) || bytes.Contains(b, []byte("Uploading"))
			}
			if !ran || !contains(files, "upload.token") {
				return fmt.Errorf("x/telemetry's first run did not start its upload child (no upload.token or no uploader log in %s)", filepath.Join(p.stateDir(home), "debug"))
			}
			fmt.Println("         x/telemetry: mode file absent, so mode \"local\" (the default); counter file created and mapped;")
			fmt.Println("         upload child started (upload.token) and ran the uploader: it found no expired counter file, so it uploaded nothing")
		case "waymark":
			if len(files) == 0 {
				return fmt.Errorf("waymark's first run recorded nothing")
			}
		case "base":
			if len(files) != 0 {
				return fmt.Errorf("base wrote under HOME")
			}
		}
	}
	return nil
}

// sampleSet holds the timed runs of each probe by name.
type sampleSet map[string][]measure.Sample

// firstRuns times samples rounds; a round runs every probe once, each in a
// fresh HOME, in an order rotated round by round.
func firstRuns(ps []probe, homes string, samples, warmup int) (sampleSet, error) {
	set := sampleSet{}
	n := 0
	for i := -warmup; i < samples; i++ {
		k := (i + warmup) % len(ps)
		order := append(append([]probe{}, ps[k:]...), ps[:k]...)
		for _, p := range order {
			waitAll(ps)
			n++
			home := filepath.Join(homes, fmt.Sprintf("%s-%d", p.name, n))
			if err := os.MkdirAll(home, 0o700); err != nil {
				return nil, err
			}
			s, err := measure.Run(p.bin, nil, env(home), nil)
			if err != nil {
				return nil, err
			}
			if p.stateDir != nil && len(filesUnder(p.stateDir(home))) == 0 {
				return nil, fmt.Errorf("%s: a first run wrote nothing in %s", p.name, home)
			}
			if i >= 0 {
				set[p.name] = append(set[p.name], s)
			}
			os.RemoveAll(filepath.Join(homes, fmt.Sprintf("%s-%d", p.name, n-len(ps)*2)))
		}
	}
	waitAll(ps)
	return set, nil
}

// steadyRuns gives each probe one HOME, runs it warmup times (waiting for
// its children after each), then times rounds in rotated order.
func steadyRuns(ps []probe, dir string, rounds, warmup int) (sampleSet, error) {
	homes := map[string]string{}
	for _, p := range ps {
		home := filepath.Join(dir, p.name)
		if err := os.MkdirAll(home, 0o700); err != nil {
			return nil, err
		}
		homes[p.name] = home
		for range warmup {
			if _, err := measure.Run(p.bin, nil, env(home), nil); err != nil {
				return nil, err
			}
			waitAll(ps)
		}
	}
	set := sampleSet{}
	for i := range rounds {
		k := i % len(ps)
		order := append(append([]probe{}, ps[k:]...), ps[:k]...)
		for _, p := range order {
			waitAll(ps)
			s, err := measure.Run(p.bin, nil, env(homes[p.name]), nil)
			if err != nil {
				return nil, err
			}
			set[p.name] = append(set[p.name], s)
		}
	}
	waitAll(ps)
	return set, nil
}

// report prints medians and the medians of paired differences over base,
// and waymark minus xtel.
func report(set sampleSet, ps []probe) {
	base := set["base"]
	for _, p := range ps {
		s := set[p.name]
		w := measure.Walls(s)
		line := fmt.Sprintf("%-8s wall median %s (p10 %s, p90 %s), CPU median %s", p.name,
			measure.MsAbs(measure.Median(w)), measure.MsAbs(measure.Quantile(w, 0.1)), measure.MsAbs(measure.Quantile(w, 0.9)),
			measure.MsAbs(measure.Median(measure.CPUs(s))))
		if p.name != "base" {
			d := measure.Diffs(measure.Walls(base), w)
			c := measure.Diffs(measure.CPUs(base), measure.CPUs(s))
			line += fmt.Sprintf("; over base: paired wall %s (p25 %s, p75 %s), paired CPU %s",
				measure.Ms(measure.Median(d)), measure.Ms(measure.Quantile(d, 0.25)), measure.Ms(measure.Quantile(d, 0.75)), measure.Ms(measure.Median(c)))
		}
		fmt.Println(line)
	}
	if x, w := set["xtel"], set["waymark"]; len(x) > 0 && len(w) > 0 {
		d := measure.Diffs(measure.Walls(x), measure.Walls(w))
		c := measure.Diffs(measure.CPUs(x), measure.CPUs(w))
		fmt.Printf("waymark minus xtel, same round: paired wall %s (p25 %s, p75 %s), paired CPU %s  (aim: at most +0.5 ms)\n",
			measure.Ms(measure.Median(d)), measure.Ms(measure.Quantile(d, 0.25)), measure.Ms(measure.Quantile(d, 0.75)), measure.Ms(measure.Median(c)))
	}
}

// upEndpoint answers every request with 200: an OTLP/HTTP receiver that
// accepted the batch, and an x/telemetry upload server that took the report.
func upEndpoint() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
			w.WriteHeader(http.StatusOK)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

func goIn(dir string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return nil
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// filesUnder lists the regular files under dir, relative to it.
func filesUnder(dir string) []string {
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	return files
}

func contains(files []string, base string) bool {
	for _, f := range files {
		if filepath.Base(f) == base {
			return true
		}
	}
	return false
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func cores() string {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return "? cores"
	}
	return strings.TrimSpace(string(out)) + " cores"
}

func goVersion() string {
	out, _ := exec.Command("go", "version").Output()
	return strings.TrimSpace(string(out))
}

// Command firstrun measures what telemetry adds to an installation's first
// run (the first-run budget: at most +5 ms median over telemetry
// off, fresh HOME): a first run with telemetry on against the same binary's
// first run with <P>_TELEMETRY=off, each in a fresh HOME, interleaved, for
// an endpoint that is up (answers 200), refusing (a released port) and
// black-holed (accepts, never answers). Before each sample it waits until
// no process of an earlier sample (a detached uploader) is left, so no
// uploader competes with the measured run.
//
// Two CLIs: acmectl (examples/cobra, `acmectl hello`) and a real cobra CLI
// fetched from the Go module proxy at run time, yq (`yq -n '.a = 1'`):
// its module is copied to a temporary directory and instrumented with the
// cobra integration by a small generated patch (Instrument and Execute in
// its main, a first_run milestone) plus a replace of this checkout; the
// unpatched yq is built too and shown for information. Nothing of yq is
// kept. It prints the medians and PASS or FAIL per case and exits 1 on a
// FAIL.
//
// Run it from the module root:
//
//	go run ./bench/cmd/firstrun [-samples 31] [-warmup 3] [-yq v4.54.3]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/bench/internal/measure"
)

const firstRunBudget = 5 * time.Millisecond

// cli is one program measured.
type cli struct {
	name    string
	bin     string
	prefix  string   // its environment prefix, such as ACMECTL
	args    []string // a run that is real use
	vanilla string   // the program without Waymark, if built (informational)
}

// endpoint is one collector behaviour.
type endpoint struct {
	name  string
	url   string
	close func()
}

// result is one (CLI, endpoint) case.
type result struct {
	cli, endpoint       string
	on, off, vanilla    time.Duration
	diff, p90, cpuDiff  time.Duration
	samples             int
	waited              time.Duration
	wrote, offWrote, ok bool
}

func main() {
	samples := flag.Int("samples", 31, "timed samples (first run on, first run off) per case, interleaved, after the warm-up")
	warmup := flag.Int("warmup", 3, "untimed samples first")
	yq := flag.String("yq", "v4.54.3", "version of github.com/mikefarah/yq/v4 to fetch and instrument; empty to skip it")
	keep := flag.Bool("keep", false, "keep the temporary directory")
	flag.Parse()
	ok, err := run(*samples, *warmup, *yq, *keep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "firstrun:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(samples, warmup int, yqVersion string, keep bool) (bool, error) {
	if samples < 1 || warmup < 0 || samples > 10000 || warmup > 1000 {
		return false, fmt.Errorf("bad flags: -samples %d -warmup %d", samples, warmup)
	}
	root, err := measure.ModuleRoot()
	if err != nil {
		return false, err
	}
	tmp, cleanup, err := measure.Workdir("firstrun", keep)
	if err != nil {
		return false, err
	}
	defer cleanup()

	// /proc/<pid>/exe names the binary with every symbolic link resolved.
	if tmp, err = filepath.EvalSymlinks(tmp); err != nil {
		return false, err
	}
	acmectl := filepath.Join(tmp, "acmectl")
	fmt.Println("building examples/cobra as", acmectl, "...")
	if err := measure.Build(filepath.Join(root, "examples", "cobra"), ".", acmectl, "-trimpath"); err != nil {
		return false, err
	}
	clis := []cli{{name: "acmectl hello", bin: acmectl, prefix: "ACMECTL", args: []string{"hello"}}}
	if yqVersion != "" {
		yq, err := buildYQ(root, tmp, yqVersion)
		if err != nil {
			return false, err
		}
		clis = append(clis, yq)
	}

	var eps []endpoint
	for _, mk := range []func() (endpoint, error){upEndpoint, refusingEndpoint, blackHole} {
		ep, err := mk()
		if err != nil {
			return false, err
		}
		defer ep.close()
		eps = append(eps, ep)
	}

	// The builds leave the disk writing back and the CPU warm: let both
	// settle, or the first case measures the build.
	exec.Command("sync").Run()
	time.Sleep(3 * time.Second)

	var results []result
	for _, c := range clis {
		for _, ep := range eps {
			fmt.Printf("\n== %s, endpoint %s (%s): %d warm-up + %d timed samples\n", c.name, ep.name, ep.url, warmup, samples)
			r, err := measureCase(c, ep, filepath.Join(tmp, "homes"), samples, warmup)
			if err != nil {
				return false, err
			}
			printResult(r)
			results = append(results, r)
		}
	}

	fmt.Printf("\n== summary: first run (fresh HOME), telemetry on minus <P>_TELEMETRY=off, median of %d interleaved samples (budget +5.000 ms)\n", samples)
	ok := true
	for _, r := range results {
		ok = ok && r.ok
		extra := ""
		if r.vanilla > 0 {
			extra = "  (without Waymark " + measure.MsAbs(r.vanilla) + ")"
		}
		fmt.Printf("%-16s %-12s on %s  off %s  diff %s  (CPU diff %s)  %s%s\n", r.cli, r.endpoint,
			measure.MsAbs(r.on), measure.MsAbs(r.off), measure.Ms(r.diff), measure.Ms(r.cpuDiff), measure.Verdict(r.ok), extra)
	}
	fmt.Printf("firstrun: %s\n", map[bool]string{true: "all budgets PASS", false: "a budget FAILED"}[ok])
	return ok, nil
}

// measureCase times samples pairs of first runs (and the program without
// Waymark, when there is one), each in a fresh HOME, alternating which goes
// first.
func measureCase(c cli, ep endpoint, homes string, samples, warmup int) (result, error) {
	r := result{cli: strings.Fields(c.name)[0], endpoint: ep.name, ok: true}
	var on, off, van []measure.Sample
	n := 0
	fresh := func() (string, error) {
		n++
		home := filepath.Join(homes, fmt.Sprintf("%s-%s-%d", r.cli, strings.ReplaceAll(ep.name, " ", "-"), n))
		return home, os.MkdirAll(home, 0o700)
	}
	wrote, offWrote := true, false
	for i := -warmup; i < samples; i++ {
		kinds := []string{"on", "off"}
		if c.vanilla != "" {
			kinds = append(kinds, "vanilla")
		}
		// Rotate the order so no kind always runs first.
		k := (i + warmup) % len(kinds)
		kinds = append(kinds[k:], kinds[:k]...)
		var sOn, sOff, sVan measure.Sample
		for _, kind := range kinds {
			start := time.Now()
			measure.WaitNoProcess(c.bin, 15*time.Second)
			r.waited += time.Since(start)
			home, err := fresh()
			if err != nil {
				return r, err
			}
			env := measure.Env(home, c.prefix+"_TELEMETRY_ENDPOINT="+ep.url)
			bin := c.bin
			switch kind {
			case "off":
				env = append(env, c.prefix+"_TELEMETRY=off")
			case "vanilla":
				bin = c.vanilla
			}
			s, err := measure.Run(bin, c.args, env, nil)
			if err != nil {
				return r, err
			}
			switch kind {
			case "on":
				sOn = s
				wrote = wrote && hasFiles(home)
			case "off":
				sOff = s
				offWrote = offWrote || hasFiles(home)
			default:
				sVan = s
			}
		}
		if i >= 0 {
			on, off, van = append(on, sOn), append(off, sOff), append(van, sVan)
		}
	}
	measure.WaitNoProcess(c.bin, 15*time.Second)
	r.samples = len(on)
	wOn, wOff := measure.Walls(on), measure.Walls(off)
	d := measure.Diffs(wOff, wOn)
	r.on, r.off, r.diff, r.p90 = measure.Median(wOn), measure.Median(wOff), measure.Median(d), measure.Quantile(d, 0.9)
	r.cpuDiff = measure.Median(measure.Diffs(measure.CPUs(off), measure.CPUs(on)))
	if c.vanilla != "" {
		r.vanilla = measure.Median(measure.Walls(van))
	}
	r.wrote, r.offWrote = wrote, offWrote
	// A first run that recorded nothing measured nothing; one with
	// telemetry off that wrote something is not the baseline.
	r.ok = r.diff <= firstRunBudget && wrote && !offWrote
	return r, nil
}

func printResult(r result) {
	if !r.wrote {
		fmt.Println("INVALID: a first run with telemetry on recorded nothing")
	}
	if r.offWrote {
		fmt.Println("INVALID: a first run with telemetry off wrote under HOME")
	}
	if r.vanilla > 0 {
		fmt.Printf("without Waymark (unpatched build): wall median %s\n", measure.MsAbs(r.vanilla))
	}
	fmt.Printf("waited %v in all for earlier samples' uploaders to finish\n", r.waited.Round(time.Millisecond))
	fmt.Printf("wall median on %s, off %s; paired difference median %s (p90 %s), CPU difference median %s   budget +5.000 ms   %s\n",
		measure.MsAbs(r.on), measure.MsAbs(r.off), measure.Ms(r.diff), measure.Ms(r.p90), measure.Ms(r.cpuDiff), measure.Verdict(r.ok))
}

// hasFiles reports whether anything was written under home.
func hasFiles(home string) bool {
	entries, err := os.ReadDir(home)
	return err == nil && len(entries) > 0
}

// buildYQ fetches yq from the module proxy, copies it to a temporary
// directory, builds it as is, then applies the generated patch that adds
// Waymark through the cobra integration, and builds it again.
func buildYQ(root, tmp, version string) (cli, error) {
	const mod = "github.com/mikefarah/yq/v4"
	fmt.Printf("fetching %s@%s from the module proxy ...\n", mod, version)
	out, err := exec.Command("go", "mod", "download", "-json", mod+"@"+version).Output()
	if err != nil {
		return cli{}, fmt.Errorf("go mod download %s@%s: %w", mod, version, err)
	}
	var dl struct{ Dir, Error string }
	if err := json.Unmarshal(out, &dl); err != nil || dl.Dir == "" {
		return cli{}, fmt.Errorf("go mod download %s@%s: %v %s", mod, version, err, dl.Error)
	}
	src := filepath.Join(tmp, "yq-src")
	if err := copyTree(dl.Dir, src); err != nil {
		return cli{}, err
	}
	c := cli{name: "yq -n '.a = 1'", prefix: "YQ", args: []string{"-n", ".a = 1"}}
	c.vanilla = filepath.Join(tmp, "yq-vanilla")
	fmt.Println("building yq without Waymark as", c.vanilla, "...")
	if err := goIn(src, "build", "-trimpath", "-o", c.vanilla, "."); err != nil {
		return cli{}, err
	}
	if err := patchYQ(root, src, strings.TrimPrefix(version, "v")); err != nil {
		return cli{}, err
	}
	c.bin = filepath.Join(tmp, "yq")
	fmt.Println("building yq with Waymark (cobra integration) as", c.bin, "...")
	if err := goIn(src, "build", "-mod=mod", "-trimpath", "-o", c.bin, "."); err != nil {
		return cli{}, err
	}
	return c, nil
}

// patchYQ is the generated patch: yq's main instruments its root command
// and executes through the integration, a first_run milestone is reached
// when a command finishes, and go.mod points at this checkout.
func patchYQ(root, src, version string) error {
	main := filepath.Join(src, "yq.go")
	data, err := os.ReadFile(main)
	if err != nil {
		return err
	}
	code := string(data)
	for old, repl := range map[string]string{
		"import (\n": "import (\n\t\"github.com/spf13/cobra\"\n\twaymarkcobra \"github.com/waymarkhq/waymark/integrations/cobra\"\n\t\"github.com/waymarkhq/waymark/sdk\"\n",
		"if err := cmd.Execute(); err != nil {": "cobra.OnFinalize(func() { sdk.Milestone(\"first_run\") })\n" +
			"\tif err := waymarkcobra.Instrument(cmd, waymarkConfig()).Execute(); err != nil {",
	} {
		if strings.Count(code, old) != 1 {
			return fmt.Errorf("patch yq.go: %q found %d times, want once (a yq version this patch does not know)", old, strings.Count(code, old))
		}
		code = strings.Replace(code, old, repl, 1)
	}
	code += `
func waymarkConfig() sdk.Config {
	return sdk.Config{
		Product:    "yq",
		Version:    "` + version + `",
		Endpoint:   "http://127.0.0.1:4318",
		Milestones: []string{"first_run"},
	}
}
`
	if err := os.WriteFile(main, []byte(code), 0o644); err != nil {
		return err
	}
	gomod := filepath.Join(src, "go.mod")
	f, err := os.OpenFile(gomod, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "\nrequire (\n\tgithub.com/waymarkhq/waymark v0.0.0\n\tgithub.com/waymarkhq/waymark/integrations/cobra v0.0.0\n)\n\n"+
		"replace (\n\tgithub.com/waymarkhq/waymark => %s\n\tgithub.com/waymarkhq/waymark/integrations/cobra => %s\n)\n",
		root, filepath.Join(root, "integrations", "cobra"))
	return f.Close()
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

// copyTree copies the module cache's read-only tree to dst, writable.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// upEndpoint answers every request with 200, as an OTLP/HTTP receiver that
// accepted the batch.
func upEndpoint() (endpoint, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return endpoint{}, err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
			w.Header().Set("Content-Type", "application/x-protobuf")
			w.WriteHeader(http.StatusOK)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	return endpoint{name: "up", url: "http://" + ln.Addr().String(), close: func() { srv.Close() }}, nil
}

// refusingEndpoint is a loopback port that was just released, so a
// connection is refused at once.
func refusingEndpoint() (endpoint, error) {
	url, err := measure.ReleasedPort()
	return endpoint{name: "refusing", url: url, close: func() {}}, err
}

// blackHole accepts connections and reads whatever comes, but never answers.
func blackHole() (endpoint, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return endpoint{}, err
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			go io.Copy(io.Discard, conn)
		}
	}()
	return endpoint{name: "black-holed", url: "http://" + ln.Addr().String(), close: func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range conns {
			conn.Close()
		}
	}}, nil
}

//go:build wine && linux

package wintest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// corePackages are the packages whose own tests must pass as Windows
// binaries.
var corePackages = []string{"gate", "sdk", "internal/statedir", "internal/store", "internal/export"}

// minShare is the part of a package's tests (as many as Linux runs) that
// must run and pass under Wine, not skip.
const minShare = 0.70

// wineGapFile is added to each test binary through the go command's
// -overlay: Wine 8 does not implement FileDispositionInformationEx, which
// os.RemoveAll uses on Windows since Go 1.25 ("unlinkat …: Invalid
// function"), so t.TempDir's cleanup would fail every test that made a file.
// The flag below makes Go use its own fallback for older Windows (plain
// FileDispositionInfo), which Wine has. It changes how the test binaries
// delete folders, nothing of Waymark's: Waymark's code never removes a
// folder recursively.
const wineGapFile = `package %s

import _ "unsafe"

//go:linkname wineDeleteatFallback internal/syscall/windows.TestDeleteatFallback
var wineDeleteatFallback bool

func init() { wineDeleteatFallback = true }
`

// testBins holds the core packages' test binaries for windows/amd64, built
// by buildTestBinaries; buildErr says why they are not there.
var (
	testBins string
	buildErr error
)

// buildTestBinaries builds the core packages' tests for windows/amd64 in one
// go command, so the packages compile in parallel, each with wineGapFile.
func buildTestBinaries() error {
	testBins = filepath.Join(root, "tests")
	replace := map[string]string{}
	for _, pkg := range corePackages {
		dir := filepath.Join(repo, pkg)
		name, _, err := countTests(dir, "windows")
		if err != nil {
			return err
		}
		gap := filepath.Join(root, strings.ReplaceAll(pkg, "/", "_")+"-winegap.go")
		if err := os.WriteFile(gap, fmt.Appendf(nil, wineGapFile, name), 0o644); err != nil {
			return err
		}
		replace[filepath.Join(dir, "zz_winegap_windows_test.go")] = gap
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": replace})
	overlayFile := filepath.Join(root, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		return err
	}
	if err := os.Mkdir(testBins, 0o755); err != nil {
		return err
	}
	args := []string{"test", "-c", "-o", testBins + "/", "-overlay", overlayFile, "-ldflags=-checklinkname=0"}
	for _, pkg := range corePackages {
		args = append(args, "./"+pkg)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build the core packages' tests for windows: %v\n%s", err, out)
	}
	// go test -c -o DIR/ names each binary after its package's folder.
	for _, pkg := range corePackages {
		from := filepath.Join(testBins, filepath.Base(pkg)+".test.exe")
		if err := os.Rename(from, filepath.Join(testBins, strings.ReplaceAll(pkg, "/", "_")+".test.exe")); err != nil {
			return err
		}
	}
	return nil
}

// tally counts a package's top-level tests by outcome.
type tally struct {
	linux, windows          int // tests compiled for each
	passed, skipped, failed int
	skips, failures         []string
	output                  map[string][]string // per failed test
}

// TestCorePackagesPassAsWindowsBinaries builds each core package's tests
// for windows/amd64, runs them under Wine and requires every test that runs
// to pass and at least minShare of the package's tests to run and pass.
func TestCorePackagesPassAsWindowsBinaries(t *testing.T) {
	// They ran in their own prefix while the other tests of this suite ran.
	<-unitsDone
	results := map[string]*tally{}
	for _, pkg := range corePackages {
		t.Run(strings.ReplaceAll(pkg, "/", "_"), func(t *testing.T) {
			r, err := unitResults[pkg].tally, unitResults[pkg].err
			if err != nil {
				t.Fatal(err)
			}
			results[pkg] = r
			for _, f := range r.failures {
				t.Errorf("%s %s failed under Wine:\n%s", pkg, f, strings.Join(r.output[f], ""))
			}
			if share := float64(r.passed) / float64(r.linux); share < minShare {
				t.Errorf("%s: %d of %d tests ran and passed under Wine (%.0f %%), want at least %.0f %%; skipped: %v",
					pkg, r.passed, r.linux, 100*share, 100*minShare, r.skips)
			}
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s %6s %8s %7s %7s %7s %6s\n", "package", "linux", "windows", "passed", "skipped", "failed", "share")
	for _, pkg := range corePackages {
		if r := results[pkg]; r != nil {
			fmt.Fprintf(&b, "%-18s %6d %8d %7d %7d %7d %5.0f%%\n", pkg, r.linux, r.windows, r.passed, r.skipped, r.failed, 100*float64(r.passed)/float64(r.linux))
		}
	}
	// On stdout, so `make test-windows` shows it without -v.
	fmt.Print("core packages' tests under Wine (top-level tests; share = passed / linux):\n" + b.String())
}

// unitResults holds each core package's outcome once unitsDone is closed.
var (
	unitResults = map[string]struct {
		tally *tally
		err   error
	}{}
	unitsDone = make(chan struct{})
)

// runUnitTests runs the core packages' test binaries one after another in
// the prefix pfx, then closes unitsDone.
func runUnitTests(pfx string) {
	defer close(unitsDone)
	for _, pkg := range corePackages {
		r, err := runPackage(pfx, pkg)
		unitResults[pkg] = struct {
			tally *tally
			err   error
		}{r, err}
	}
}

func runPackage(pfx, pkg string) (*tally, error) {
	dir := filepath.Join(repo, pkg)
	_, linux, err := countTests(dir, "linux")
	if err != nil {
		return nil, err
	}
	_, windows, err := countTests(dir, "windows")
	if err != nil {
		return nil, err
	}
	exe := filepath.Join(testBins, strings.ReplaceAll(pkg, "/", "_")+".test.exe")
	if buildErr != nil {
		return nil, buildErr
	}

	// test2json runs the binary under Wine, in the package's folder (tests
	// read testdata and ../docs from there).
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "tool", "test2json", "-p", pkg, wine, exe, "-test.v=test2json", "-test.count=1", "-test.timeout=7m")
	cmd.Dir = dir
	// Through test2json the Windows binary gets the suite's Wine
	// environment; GOFLAGS and the like are not its business.
	cmd.Env = wineEnvIn(pfx, []string{"GOFLAGS=" + os.Getenv("GOFLAGS")})
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &tally{linux: linux, windows: windows, output: map[string][]string{}}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev struct{ Action, Test, Output string }
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Test == "" {
			continue
		}
		top := ev.Test
		if i := strings.IndexByte(top, '/'); i >= 0 {
			top = top[:i]
		}
		if ev.Action == "output" {
			r.output[top] = append(r.output[top], ev.Output)
			continue
		}
		if ev.Test != top {
			continue
		}
		switch ev.Action {
		case "pass":
			r.passed++
			delete(r.output, top)
		case "skip":
			r.skipped++
			r.skips = append(r.skips, top)
			delete(r.output, top)
		case "fail":
			r.failed++
			r.failures = append(r.failures, top)
		}
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s's tests did not finish under Wine within 8 minutes", pkg)
	}
	if err != nil && r.failed == 0 {
		return nil, fmt.Errorf("%s's test binary under Wine: %v\n%s", pkg, err, stderr.String())
	}
	sort.Strings(r.skips)
	return r, nil
}

// countTests parses the package's test files that build for goos (on amd64)
// and counts what `go test` runs of them: Test and Fuzz functions and
// examples with output. It also returns the package's name.
func countTests(dir, goos string) (string, int, error) {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = goos, "amd64", false
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", 0, err
	}
	fset := token.NewFileSet()
	name, n := "", 0
	var files []*ast.File
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		if ok, err := ctx.MatchFile(dir, e.Name()); err != nil || !ok {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			return "", 0, err
		}
		if !strings.HasSuffix(e.Name(), "_test.go") {
			name = f.Name.Name
			continue
		}
		files = append(files, f)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Type.Params.NumFields() != 1 {
				continue
			}
			if fn.Name.Name != "TestMain" && (isTestName(fn.Name.Name, "Test") || isTestName(fn.Name.Name, "Fuzz")) {
				n++
			}
		}
	}
	for _, ex := range doc.Examples(files...) {
		if ex.Output != "" || ex.EmptyOutput {
			n++
		}
	}
	return name, n, nil
}

// isTestName is the go command's rule: the prefix, then nothing or a
// character that is not a lower-case letter.
func isTestName(name, prefix string) bool {
	if !strings.HasPrefix(name, prefix) {
		return false
	}
	rest := name[len(prefix):]
	return rest == "" || !(rest[0] >= 'a' && rest[0] <= 'z')
}

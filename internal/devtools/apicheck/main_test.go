package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The checked-in list matches the source, and an exported function added to
// sdk fails the check, named in its output.
func TestAddedFunctionFailsTheCheck(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := listAPI(root, publicPackages)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, apiFile))
	if err != nil {
		t.Fatal(err)
	}
	if added, removed := diff(splitLines(string(data)), lines); len(added)+len(removed) != 0 {
		t.Fatalf("%s is out of date: new %q, gone %q (run go run ./internal/devtools/apicheck -w)", apiFile, added, removed)
	}

	// A copy of the public packages with one function more.
	tmp := t.TempDir()
	for _, pkg := range publicPackages {
		if out, err := exec.Command("cp", "-r", filepath.Join(root, pkg), filepath.Join(tmp, pkg)).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v: %s", err, out)
		}
	}
	if err := os.MkdirAll(filepath.Join(tmp, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, apiFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	extra := "package sdk\n\n// Flush is new.\nfunc Flush(n int) error { return nil }\n"
	if err := os.WriteFile(filepath.Join(tmp, "sdk", "flush.go"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", ".", "-C", tmp)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the check passed with a new exported function:\n%s", out)
	}
	if !strings.Contains(string(out), "+ pkg sdk, func Flush(n int) error") {
		t.Fatalf("the check failed without naming the new function:\n%s", out)
	}
}

func TestMethodsOfUnexportedTypesAreNotAPI(t *testing.T) {
	dir := t.TempDir()
	src := `package p

type hidden struct{ Field int }

func (hidden) Exported() {}

// Shown is exported.
type Shown struct {
	A, b int
	hidden
}

func (*Shown) Do(x int) (int, error) { return 0, nil }

const C = 1

var V, w = 1, 2
`
	if err := os.MkdirAll(filepath.Join(dir, "p"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p", "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	lines, err := listAPI(dir, []string{"p"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pkg p, const C",
		"pkg p, method (*Shown) Do(x int) (int, error)",
		"pkg p, type Shown struct",
		"pkg p, type Shown struct, A int",
		"pkg p, type Shown struct, embedded hidden",
		"pkg p, var V",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got := countLine(lines); !strings.HasPrefix(got, "3 ") {
		t.Fatalf("count %q, want 3 (the method, the type and the variable)", got)
	}
}

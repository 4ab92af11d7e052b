// Command apicheck keeps Waymark's public API a visible contract, as the Go
// project's api/*.txt files keep the standard library's. It lists every
// exported name of the core module's public packages (sdk, gate,
// milestones, exporter), one per line, and compares the list with
// api/waymark.txt:
//
//	go run ./internal/devtools/apicheck        # fails, naming each line that differs
//	go run ./internal/devtools/apicheck -w     # rewrites api/waymark.txt
//
// `make check-api` runs the first form, so a change to an exported name
// fails until api/waymark.txt says so in the same commit. It reads the
// source with go/parser and never builds it, so it sees the files of every
// platform at once.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// publicPackages are the core module's packages a vendor imports.
var publicPackages = []string{"sdk", "gate", "milestones", "exporter"}

// apiFile is where the promised list lives, relative to the module root.
const apiFile = "api/waymark.txt"

func main() {
	write := flag.Bool("w", false, "rewrite "+apiFile+" from the source instead of checking it")
	root := flag.String("C", ".", "the module root")
	flag.Parse()

	lines, err := listAPI(*root, publicPackages)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicheck:", err)
		os.Exit(2)
	}
	path := filepath.Join(*root, apiFile)
	if *write {
		err := os.MkdirAll(filepath.Dir(path), 0o755)
		if err == nil {
			err = os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "apicheck:", err)
			os.Exit(2)
		}
		fmt.Printf("apicheck: wrote %s (%d lines, %s)\n", apiFile, len(lines), countLine(lines))
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicheck:", err)
		os.Exit(2)
	}
	added, removed := diff(splitLines(string(data)), lines)
	if len(added)+len(removed) == 0 {
		fmt.Printf("apicheck: the public API matches %s (%s)\n", apiFile, countLine(lines))
		return
	}
	fmt.Fprintf(os.Stderr, "apicheck: the public API differs from %s:\n", apiFile)
	for _, l := range added {
		fmt.Fprintln(os.Stderr, "  + "+l+"   (new in the source)")
	}
	for _, l := range removed {
		fmt.Fprintln(os.Stderr, "  - "+l+"   (in "+apiFile+", gone from the source)")
	}
	fmt.Fprintln(os.Stderr, "If the change is meant, run `go run ./internal/devtools/apicheck -w`, commit "+apiFile+", and say in CHANGELOG.md what it means for vendors.")
	os.Exit(1)
}

// countLine says how many functions, methods, types and variables the list
// exports: the names the public API budget counts (constants and fields are
// not counted).
func countLine(lines []string) string {
	n := 0
	for _, l := range lines {
		_, decl, _ := strings.Cut(l, ", ")
		switch {
		case strings.HasPrefix(decl, "func "), strings.HasPrefix(decl, "method "), strings.HasPrefix(decl, "var "):
			n++
		case strings.HasPrefix(decl, "type ") && !strings.Contains(decl, ", "):
			n++
		}
	}
	return fmt.Sprintf("%d functions, methods, types and variables", n)
}

// listAPI returns the sorted API lines of the packages under root.
func listAPI(root string, pkgs []string) ([]string, error) {
	set := map[string]bool{}
	for _, pkg := range pkgs {
		fset := token.NewFileSet()
		dir := filepath.Join(root, pkg)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := e.Name()
			if e.Type()&fs.ModeType != 0 || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			for _, l := range fileAPI(fset, pkg, f) {
				set[l] = true
			}
		}
	}
	lines := make([]string, 0, len(set))
	for l := range set {
		lines = append(lines, l)
	}
	slices.Sort(lines)
	return lines, nil
}

// fileAPI lists the exported declarations of one file.
func fileAPI(fset *token.FileSet, pkg string, f *ast.File) []string {
	var out []string
	add := func(format string, args ...any) {
		out = append(out, "pkg "+pkg+", "+fmt.Sprintf(format, args...))
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			sig := strings.TrimPrefix(expr(fset, d.Type), "func")
			if d.Recv == nil {
				add("func %s%s", d.Name.Name, sig)
				continue
			}
			recv := expr(fset, d.Recv.List[0].Type)
			if !ast.IsExported(strings.TrimLeft(recv, "*")) {
				continue
			}
			add("method (%s) %s%s", recv, d.Name.Name, sig)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					typeAPI(fset, s, add)
				case *ast.ValueSpec:
					kind := "var"
					if d.Tok == token.CONST {
						kind = "const"
					}
					for _, n := range s.Names {
						if !n.IsExported() {
							continue
						}
						if s.Type != nil {
							add("%s %s %s", kind, n.Name, expr(fset, s.Type))
						} else {
							add("%s %s", kind, n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// typeAPI lists a type and, for a struct or interface, its exported fields
// and methods.
func typeAPI(fset *token.FileSet, s *ast.TypeSpec, add func(string, ...any)) {
	name := s.Name.Name
	switch t := s.Type.(type) {
	case *ast.StructType:
		add("type %s struct", name)
		for _, f := range t.Fields.List {
			for _, n := range f.Names {
				if n.IsExported() {
					add("type %s struct, %s %s", name, n.Name, expr(fset, f.Type))
				}
			}
			if len(f.Names) == 0 { // embedded
				add("type %s struct, embedded %s", name, expr(fset, f.Type))
			}
		}
	case *ast.InterfaceType:
		add("type %s interface", name)
		for _, m := range t.Methods.List {
			for _, n := range m.Names {
				if n.IsExported() {
					add("type %s interface, %s%s", name, n.Name, strings.TrimPrefix(expr(fset, m.Type), "func"))
				}
			}
		}
	default:
		add("type %s %s", name, expr(fset, s.Type))
	}
}

func expr(fset *token.FileSet, e ast.Expr) string {
	var b bytes.Buffer
	printer.Fprint(&b, fset, e)
	return strings.Join(strings.Fields(b.String()), " ")
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// diff returns the lines only in have (added) and only in want (removed).
func diff(want, have []string) (added, removed []string) {
	in := func(list []string) map[string]bool {
		m := map[string]bool{}
		for _, l := range list {
			m[l] = true
		}
		return m
	}
	w, h := in(want), in(have)
	for _, l := range have {
		if !w[l] {
			added = append(added, l)
		}
	}
	for _, l := range want {
		if !h[l] {
			removed = append(removed, l)
		}
	}
	return added, removed
}

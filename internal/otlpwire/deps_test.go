package otlpwire

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Packages whose init cost this package exists to avoid: linking them
// would cost every host program their init time and size.
var forbiddenImports = []string{"google.golang.org/protobuf", "go.opentelemetry.io/proto"}

func isForbidden(path string) bool {
	for _, p := range forbiddenImports {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// nonTestFiles parses the package's own (non-test) Go files.
func nonTestFiles(t *testing.T) map[string]*ast.File {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = f
	}
	if len(files) == 0 {
		t.Fatal("no package files found")
	}
	return files
}

func TestNoProtobufImports(t *testing.T) {
	for name, f := range nonTestFiles(t) {
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if isForbidden(path) {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}

// The transitive closure matters too: a dependency could pull protobuf in.
func TestNoProtobufDeps(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		cmd := exec.Command(goTool, "list", "-deps", ".")
		cmd.Env = append(cmd.Environ(), "GOOS="+goos)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GOOS=%s go list -deps: %v", goos, err)
		}
		for _, path := range strings.Fields(string(out)) {
			if isForbidden(path) {
				t.Errorf("GOOS=%s: depends on %s", goos, path)
			}
		}
	}
}

// Waymark is linked into every run of the host: nothing may run at init.
func TestNoInitWork(t *testing.T) {
	for name, f := range nonTestFiles(t) {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				if d.Tok == token.VAR {
					t.Errorf("%s: package-level var at %d", name, d.Pos())
				}
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.Name == "init" {
					t.Errorf("%s: func init", name)
				}
			}
		}
	}
}

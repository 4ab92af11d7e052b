package schema

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// names is every event, attribute and metric name of the schema.
func names() []string {
	var out []string
	for _, e := range Events {
		out = append(out, e.Name)
		out = append(out, Keys(e.Attrs)...)
	}
	out = append(out, Keys(Resource)...)
	out = append(out, Keys(ServerResource)...)
	for _, m := range Metrics {
		out = append(out, m.Name)
		out = append(out, Keys(m.Attrs)...)
	}
	return out
}

// The schema's names exist once: no Go code outside this package (and
// outside tests) writes one in a string literal, alone or inside a longer
// text such as a query, so a renamed or removed name cannot survive in an
// emitter, a decoder or a query. Such code uses this package's constants.
func TestNoSchemaNameWrittenOutsideTheSchema(t *testing.T) {
	list := names()
	root := filepath.Join("..", "..")
	for _, top := range []string{"sdk", "cmd", "internal", "integrations", "gate", "milestones", "exporter"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name := d.Name(); name == "testdata" || path == filepath.Join(root, "internal", "schema") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				for _, name := range list {
					if containsName(s, name) {
						t.Errorf("%s: the schema name %q is written out; use internal/schema's constant", fset.Position(lit.Pos()), name)
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// containsName reports whether s holds name as a whole name: not as part of
// a longer dotted name or word (so "waymark.milestones" is not
// "waymark.milestone", and "service.name" is not inside "my_service.names").
func containsName(s, name string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		if (start == 0 || !nameByte(s[start-1])) && (end == len(s) || !nameByte(s[end])) {
			return true
		}
		i = start + 1
	}
}

func nameByte(c byte) bool {
	return c == '.' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func TestContainsName(t *testing.T) {
	for _, c := range []struct {
		s, name string
		want    bool
	}{
		{"waymark.milestone", "waymark.milestone", true},
		{`event_name:"waymark.milestone"`, "waymark.milestone", true},
		{"waymark.milestones", "waymark.milestone", false},
		{"app.installation.id:in(", "app.installation.id", true},
		{"my_service.name", "service.name", false},
		{"os.types", "os.type", false},
	} {
		if got := containsName(c.s, c.name); got != c.want {
			t.Errorf("containsName(%q, %q) = %v", c.s, c.name, got)
		}
	}
}

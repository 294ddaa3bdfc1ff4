package strongbox_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestREADMEExampleMatchesExample keeps the README's first code block
// under "## A short example", a complete program, equal to Example in example_test.go (which compiles and runs):
// the same imports, and Example's body as main's, without its // Output:.
func TestREADMEExampleMatchesExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "example_test.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	text := func(n ast.Node) string {
		return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
	}
	var imports, body string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				imports = text(d)
			}
		case *ast.FuncDecl:
			if d.Name.Name == "Example" {
				b := text(d.Body)
				b = strings.TrimSuffix(strings.TrimPrefix(b, "{\n"), "}")
				if i := strings.Index(b, "\t// Output:"); i >= 0 {
					b = b[:i]
				}
				body = b
			}
		}
	}
	if imports == "" || body == "" {
		t.Fatal("example_test.go has no import declaration or no func Example")
	}
	want := "package main\n\n" + imports + "\n\nfunc main() {\n" + body + "}\n"

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)\n## A short example\n.*?```go\n(.*?)```\n").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no Go code block under \"## A short example\"")
	}
	if diff := cmp.Diff(want, string(block[1])); diff != "" {
		t.Errorf("README.md's Go block differs from Example in example_test.go (-example +README):\n%s", diff)
	}
}

// libraryPackages returns the directories of the module's library
// packages: those with a non-test Go file, outside internal, examples,
// scripts, cmd and testdata.
func libraryPackages(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "internal", "examples", "scripts", "cmd", "testdata":
				return filepath.SkipDir
			}
			if path != "." && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dir := filepath.ToSlash(filepath.Dir(path))
			if !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(dirs)
	return dirs
}

// TestDocListsEveryPackage keeps the package list of doc.go complete and
// current: one "//   - path: ..." line per library package.
func TestDocListsEveryPackage(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^//   - ([a-z0-9/]+): `).FindAllSubmatch(src, -1) {
		listed = append(listed, string(m[1]))
	}
	slices.Sort(listed)
	var want []string
	for _, d := range libraryPackages(t) {
		if d != "." {
			want = append(want, d)
		}
	}
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("packages listed in doc.go (-packages in the tree +listed):\n%s", diff)
	}
}

// TestDocsStandAlone: package docs and the docs of exported declarations
// (struct fields and interface methods included) cite nothing outside the
// repository, such as a design document or an issue tracker, which a
// reader of pkg.go.dev does not have.
func TestDocsStandAlone(t *testing.T) {
	outside := regexp.MustCompile(`\bDESIGN\b|[Ii]ssue #\d`)
	seen := map[*ast.CommentGroup]bool{}
	for _, dir := range libraryPackages(t) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := filepath.ToSlash(filepath.Join(dir, e.Name()))
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, cg *ast.CommentGroup) {
				if cg == nil || seen[cg] {
					return
				}
				seen[cg] = true
				if m := outside.FindString(cg.Text()); m != "" {
					t.Errorf("%s: the doc of %s cites something outside the repository: %q", name, what, m)
				}
			}
			check("the package", f.Doc)
			for _, d := range f.Decls {
				exportedDocs(d, check)
			}
		}
	}
}

// exportedDocs calls check with the doc comments of the exported names of
// d, and of the fields and methods of its exported types.
func exportedDocs(d ast.Decl, check func(what string, cg *ast.CommentGroup)) {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Name.IsExported() {
			check(d.Name.Name, d.Doc)
		}
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				if !s.Name.IsExported() {
					continue
				}
				check(s.Name.Name, d.Doc)
				check(s.Name.Name, s.Doc)
				ast.Inspect(s.Type, func(n ast.Node) bool {
					if f, ok := n.(*ast.Field); ok {
						check(s.Name.Name+" (a field or method)", f.Doc)
						check(s.Name.Name+" (a field or method)", f.Comment)
					}
					return true
				})
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.IsExported() {
						check(n.Name, d.Doc)
						check(n.Name, s.Doc)
						check(n.Name, s.Comment)
						break
					}
				}
			}
		}
	}
}

// Package testing_test holds the layering rule of internal/: the test
// harnesses live under internal/testing (fault injection, the leak
// detector, the model test) and import every package; the ground floor
// (errcode, gate, strictjson, redactinput, storehook) is imported by
// every package. So no production file may import a harness: only
// _test.go files, and the harnesses themselves, may.
package testing_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const harnesses = "github.com/strongbox-go/strongbox/internal/testing"

// TestNoProductionImportOfHarness fails if a non-test .go file outside
// internal/testing imports a package under internal/testing.
func TestNoProductionImportOfHarness(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from the test's directory: %v", err)
	}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || rel == "internal/testing") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == harnesses || strings.HasPrefix(p, harnesses+"/") {
				t.Errorf("%s imports test harness %s; only _test.go files may", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files; the walk missed the module", checked)
	}
}

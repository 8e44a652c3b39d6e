// Package graph checks that the module's import graph runs one way: components depend on
// shared code, never shared code on components, and never one component on another.
package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// componentKinds are the top-level folders that hold one component per package tree.
var componentKinds = []string{"receiver", "processor", "exporter", "extension"}

// distribution is the generated collector, the one place that wires components together.
const distribution = "cmd/otelcol-audit"

// unrestricted folders may import anything: test/e2e builds and runs the distribution, and
// test/pipeline chains components in one process.
var unrestricted = []string{"test"}

type pkg struct {
	ImportPath   string
	Dir          string
	Module       *struct{ Path, Dir string }
	GoFiles      []string
	TestGoFiles  []string
	XTestGoFiles []string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// TestImportRules fails on any import, including those of test files, that breaks the rules:
//   - a package under internal/ imports no component;
//   - a component imports no other component (its own subpackages are allowed);
//   - a cmd/ package other than the distribution imports no component.
func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	components := map[string]bool{}
	for _, p := range pkgs {
		if c := component(p.rel); c != "" {
			components[c] = true
		}
	}
	if len(components) == 0 || len(pkgs) < 10 {
		t.Fatalf("go list found %d packages and %d components: the check would prove nothing", len(pkgs), len(components))
	}

	var violations []string
	for _, p := range pkgs {
		if under(p.rel, unrestricted...) {
			continue
		}
		from := component(p.rel)
		for _, imp := range p.imports {
			to := component(imp)
			if to == "" {
				continue
			}
			switch {
			case under(p.rel, "internal"):
				violations = append(violations, p.rel+" imports component "+imp+": shared code must not depend on a component")
			case from != "" && from != to:
				violations = append(violations, p.rel+" imports component "+imp+": components must not import each other; share code through internal/")
			case under(p.rel, "cmd") && !under(p.rel, distribution):
				violations = append(violations, p.rel+" imports component "+imp+": tools other than the distribution must not import components; share code through internal/")
			}
		}
	}
	for _, v := range violations {
		t.Error(v)
	}
}

func TestComponentOf(t *testing.T) {
	tests := map[string]string{
		"exporter/auditlokiexporter":                   "exporter/auditlokiexporter",
		"exporter/auditlokiexporter/internal/metadata": "exporter/auditlokiexporter",
		"extension/auditeventsextension":               "extension/auditeventsextension",
		"internal/selfaudit":                           "",
		"cmd/lokireplay":                               "",
		"receiver":                                     "",
		"test/e2e":                                     "",
	}
	for rel, want := range tests {
		if got := component(rel); got != want {
			t.Errorf("component(%q) = %q, want %q", rel, got, want)
		}
	}
	if !under("cmd/otelcol-audit", distribution) || under("cmd/otelcol-auditx", distribution) {
		t.Error("under must match whole path segments")
	}
}

// listedPackage is a package of the module by its path relative to the module root, with the
// module's packages it imports (from its own files and from its tests), relative too.
type listedPackage struct {
	rel     string
	imports []string
}

// listPackages runs go list on every package of the module.
func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	dir := filepath.Dir(strings.TrimSpace(string(root)))
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Dir,Module,GoFiles,TestGoFiles,XTestGoFiles,Imports,TestImports,XTestImports,Error", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if p.Error != nil {
			t.Errorf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		if p.Module == nil {
			t.Fatalf("go list %s: no module", p.ImportPath)
		}
		prefix := p.Module.Path + "/"
		rel, ok := strings.CutPrefix(p.ImportPath, prefix)
		if !ok {
			continue // the module root package, if any, is neither shared code nor a component
		}
		lp := listedPackage{rel: rel}
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			if r, ok := strings.CutPrefix(imp, prefix); ok && !slices.Contains(lp.imports, r) {
				lp.imports = append(lp.imports, r)
			}
		}
		pkgs = append(pkgs, lp)
		for _, f := range slices.Concat(p.GoFiles, p.TestGoFiles, p.XTestGoFiles) {
			// go test caches a result by the files the test itself opens, not those go list
			// reads: opening them here makes an edited import rerun the check.
			if _, err := os.ReadFile(filepath.Join(p.Dir, f)); err != nil {
				t.Fatal(err)
			}
		}
	}
	trackDirectories(t, dir)
	return pkgs
}

// trackDirectories lists every directory of the module, so that go test's cache also sees a
// new package or file.
func trackDirectories(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// component returns the component a package belongs to ("exporter/auditlokiexporter" for
// exporter/auditlokiexporter/internal/metadata), or "" for a package outside the component
// folders.
func component(rel string) string {
	kind, rest, ok := strings.Cut(rel, "/")
	if !ok || !slices.Contains(componentKinds, kind) {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return kind + "/" + name
}

// under reports whether rel is one of dirs or inside one of them.
func under(rel string, dirs ...string) bool {
	for _, d := range dirs {
		if rel == d || strings.HasPrefix(rel, d+"/") {
			return true
		}
	}
	return false
}

package importrules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Listed is a package as `go list -json` describes it, the paths made
// relative to the module.
type Listed struct {
	Package
	// Dir is the package's directory.
	Dir string
	// Files are its Go files; TestFiles its tests'.
	Files, TestFiles []string
}

// listJSON is the part of `go list -json`'s output used here.
type listJSON struct {
	ImportPath   string
	Dir          string
	Module       *struct{ Path, Dir string }
	GoFiles      []string
	CgoFiles     []string
	TestGoFiles  []string
	XTestGoFiles []string
	Imports      []string
	Deps         []string
	TestImports  []string
	XTestImports []string
}

// List runs `go list -json ./...` in the module holding dir and returns
// the module's packages and its root directory.
func List(dir string) ([]Listed, string, error) {
	env := exec.Command("go", "env", "GOMOD")
	env.Dir = dir
	gomod, err := env.Output()
	if err != nil {
		return nil, "", fmt.Errorf("go env GOMOD in %s: %w (install Go)", dir, err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return nil, "", fmt.Errorf("%s is in no Go module: run the test in a clone of dockmr", dir)
	}
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("go list -json ./... in %s: %w: %s (fix the package go list names)", root, err, stderr.String())
	}
	return decodeList(&stdout)
}

// decodeList reads go list's stream of JSON objects.
func decodeList(r io.Reader) ([]Listed, string, error) {
	var out []Listed
	var module, root string
	dec := json.NewDecoder(r)
	for {
		var p listJSON
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", fmt.Errorf("decode go list's output: %w", err)
		}
		if p.Module == nil {
			return nil, "", fmt.Errorf("go list: package %s is in no module; run from a clone of the module", p.ImportPath)
		}
		module, root = p.Module.Path, p.Module.Dir
		out = append(out, Listed{
			Package:   Package{Path: rel(module, p.ImportPath)},
			Dir:       p.Dir,
			Files:     append(p.GoFiles, p.CgoFiles...),
			TestFiles: append(append([]string{}, p.TestGoFiles...), p.XTestGoFiles...),
		})
		last := &out[len(out)-1]
		last.Imports = inModule(module, p.Imports)
		last.Deps = inModule(module, p.Deps)
		last.TestImports = testImports(module, append(p.TestImports, p.XTestImports...))
	}
	if len(out) == 0 {
		return nil, "", errors.New("go list found no packages")
	}
	return out, root, nil
}

// rel is an import path relative to the module, "." for its root.
func rel(module, path string) string {
	if path == module {
		return "."
	}
	return strings.TrimPrefix(path, module+"/")
}

// inModule keeps the module's own paths, made relative.
func inModule(module string, paths []string) []string {
	var out []string
	for _, p := range paths {
		if p == module || strings.HasPrefix(p, module+"/") {
			out = append(out, rel(module, p))
		}
	}
	return out
}

// testImports keeps the module's paths, made relative, and other
// modules' whole, leaving out the standard library's.
func testImports(module string, paths []string) []string {
	out := inModule(module, paths)
	for _, p := range paths {
		if external(p) && !strings.HasPrefix(p, module+"/") && p != module {
			out = append(out, p)
		}
	}
	return out
}

// HasDoc reports whether a file of the package has a package doc
// comment; a package of tests alone may carry it in a test file.
func HasDoc(p Listed) (bool, error) {
	files := p.Files
	if len(files) == 0 {
		files = p.TestFiles
	}
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(p.Dir, name), nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return false, fmt.Errorf("parse %s: %w", name, err)
		}
		if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
			return true, nil
		}
	}
	return false, nil
}

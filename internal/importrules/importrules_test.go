package importrules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shoenig/test/must"
)

// module lists the module's packages once for every test.
var module = sync.OnceValues(func() (listing, error) {
	pkgs, root, err := List(".")
	return listing{pkgs, root}, err
})

type listing struct {
	pkgs []Listed
	root string
}

func listT(t *testing.T) listing {
	t.Helper()
	l, err := module()
	must.NoError(t, err)
	return l
}

func (l listing) packages() []Package {
	out := make([]Package, len(l.pkgs))
	for i, p := range l.pkgs {
		out[i] = p.Package
	}
	return out
}

func (l listing) paths() []string {
	out := make([]string, len(l.pkgs))
	for i, p := range l.pkgs {
		out[i] = p.Path
	}
	return out
}

func TestImportDirections(t *testing.T) {
	l := listT(t)
	for _, v := range Check(l.packages(), Rules) {
		t.Error(v)
	}
}

func TestLayers(t *testing.T) {
	for _, line := range CheckLayers(listT(t).packages(), Layers) {
		t.Error(line)
	}
}

func TestCheckLayersFindsUpwardAndCrossImports(t *testing.T) {
	layers := map[string]Layer{
		"cmd/dockmr": {JobSide, 0}, "jobs": {JobSide, 3}, "jobs/task": {JobSide, 2},
		"driver": {DriverSide, 1}, "contract": {Shared, 5}, "gone": {JobSide, 1},
	}
	pkgs := []Package{
		{Path: "cmd/dockmr", Imports: []string{"jobs", "contract"}},
		{Path: "jobs", Imports: []string{"jobs/task", "contract"}},
		{Path: "jobs/task", Imports: []string{"driver"}},
		{Path: "driver", Imports: []string{"contract", "internal/testbin"}},
		{Path: "contract"},
		{Path: "newpkg"},
		{Path: "internal/testbin"},
	}
	got := CheckLayers(pkgs, layers)
	must.Len(t, 4, got, must.Sprintf("%q", got))
	must.StrContains(t, got[0], "Layers places gone, which is no package")
	must.StrContains(t, got[1], "jobs (job side, row 3) imports jobs/task (job side, row 2)")
	must.StrContains(t, got[2], "jobs/task (job side, row 2) imports driver (driver side, row 1)")
	must.StrContains(t, got[3], "package newpkg has no place in Layers")
}

func TestRulesBindSomething(t *testing.T) {
	for _, line := range Vacuous(listT(t).packages(), Rules) {
		t.Error(line, "(a package was renamed or removed: update internal/importrules/rules.go)")
	}
}

func TestEveryPackageHasADocComment(t *testing.T) {
	for _, p := range listT(t).pkgs {
		ok, err := HasDoc(p)
		must.NoError(t, err)
		if !ok {
			t.Errorf("package %s has no package doc comment: add one (a doc.go) saying what it holds", p.Path)
		}
	}
}

func TestReadmeLayoutListsEveryPackage(t *testing.T) {
	l := listT(t)
	listed := table(t, l.root, "README.md", "## Layout")
	for _, p := range l.paths() {
		if !slices.Contains(listed, p) {
			t.Errorf("package %s has no row in README.md's layout table: add `%s/` to the first column", p, p)
		}
	}
	for _, path := range listed {
		if _, err := os.Stat(filepath.Join(l.root, path)); err != nil {
			t.Errorf("README.md's layout table names %s, which is gone: %v", path, err)
		}
	}
}

func TestArchitectureMapsEveryPackage(t *testing.T) {
	l := listT(t)
	listed := table(t, l.root, filepath.Join("docs", "architecture.md"), "## Package map")
	for _, p := range l.paths() {
		if !slices.Contains(listed, p) {
			t.Errorf("package %s has no row in docs/architecture.md's package map: add one line saying what it holds", p)
		}
	}
	for _, path := range listed {
		if !slices.Contains(l.paths(), path) {
			t.Errorf("docs/architecture.md's package map names %s, which is no package", path)
		}
	}
}

// table reads the first column of the table under heading in the file.
func table(t *testing.T, root, file, heading string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, file))
	must.NoError(t, err)
	listed, err := FirstColumn(string(b), heading)
	must.NoError(t, err, must.Sprint(file))
	return listed
}

// The checks themselves, on made-up packages: each must catch what it
// is there for.

func TestMatch(t *testing.T) {
	must.True(t, Match("...", "jobs/local"))
	must.True(t, Match("jobs/...", "jobs"))
	must.True(t, Match("jobs/...", "jobs/local"))
	must.False(t, Match("jobs/...", "jobsx"))
	must.True(t, Match("tera", "tera"))
	must.False(t, Match("tera", "tera/x"))
	must.False(t, Match("...", "github.com/docker/docker/client"), must.Sprint("another module's package"))
	must.True(t, Match("github.com/docker/docker/client", "github.com/docker/docker/client"))
}

func TestCheckFindsBrokenDirections(t *testing.T) {
	pkgs := []Package{
		{Path: "contract"},
		{Path: "tera", Deps: []string{"contract"}},
		{Path: "jobs", Deps: []string{"tera", "driver"}},
		{Path: "driver", Deps: []string{"contract", "driver/cgstats"}},
		{Path: "driver/cgstats"},
		{Path: "plugin", Deps: []string{"driver", "internal/testimage"}},
		{Path: "internal/testimage"},
		{Path: "jobs/local", TestImports: []string{"internal/testbin", "internal/testimage", "github.com/docker/docker/client", "github.com/shoenig/test/must"}},
		{Path: "internal/testbin"},
		{Path: "e2e/faults", TestImports: []string{"internal/testimage", "devcluster"}},
		{Path: "driver/x", TestImports: []string{"e2e/nomadtest"}},
		{Path: "e2e/nomadtest"},
		{Path: "devcluster", Deps: []string{"contract"}},
	}
	var got []string
	for _, v := range Check(pkgs, Rules) {
		got = append(got, v.From+" -> "+v.Import+": "+v.Rule.Name)
		must.StrContains(t, v.String(), v.Rule.Why)
	}
	must.SliceContainsAll(t, []string{
		"tera -> contract: leaves import nothing of dockmr",
		"jobs -> driver: the job runner never imports the driver",
		"plugin -> internal/testimage: nothing that ships imports test code",
		"jobs/local -> internal/testimage: only system tests use the system-test helpers",
		"jobs/local -> github.com/docker/docker/client: only system tests use the system-test helpers",
		"driver/x -> e2e/nomadtest: only system tests use the system-test helpers",
	}, got)
}

func TestVacuousNamesRulesThatBindNothing(t *testing.T) {
	rules := []Rule{{Name: "r", From: []string{"gone"}, Deny: []string{"..."}}}
	must.Eq(t, []string{`rule "r": From pattern "gone" matches no package`}, Vacuous([]Package{{Path: "jobs"}}, rules))
}

func TestFirstColumn(t *testing.T) {
	md := strings.Join([]string{
		"# t", "## Layout", "", "Text `not/this`.", "",
		"| path | what |", "|---|---|",
		"| `jobs/`, `jobs/local/` | the `runner/` |",
		"| `docs/` | docs |", "",
		"| `later/` | another table |",
		"## Next", "| `next/` | x |",
	}, "\n")
	got, err := FirstColumn(md, "## Layout")
	must.NoError(t, err)
	must.Eq(t, []string{"jobs", "jobs/local", "docs"}, got)
	_, err = FirstColumn(md, "## Package map")
	must.ErrorContains(t, err, `no heading "## Package map"`)
	_, err = FirstColumn("## Package map\n\ntext\n## Other\n| `x` |", "## Package map")
	must.ErrorContains(t, err, `no table under the heading "## Package map"`)
}

func TestHasDoc(t *testing.T) {
	dir := t.TempDir()
	must.NoError(t, os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a\n"), 0o644))
	must.NoError(t, os.WriteFile(filepath.Join(dir, "b.go"), []byte("// Package a does a.\npackage a\n"), 0o644))
	must.NoError(t, os.WriteFile(filepath.Join(dir, "a_test.go"), []byte("// Package a does a.\npackage a\n"), 0o644))
	ok, err := HasDoc(Listed{Dir: dir, Files: []string{"a.go"}, TestFiles: []string{"a_test.go"}})
	must.NoError(t, err)
	must.False(t, ok, must.Sprint("a package with Go files must carry its doc in one of them"))
	ok, err = HasDoc(Listed{Dir: dir, Files: []string{"a.go", "b.go"}})
	must.NoError(t, err)
	must.True(t, ok)
	ok, err = HasDoc(Listed{Dir: dir, TestFiles: []string{"a_test.go"}})
	must.NoError(t, err)
	must.True(t, ok, must.Sprint("a package of tests alone carries its doc in a test file"))
}

package terajob_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/internal/testbin"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/local"
	"github.com/dockmr/dockmr/jobs/terajob"
	"github.com/dockmr/dockmr/tera"
)

var runner *local.Runner

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dockmr-terajob-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, err := testbin.Build(dir, "github.com/dockmr/dockmr/cmd/dockmr-task", "dockmr-task")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runner = &local.Runner{Command: []string{bin}, Parallel: 2}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// planner is what Gen, Sort and Validate have in common.
type planner interface{ Plan() (*jobs.Plan, error) }

func run(t *testing.T, p planner) *jobs.Result {
	t.Helper()
	plan, err := p.Plan()
	if err != nil {
		t.Fatal(err)
	}
	res, err := jobs.Run(context.Background(), runner, plan)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TeraGen, TeraSort and TeraValidate in a row: the sort is validated and
// keeps the generated checksum, in both formats.
func TestGenSortValidate(t *testing.T) {
	for _, format := range []tera.Format{tera.Binary, tera.ASCII} {
		t.Run(format.String(), func(t *testing.T) {
			dir := t.TempDir()
			in, out, report := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "report")
			gen := run(t, terajob.Gen{Rows: 50000, Format: format, Output: in, Maps: 3})
			sorted := run(t, terajob.Sort{Input: []string{in}, Output: out, Maps: 4, Reduces: 3})
			if sorted.Checksum != gen.Checksum || sorted.Reduce.RecordsOut != 50000 {
				t.Errorf("terasort wrote %d records with checksum %s; teragen wrote 50000 with %s",
					sorted.Reduce.RecordsOut, sorted.Checksum, gen.Checksum)
			}
			parts, _ := filepath.Glob(filepath.Join(out, "part-r-*"))
			if len(parts) != 3 {
				t.Errorf("terasort wrote %d part files, want 3", len(parts))
			}
			run(t, terajob.Validate{Input: []string{out}, Output: report, Maps: 5})
			rep, err := terajob.ReadReport(report)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() || rep.Checksum != gen.Checksum.Checksum {
				t.Errorf("teravalidate: checksum %s, errors %q; want %s and none", rep.Checksum, rep.Errors, gen.Checksum)
			}
		})
	}
}

// TeraValidate finds misorders within a split, across splits of a file,
// and across files, whatever the number of maps.
func TestValidateFindsMisorders(t *testing.T) {
	dir := t.TempDir()
	sorted := filepath.Join(dir, "sorted")
	run(t, terajob.Sort{Input: []string{writeRows(t, dir, 3000)}, Output: sorted, Maps: 2, Reduces: 2})
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, a, b string)
		want  string
	}{
		{"sorted", func(*testing.T, string, string) {}, ""},
		{"records swapped", func(t *testing.T, a, _ string) { swapRecords(t, a, 10, 11) }, "misorder in %[1]s: record 11"},
		{"split boundary", func(t *testing.T, a, _ string) {
			r := splitBoundary(t, filepath.Dir(a), a)
			swapRecords(t, a, r-1, r)
		}, "misorder in %[1]s"},
		{"files swapped", func(t *testing.T, a, b string) {
			for _, mv := range [][2]string{{a, a + ".x"}, {b, a}, {a + ".x", b}} {
				if err := os.Rename(mv[0], mv[1]); err != nil {
					t.Fatal(err)
				}
			}
		}, "misorder between %[1]s and %[2]s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := copyDir(t, sorted)
			a, b := filepath.Join(in, "part-r-00000"), filepath.Join(in, "part-r-00001")
			tc.spoil(t, a, b)
			for _, maps := range []int{1, 4} {
				report := filepath.Join(t.TempDir(), "report")
				run(t, terajob.Validate{Input: []string{in}, Output: report, Maps: maps})
				rep, err := terajob.ReadReport(report)
				if err != nil {
					t.Fatal(err)
				}
				want := fmt.Sprintf(tc.want, a, b)
				if tc.want == "" && !rep.OK() {
					t.Errorf("maps %d: errors %q in sorted output", maps, rep.Errors)
				}
				if tc.want != "" && (rep.OK() || !strings.Contains(strings.Join(rep.Errors, "\n"), want)) {
					t.Errorf("maps %d: errors %q do not say %q", maps, rep.Errors, want)
				}
			}
		})
	}
}

// copyDir copies the part files of a directory into a new one.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	to := t.TempDir()
	parts, _ := filepath.Glob(filepath.Join(dir, "part-*"))
	for _, p := range parts {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// splitBoundary returns the first record of the second split of a file
// when validating dir in 4 maps.
func splitBoundary(t *testing.T, dir, file string) int {
	t.Helper()
	plan, err := terajob.Validate{Input: []string{dir}, Output: filepath.Join(t.TempDir(), "r"), Maps: 4}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range plan.Splits {
		if s.Path == file && s.Offset > 0 {
			return int(s.Offset / tera.RecordSize)
		}
	}
	t.Fatalf("%s has one split in 4 maps", file)
	return 0
}

// writeRows writes rows [0, rows) of TeraGen's records to a file in dir.
func writeRows(t *testing.T, dir string, rows uint64) string {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "rows"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := tera.GenerateTo(f, tera.Binary, 0, rows, nil); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// swapRecords swaps records i and j of a file, which must differ in key.
func swapRecords(t *testing.T, path string, i, j int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ri, rj := b[i*tera.RecordSize:(i+1)*tera.RecordSize], b[j*tera.RecordSize:(j+1)*tera.RecordSize]
	tmp := append([]byte(nil), ri...)
	copy(ri, rj)
	copy(rj, tmp)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

package jobs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/tera"
)

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func teraJob(in []string, out string, maps int) Job {
	return Job{Name: "sort", Input: Input{Paths: in, Records: TeraRecords}, Output: out,
		Map: Phase{Func: Identity, Tasks: maps}, Reduce: &Phase{Func: Identity, Tasks: 1}}
}

func TestTeraSplitsAreWholeRecordsCoveringEachFile(t *testing.T) {
	dir := t.TempDir()
	sizes := map[string]int{"a": 1000, "b": 0, "c": 7, "d": 333}
	for name, records := range sizes {
		write(t, filepath.Join(dir, name), make([]byte, records*tera.RecordSize))
	}
	write(t, filepath.Join(dir, "_SUCCESS"), []byte("not input"))
	write(t, filepath.Join(dir, ".hidden"), []byte("not input"))
	write(t, filepath.Join(dir, "sub", "x"), []byte("not input"))
	for _, maps := range []int{0, 1, 2, 5, 13, 2000} {
		plan, err := NewPlan(teraJob([]string{dir}, filepath.Join(t.TempDir(), "out"), maps))
		if err != nil {
			t.Fatal(err)
		}
		next := map[string]int64{}
		for _, s := range plan.Splits {
			name := filepath.Base(s.Path)
			if s.Length <= 0 || s.Length%tera.RecordSize != 0 || s.Offset != next[name] {
				t.Fatalf("maps %d: split %+v is not the next whole records of %s", maps, s, name)
			}
			next[name] += s.Length
		}
		for name, records := range sizes {
			if next[name] != int64(records*tera.RecordSize) {
				t.Errorf("maps %d: splits cover %d bytes of %s, want all %d", maps, next[name], name, records*tera.RecordSize)
			}
		}
		if len(next) != 3 {
			t.Errorf("maps %d: splits of %d files, want a, c and d only", maps, len(next))
		}
		if plan.Job.Map.Tasks != len(plan.Splits) {
			t.Errorf("maps %d: %d map tasks for %d splits", maps, plan.Job.Map.Tasks, len(plan.Splits))
		}
		if maps > 0 && maps <= 3 && len(plan.Splits) > maps+3 {
			t.Errorf("maps %d: %d splits", maps, len(plan.Splits))
		}
	}
}

func TestLineSplitsStartAtLines(t *testing.T) {
	var b bytes.Buffer
	var lines []string
	for i := range 500 {
		l := fmt.Sprintf("line %d %s", i, strings.Repeat("x", (i*37)%200))
		if i == 250 {
			l = strings.Repeat("long", 20000) // longer than a split
		}
		lines = append(lines, l)
		b.WriteString(l + "\n")
	}
	b.WriteString("last line without newline")
	lines = append(lines, "last line without newline")
	in := filepath.Join(t.TempDir(), "in.txt")
	write(t, in, b.Bytes())
	for _, maps := range []int{1, 2, 3, 10, 64, 1000} {
		plan, err := NewPlan(Job{Name: "l", Input: Input{Paths: []string{in}, Records: Lines},
			Output: filepath.Join(t.TempDir(), "out"), Map: Phase{Func: Identity, Tasks: maps}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var next int64
		for _, s := range plan.Splits {
			if s.Offset != next {
				t.Fatalf("maps %d: split %+v does not start where the last ended (%d)", maps, s, next)
			}
			if s.Offset > 0 && b.Bytes()[s.Offset-1] != '\n' {
				t.Fatalf("maps %d: split %+v starts within a line", maps, s)
			}
			next = s.Offset + s.Length
			got = append(got, strings.Split(strings.TrimSuffix(string(b.Bytes()[s.Offset:next]), "\n"), "\n")...)
		}
		if next != int64(b.Len()) || strings.Join(got, "\n") != strings.Join(lines, "\n") {
			t.Errorf("maps %d: splits do not hold every line once", maps)
		}
	}
}

func TestRowSplitsTileRows(t *testing.T) {
	for _, maps := range []int{1, 3, 7, 20} {
		plan, err := NewPlan(Job{Name: "g", Input: Input{Rows: 10}, Output: filepath.Join(t.TempDir(), "o"),
			Map: Phase{Func: TeraGen, Tasks: maps, Format: "binary"}})
		if err != nil {
			t.Fatal(err)
		}
		var next uint64
		for i, s := range plan.Splits {
			start, end := tera.RowRange(10, maps, i)
			if s.FirstRow != start || s.Rows != end-start || s.FirstRow != next {
				t.Errorf("maps %d: split %d is rows %d+%d, want [%d, %d)", maps, i, s.FirstRow, s.Rows, start, end)
			}
			next += s.Rows
		}
		if next != 10 || len(plan.Splits) != maps {
			t.Errorf("maps %d: %d splits cover %d rows", maps, len(plan.Splits), next)
		}
	}
}

func TestNewPlanRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "empty-files", "a"), nil)
	write(t, filepath.Join(dir, "empty-files", "b"), nil)
	write(t, filepath.Join(dir, "hidden-only", "_SUCCESS"), nil)
	write(t, filepath.Join(dir, "ragged"), make([]byte, 250))
	write(t, filepath.Join(dir, "good", "part-0"), make([]byte, 200))
	if err := os.Mkdir(filepath.Join(dir, "nothing"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, in, out, want string
	}{
		{"missing", "missing", "out", "input " + filepath.Join(dir, "missing") + " does not exist"},
		{"empty dir", "nothing", "out", "holds no input files"},
		{"hidden only", "hidden-only", "out", "holds no input files"},
		{"empty files", "empty-files", "out", "is empty: no file holds any bytes"},
		{"ragged", "ragged", "out", "size 250 bytes is not a multiple of the 100-byte record (50 bytes over)"},
		{"output is input", "good", "good", "would overwrite input file"},
		{"output holds input", "good/part-0", "good", "would overwrite input file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPlan(teraJob([]string{filepath.Join(dir, tc.in)}, filepath.Join(dir, tc.out), 0))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v does not say %q", err, tc.want)
			}
		})
	}
}

func TestPlanFileRoundTrips(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in")
	write(t, in, make([]byte, 1000))
	job := teraJob([]string{in}, filepath.Join(t.TempDir(), "out"), 2)
	job.Reduce.Tasks = 2
	job.Partitioner = Partitioner{Kind: TotalOrder, Cuts: [][]byte{[]byte("0123456789")}}
	plan, err := NewPlan(job)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(plan.StagingDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := plan.write(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPlan(plan.PlanFile())
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != plan.ID || len(got.Splits) != len(plan.Splits) || !bytes.Equal(got.Job.Partitioner.Cuts[0], []byte("0123456789")) ||
		got.Job.Settings != plan.Job.Settings {
		t.Errorf("read plan %+v differs from the written %+v", got, plan)
	}
	write(t, plan.PlanFile(), []byte(`{"version": 99}`))
	if _, err := ReadPlan(plan.PlanFile()); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("reading a plan of another version: %v", err)
	}
}

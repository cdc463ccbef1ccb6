package task

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/tera"
)

// teraInput writes rows [0, rows) in format as files of rowsPerFile rows
// and returns their directory and checksum.
func teraInput(t *testing.T, format tera.Format, rows, rowsPerFile uint64) (string, tera.Checksum) {
	t.Helper()
	dir := t.TempDir()
	var sum tera.Checksum
	for start, i := uint64(0), 0; start < rows; start, i = start+rowsPerFile, i+1 {
		var b bytes.Buffer
		if err := tera.GenerateTo(&b, format, start, min(start+rowsPerFile, rows), &sum); err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, fmt.Sprintf("in-%03d", i), b.Bytes())
	}
	return dir, sum
}

// teraSortJob returns a TeraSort job over dir with sampled cut points.
func teraSortJob(t *testing.T, in, out string, maps, reduces int, s jobs.Settings) jobs.Job {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(in, "in-*"))
	keys, err := tera.SampleKeys(paths, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return jobs.Job{
		Name:        "terasort",
		Input:       jobs.Input{Paths: []string{in}, Records: jobs.TeraRecords},
		Output:      out,
		Map:         jobs.Phase{Func: jobs.Identity, Tasks: maps},
		Reduce:      &jobs.Phase{Func: jobs.Identity, Tasks: reduces},
		Partitioner: jobs.Partitioner{Kind: jobs.TotalOrder, Cuts: tera.CutPoints(keys, reduces)},
		Settings:    s,
	}
}

// sortedInput returns the records of the input files, sorted.
func sortedInput(t *testing.T, dir string) []byte {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "in-*"))
	var all []byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	tera.SortRecords(all)
	return all
}

func TestTeraSortInMemory(t *testing.T) {
	for _, format := range []tera.Format{tera.Binary, tera.ASCII} {
		t.Run(format.String(), func(t *testing.T) {
			in, sum := teraInput(t, format, 20000, 7000)
			out := filepath.Join(t.TempDir(), "out")
			res, plan, err := runJob(t, &inProcess{t: t}, teraSortJob(t, in, out, 3, 4, jobs.Settings{}))
			if err != nil {
				t.Fatal(err)
			}
			checkTeraSorted(t, out, sum, 20000)
			if !bytes.Equal(readParts(t, out), sortedInput(t, in)) {
				t.Error("output is not the input sorted")
			}
			if maps := plan.Tasks(jobs.MapTask); res.Map.Spills != uint64(maps) {
				t.Errorf("map spills = %d, want one per map (%d)", res.Map.Spills, maps)
			}
		})
	}
}

// A reduce partition of 8 MB goes through maps and a reduce bound to 1 MiB
// each: every map spills more than once and merges its spills, and the
// reduce merges its runs in several passes.
func TestTeraSortThroughSpillsAndMerges(t *testing.T) {
	in, sum := teraInput(t, tera.Binary, 80000, 16000)
	out := filepath.Join(t.TempDir(), "out")
	job := teraSortJob(t, in, out, 5, 1, jobs.Settings{SortMB: 1, MergeFactor: 3})
	res, _, err := runJob(t, &inProcess{t: t}, job)
	if err != nil {
		t.Fatal(err)
	}
	checkTeraSorted(t, out, sum, 80000)
	if !bytes.Equal(readParts(t, out), sortedInput(t, in)) {
		t.Error("output is not the input sorted")
	}
	if res.Map.Spills < 10 {
		t.Errorf("map spills = %d; 5 maps of 1.6 MB with 1 MiB of sort memory should spill twice each", res.Map.Spills)
	}
	if res.Reduce.Spills == 0 {
		t.Error("the reduce merged 5 runs with a merge factor of 3 in one pass")
	}
}

// checkTeraSorted validates an output directory and its checksum.
func checkTeraSorted(t *testing.T, out string, sum tera.Checksum, records uint64) {
	t.Helper()
	rep, err := tera.ValidateDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("output is not sorted: %q", rep.Errors)
	}
	if rep.Sum != sum || rep.Records != records {
		t.Errorf("output has %d records with checksum %s, want %d with %s", rep.Records, rep.Sum, records, sum)
	}
}

// Line records with a hash partitioner go through the generic sort buffer:
// each reduce gets all records of its keys, sorted, and no key is split
// across reduces.
func TestLinesThroughSpillsWithHashPartitions(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var in bytes.Buffer
	var lines []string
	for i := range 200000 {
		l := fmt.Sprintf("key%04d\tvalue %d", rng.IntN(5000), i)
		lines = append(lines, l)
		in.WriteString(l + "\n")
	}
	dir := t.TempDir()
	writeFile(t, dir, "in.txt", in.Bytes())
	out := filepath.Join(t.TempDir(), "out")
	res, _, err := runJob(t, &inProcess{t: t}, jobs.Job{
		Name:     "lines",
		Input:    jobs.Input{Paths: []string{dir}, Records: jobs.Lines},
		Output:   out,
		Map:      jobs.Phase{Func: jobs.Identity, Tasks: 3},
		Reduce:   &jobs.Phase{Func: jobs.Identity, Tasks: 3},
		Settings: jobs.Settings{SortMB: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Map.Spills <= 3 {
		t.Errorf("map spills = %d; 1.4 MB per map with 1 MiB of sort memory should spill", res.Map.Spills)
	}
	var all []string
	owner := map[string]string{}
	for r := range 3 {
		part := jobs.PartName(jobs.ReduceTask, r)
		b, err := os.ReadFile(filepath.Join(out, part))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if !slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(lineKey(a), lineKey(b)) }) {
			t.Errorf("%s is not sorted by key", part)
		}
		for _, l := range got {
			if o, ok := owner[lineKey(l)]; ok && o != part {
				t.Errorf("key %s is in %s and %s", lineKey(l), o, part)
			}
			owner[lineKey(l)] = part
		}
		all = append(all, got...)
	}
	slices.Sort(all)
	slices.Sort(lines)
	if !slices.Equal(all, lines) {
		t.Errorf("reduces wrote %d lines, not the %d input lines", len(all), len(lines))
	}
}

func lineKey(l string) string { k, _, _ := strings.Cut(l, "\t"); return k }

// Three attempts of every task run at once: one commits, the others find
// the task committed, and the output is not doubled.
func TestDuplicateAttemptsCommitOnce(t *testing.T) {
	in, sum := teraInput(t, tera.ASCII, 10000, 2500)
	out := filepath.Join(t.TempDir(), "out")
	r := &inProcess{t: t, duplicates: 2}
	_, plan, err := runJob(t, r, teraSortJob(t, in, out, 4, 2, jobs.Settings{}))
	if err != nil {
		t.Fatal(err)
	}
	checkTeraSorted(t, out, sum, 10000)
	tasks := int64(plan.Tasks(jobs.MapTask) + plan.Tasks(jobs.ReduceTask))
	if r.committed.Load() != tasks || r.duplicated.Load() != 2*tasks {
		t.Errorf("%d attempts committed and %d found the task committed; want %d and %d",
			r.committed.Load(), r.duplicated.Load(), tasks, 2*tasks)
	}
	if _, err := os.Stat(filepath.Join(out, jobs.TemporaryDir)); err == nil {
		t.Error("the staging directory is left in the output")
	}
}

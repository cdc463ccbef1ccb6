package task

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/jobs"
)

// hadoopKeys is the input of Hadoop Streaming's documented
// KeyFieldBasedPartitioner and KeyFieldBasedComparator examples.
const hadoopKeys = "11.12.1.2\n11.14.2.3\n11.11.4.1\n11.12.1.1\n11.14.2.2\n"

// keysJob returns a job of cat mapper and reducer over hadoopKeys with
// the examples' key options.
func keysJob(t *testing.T, reduces int, keys jobs.Keys) jobs.Job {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "keys.txt", []byte(hadoopKeys))
	return jobs.Job{
		Name:   "keys",
		Input:  jobs.Input{Paths: []string{dir}, Records: jobs.Lines},
		Output: filepath.Join(t.TempDir(), "out"),
		Map:    jobs.Phase{Func: jobs.Stream, Tasks: 1, Command: []string{"cat"}},
		Reduce: &jobs.Phase{Func: jobs.Stream, Tasks: reduces, Command: []string{"cat"}},
		Keys:   keys,
	}
}

// partLines returns the lines of each non-empty part file.
func partLines(t *testing.T, dir string) [][]string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "part-*"))
	var parts [][]string
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 {
			parts = append(parts, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"))
		}
	}
	return parts
}

// Hadoop's KeyFieldBasedPartitioner example: keys of four dot-separated
// fields, partitioned by the first two, each reduce's keys sorted whole.
func TestKeyFieldPartitionerHadoopExample(t *testing.T) {
	job := keysJob(t, 12, jobs.Keys{MapSeparator: ".", MapKeyFields: 4, FieldSeparator: ".", Partition: "-k1,2"})
	if _, _, err := runJob(t, &inProcess{t: t}, job); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range partLines(t, job.Output) {
		if !slices.IsSorted(p) {
			t.Errorf("a reduce's output %q is not sorted", p)
		}
		for _, line := range p[1:] {
			if line[:5] != p[0][:5] {
				t.Errorf("reduce output %q mixes keys of different first two fields", p)
			}
		}
		got = append(got, strings.Join(p, " "))
	}
	slices.Sort(got)
	want := []string{"11.11.4.1", "11.12.1.1 11.12.1.2", "11.14.2.2 11.14.2.3"}
	if !slices.Equal(got, want) {
		t.Errorf("reduce outputs %q, want %q (Hadoop's grouping)", got, want)
	}
}

// Hadoop's KeyFieldBasedComparator example: -k2,2nr sorts by the second
// field, numerically, in reverse.
func TestKeyFieldComparatorHadoopExample(t *testing.T) {
	job := keysJob(t, 1, jobs.Keys{MapSeparator: ".", MapKeyFields: 4, FieldSeparator: ".", Compare: "-k2,2nr"})
	if _, _, err := runJob(t, &inProcess{t: t}, job); err != nil {
		t.Fatal(err)
	}
	got := string(readParts(t, job.Output))
	want := "11.14.2.3\n11.14.2.2\n11.12.1.2\n11.12.1.1\n11.11.4.1\n"
	if got != want {
		t.Errorf("output:\n%s\nwant Hadoop's:\n%s", got, want)
	}
}

// The comparator orders records through spills and merges too: a
// secondary sort of many records in a small sort buffer, by the first
// field and then the second, numerically in reverse.
func TestKeyFieldComparatorAcrossSpills(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 150_000 {
		b.WriteString([]string{"b", "a", "c"}[i%3] + "\t" + strings.Repeat("x", i%5) + "\t" + strconv.Itoa(i%1000) + "\n")
	}
	writeFile(t, dir, "in.txt", []byte(b.String()))
	job := keysJob(t, 2, jobs.Keys{MapKeyFields: 3, Compare: "-k1,1 -k3,3nr", Partition: "-k1,1"})
	job.Input.Paths = []string{dir}
	job.Map.Tasks = 2
	job.Settings.SortMB = 1
	res, _, err := runJob(t, &inProcess{t: t}, job)
	if err != nil {
		t.Fatal(err)
	}
	if res.Map.Spills < 4 {
		t.Errorf("%d spills; the test wants several per map", res.Map.Spills)
	}
	for _, p := range partLines(t, job.Output) {
		for i := 1; i < len(p); i++ {
			x, y := strings.Split(p[i-1], "\t"), strings.Split(p[i], "\t")
			if x[0] > y[0] || x[0] == y[0] && atoi(x[2]) < atoi(y[2]) {
				t.Fatalf("line %d %q after %q: want field 1 ascending, then field 3 numerically descending", i, p[i], p[i-1])
			}
		}
	}
}

// A map separator other than a tab reaches the reducer as a tab after the
// key; a reduce separator other than a tab is written as one.
func TestKeySeparatorsReachReducerAndOutput(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "in.txt", []byte("b.x.1\na.y.2\n"))
	job := keysJob(t, 1, jobs.Keys{MapSeparator: ".", ReduceSeparator: ":", ReduceKeyFields: 2})
	job.Input.Paths = []string{dir}
	job.Reduce.Command = []string{"sed", "s/\t/:/; s/$/:end/"}
	if _, _, err := runJob(t, &inProcess{t: t}, job); err != nil {
		t.Fatal(err)
	}
	// the reducer reads "a\ty.2" and prints "a:y.2:end"; the output splits
	// it after the second ':'.
	if got, want := string(readParts(t, job.Output)), "a:y.2\tend\nb:x.1\tend\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

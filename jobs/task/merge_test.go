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
)

// testAttempt returns an attempt with a job's settings and a directory,
// enough to sort and merge.
func testAttempt(t testing.TB, sortMB, mergeFactor int) *attempt {
	plan := &jobs.Plan{Job: jobs.Job{Settings: jobs.Settings{SortMB: sortMB, MergeFactor: mergeFactor}}}
	return &attempt{plan: plan, dir: t.TempDir()}
}

// writeRuns writes each run (a list of lines) to its own file.
func writeRuns(t testing.TB, dir string, runs [][]string) []run {
	var out []run
	for i, lines := range runs {
		var b bytes.Buffer
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		p := filepath.Join(dir, fmt.Sprintf("run-%d", i))
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, run{path: p, length: int64(b.Len())})
	}
	return out
}

// randomRuns returns n sorted runs of line records whose keys repeat
// within and across runs; each value names its run and position.
func randomRuns(rng *rand.Rand, n, perRun int) [][]string {
	runs := make([][]string, n)
	for r := range runs {
		keys := make([]string, perRun)
		for i := range keys {
			keys[i] = fmt.Sprintf("k%03d", rng.IntN(200))
		}
		slices.Sort(keys)
		for i, k := range keys {
			runs[r] = append(runs[r], fmt.Sprintf("%s\t%03d-%05d", k, r, i))
		}
	}
	return runs
}

// stableSorted returns the lines of all runs sorted by key, equal keys in
// run order: what a stable merge must produce.
func stableSorted(runs [][]string) []string {
	var all []string
	for _, r := range runs {
		all = append(all, r...)
	}
	slices.SortStableFunc(all, func(a, b string) int {
		return bytes.Compare(lineFraming.key([]byte(a)), lineFraming.key([]byte(b)))
	})
	return all
}

func mergeAll(t *testing.T, a *attempt, runs []run) []string {
	t.Helper()
	m, err := a.openMerge(runs, lineFraming)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		rec, err := m.next()
		if err != nil {
			break
		}
		got = append(got, string(bytes.TrimSuffix(rec, []byte{'\n'})))
	}
	if err := m.close(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestMergeIsSortedAndStable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 7, 16} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			a := testAttempt(t, 1, 64)
			lines := randomRuns(rng, n, 300)
			got := mergeAll(t, a, writeRuns(t, t.TempDir(), lines))
			if want := stableSorted(lines); !slices.Equal(got, want) {
				t.Errorf("merge of %d runs: got %d records, not the %d stably sorted ones", n, len(got), len(want))
			}
		})
	}
}

func TestMergeInPassesWhenRunsExceedFactor(t *testing.T) {
	a := testAttempt(t, 1, 3)
	lines := randomRuns(rand.New(rand.NewPCG(3, 4)), 11, 500)
	got := mergeAll(t, a, writeRuns(t, t.TempDir(), lines))
	if want := stableSorted(lines); !slices.Equal(got, want) {
		t.Errorf("multi-pass merge: got %d records, not the %d stably sorted ones", len(got), len(want))
	}
	if a.manifest.Counters.Spills == 0 {
		t.Error("11 runs with a merge factor of 3 merged without intermediate runs")
	}
	if left, _ := filepath.Glob(filepath.Join(a.dir, "merge-*")); len(left) > 0 {
		t.Errorf("intermediate runs left after the merge: %q", left)
	}
}

func TestRecordReaderHandlesRecordsLongerThanItsBuffer(t *testing.T) {
	long := strings.Repeat("x", 3000)
	lines := []string{"a\t1", "b\t" + long, "c\t3", "unterminated"}
	rr := newRecordReader("test", strings.NewReader(strings.Join(lines, "\n")), lineFraming, 1024)
	var got []string
	for {
		if err := rr.advance(); err != nil {
			t.Fatal(err)
		}
		if rr.rec == nil {
			break
		}
		got = append(got, string(bytes.TrimSuffix(rr.rec, []byte{'\n'})))
	}
	if !slices.Equal(got, lines) {
		t.Errorf("read %d records, want the %d written", len(got), len(lines))
	}
}

func TestRunReaderRejectsPartialFixedRecord(t *testing.T) {
	p := filepath.Join(t.TempDir(), "run")
	if err := os.WriteFile(p, make([]byte, 150), 0o644); err != nil {
		t.Fatal(err)
	}
	rr, err := openRun(run{path: p, length: 150}, teraFraming)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.close()
	if err := rr.advance(); err != nil || rr.rec == nil {
		t.Fatalf("first record: %v", err)
	}
	if err := rr.advance(); err == nil {
		t.Error("a run ending in half a record read without error")
	}
}

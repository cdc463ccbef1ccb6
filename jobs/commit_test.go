package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fileRunner is a Runner whose tasks each write one line as their part
// file and commit it, unless they are told to fail or to skip committing.
type fileRunner struct {
	fail     TaskKind // tasks of this kind fail
	noCommit bool     // tasks return without committing
}

func (r *fileRunner) RunTasks(ctx context.Context, plan *Plan, kind TaskKind) error {
	for i := range plan.Tasks(kind) {
		if kind == r.fail {
			return fmt.Errorf("%s failed", TaskName(kind, i))
		}
		if r.noCommit {
			continue
		}
		if err := commitLine(plan, kind, i, "a1", fmt.Sprintf("%s\n", TaskName(kind, i))); err != nil {
			return err
		}
	}
	return nil
}

// commitLine writes an attempt whose part file holds line, and commits it.
func commitLine(plan *Plan, kind TaskKind, index int, attempt, line string) error {
	dir := plan.AttemptDir(kind, index, attempt)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	part := PartName(kind, index)
	if err := os.WriteFile(filepath.Join(dir, part), []byte(line), 0o644); err != nil {
		return err
	}
	m := &Manifest{Task: TaskName(kind, index), Attempt: attempt, Files: []string{part},
		Counters: Counters{RecordsOut: 1, BytesOut: uint64(len(line))}}
	if kind == MapTask && plan.Reduces() > 0 {
		m.Files = nil
	}
	return plan.CommitTask(kind, index, m)
}

func linesJob(t *testing.T, out string) Job {
	in := filepath.Join(t.TempDir(), "in.txt")
	write(t, in, []byte("a\nb\nc\nd\n"))
	return Job{Name: "lines", Input: Input{Paths: []string{in}, Records: Lines}, Output: out,
		Map: Phase{Func: Identity, Tasks: 2}, Reduce: &Phase{Func: Identity, Tasks: 3}}
}

func runLines(t *testing.T, r Runner, job Job) (*Result, error) {
	t.Helper()
	plan, err := NewPlan(job)
	if err != nil {
		t.Fatal(err)
	}
	return Run(context.Background(), r, plan)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestRunCommitsOutputAndCounters(t *testing.T) {
	out := filepath.Join(t.TempDir(), "a", "b", "out")
	res, err := runLines(t, &fileRunner{}, linesJob(t, out))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{SuccessFile, "part-r-00000", "part-r-00001", "part-r-00002"}
	if got := dirNames(t, out); !slices.Equal(got, want) {
		t.Errorf("output holds %q, want %q", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "part-r-00001")); string(b) != "r-00001\n" {
		t.Errorf("part-r-00001 holds %q", b)
	}
	if res.Map.RecordsOut != 2 || res.Reduce.RecordsOut != 3 || res.Reduce.BytesOut != 24 {
		t.Errorf("counters: map %+v, reduce %+v", res.Map, res.Reduce)
	}
	if b, _ := os.ReadFile(filepath.Join(out, SuccessFile)); !strings.Contains(string(b), res.ID) {
		t.Errorf("_SUCCESS does not describe job %s: %s", res.ID, b)
	}
}

func TestFailedJobLeavesNoOutput(t *testing.T) {
	for _, kind := range []TaskKind{MapTask, ReduceTask} {
		out := filepath.Join(t.TempDir(), "out")
		_, err := runLines(t, &fileRunner{fail: kind}, linesJob(t, out))
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%s phase: %s failed", kind, TaskName(kind, 0))) {
			t.Errorf("error %v does not name the failed phase and task", err)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s failure: the output directory is left: %v", kind, err)
		}
	}
}

func TestRunRefusesUncommittedTasks(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	_, err := runLines(t, &fileRunner{noCommit: true}, linesJob(t, out))
	if err == nil || !strings.Contains(err.Error(), "m-00000 has not committed") {
		t.Errorf("error %v does not name the uncommitted task", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the output directory is left: %v", err)
	}
}

func TestExistingOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	write(t, filepath.Join(out, "old"), []byte("previous output"))

	_, err := runLines(t, &fileRunner{}, linesJob(t, out))
	if !errors.Is(err, ErrOutputExists) || !strings.Contains(err.Error(), out) {
		t.Errorf("error %v is not ErrOutputExists naming %s", err, out)
	}

	job := linesJob(t, out)
	job.Settings.Overwrite = true
	if _, err := runLines(t, &fileRunner{fail: ReduceTask}, job); err == nil {
		t.Fatal("failing job succeeded")
	}
	if got := dirNames(t, out); !slices.Equal(got, []string{"old"}) {
		t.Errorf("after a failed overwrite the output holds %q, want the old contents", got)
	}

	if _, err := runLines(t, &fileRunner{}, job); err != nil {
		t.Fatal(err)
	}
	want := []string{SuccessFile, "part-r-00000", "part-r-00001", "part-r-00002"}
	if got := dirNames(t, out); !slices.Equal(got, want) {
		t.Errorf("after overwriting the output holds %q, want %q", got, want)
	}

	file := filepath.Join(t.TempDir(), "file")
	write(t, file, nil)
	job.Output = file
	if _, err := runLines(t, &fileRunner{}, job); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("output that is a file: %v", err)
	}
}

func TestCommitTaskFirstAttemptWins(t *testing.T) {
	plan, err := NewPlan(linesJob(t, filepath.Join(t.TempDir(), "out")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.stage(); err != nil {
		t.Fatal(err)
	}
	if err := commitLine(plan, ReduceTask, 1, "first", "first\n"); err != nil {
		t.Fatal(err)
	}
	err = commitLine(plan, ReduceTask, 1, "second", "second\n")
	if !errors.Is(err, ErrAlreadyCommitted) {
		t.Fatalf("second commit: %v, want ErrAlreadyCommitted", err)
	}
	if _, err := os.Stat(plan.AttemptDir(ReduceTask, 1, "second")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the losing attempt's directory is left: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(plan.TaskDir(ReduceTask, 1), "part-r-00001"))
	if err != nil || string(b) != "first\n" {
		t.Errorf("committed part holds %q (%v), want the first attempt's", b, err)
	}
	m, err := plan.ReadManifest(ReduceTask, 1)
	if err != nil || m.Attempt != "first" {
		t.Errorf("manifest %+v (%v), want the first attempt's", m, err)
	}
}

func TestCheckAttemptID(t *testing.T) {
	for _, id := range []string{"a", "0f8e-11", "5f6b2a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "x_y"} {
		if err := CheckAttemptID(id); err != nil {
			t.Errorf("%q: %v", id, err)
		}
	}
	for _, id := range []string{"", "../up", "a/b", "a.b", strings.Repeat("a", 65)} {
		if err := CheckAttemptID(id); err == nil {
			t.Errorf("%q accepted", id)
		}
	}
}

// A failed job leaves its history in the output directory; the next job
// may write there, and overwriting keeps the history.
func TestOutputWithOnlyHistory(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	write(t, filepath.Join(out, HistoryDir, "job_1.json"), []byte("{}"))
	if _, err := runLines(t, &fileRunner{}, linesJob(t, out)); err != nil {
		t.Fatalf("output holding only history: %v", err)
	}
	job := linesJob(t, out)
	job.Settings.Overwrite = true
	if _, err := runLines(t, &fileRunner{}, job); err != nil {
		t.Fatal(err)
	}
	want := []string{SuccessFile, HistoryDir, "part-r-00000", "part-r-00001", "part-r-00002"}
	if got := dirNames(t, out); !slices.Equal(got, want) {
		t.Errorf("after overwriting the output holds %q, want %q", got, want)
	}
}

package terajob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/terajob"
	"github.com/dockmr/dockmr/tera"
)

// genTasks returns the tasks of a TeraGen job, each with its own attempt.
func genTasks(gen terajob.Gen, jobID string) []terajob.GenTask {
	tasks := make([]terajob.GenTask, gen.Maps)
	for i := range tasks {
		tasks[i] = terajob.GenTask{Gen: gen, JobID: jobID, Index: i, Attempt: fmt.Sprintf("a%d", i)}
	}
	return tasks
}

// sameOutput compares two output directories' part files byte for byte.
func sameOutput(t *testing.T, got, want string) {
	t.Helper()
	wantParts, _ := filepath.Glob(filepath.Join(want, "part-*"))
	gotParts, _ := filepath.Glob(filepath.Join(got, "part-*"))
	if len(gotParts) != len(wantParts) || len(wantParts) == 0 {
		t.Fatalf("%s has part files %q, want as many as %q", got, gotParts, wantParts)
	}
	for i := range wantParts {
		a, errA := os.ReadFile(gotParts[i])
		b, errB := os.ReadFile(wantParts[i])
		if err := errors.Join(errA, errB); err != nil {
			t.Fatal(err)
		}
		if filepath.Base(gotParts[i]) != filepath.Base(wantParts[i]) || !bytes.Equal(a, b) {
			t.Errorf("%s (%d bytes) differs from %s (%d bytes)", gotParts[i], len(a), wantParts[i], len(b))
		}
	}
	entries, _ := os.ReadDir(got)
	for _, e := range entries {
		if e.Name() == jobs.TemporaryDir {
			out, _ := exec.Command("find", filepath.Join(got, e.Name())).CombinedOutput()
			t.Errorf("%s still holds %s after the job committed:\n%s", got, e.Name(), out)
		}
	}
}

// Tasks started one by one, in any order, write what a runner would, and
// the last one commits the job.
func TestGenTasksCommitLikeARunner(t *testing.T) {
	dir := t.TempDir()
	gen := terajob.Gen{Rows: 20011, Format: tera.ASCII, Maps: 3}
	ref := gen
	ref.Output = filepath.Join(dir, "ref")
	want := run(t, ref)

	gen.Output = filepath.Join(dir, "out")
	tasks := genTasks(gen, "teragen-1")
	var committedBy []int
	for _, i := range []int{2, 0, 1} {
		out, err := tasks[i].Run(context.Background())
		if err != nil {
			t.Fatalf("task %d: %v", i, err)
		}
		if out.Task == nil || out.Task.Counters.RecordsOut == 0 {
			t.Errorf("task %d: manifest %+v", i, out.Task)
		}
		if out.Job != nil {
			committedBy = append(committedBy, i)
			if out.Job.Checksum != want.Checksum || out.Job.Map.RecordsOut != 20011 || out.Job.ID != "teragen-1" {
				t.Errorf("job result %+v; want checksum %s, 20011 records, id teragen-1", out.Job, want.Checksum)
			}
		}
	}
	if !slices.Equal(committedBy, []int{1}) {
		t.Errorf("the job was committed by tasks %v, want by the last, 1", committedBy)
	}
	sameOutput(t, gen.Output, ref.Output)

	// A late duplicate of a task finds the job done and changes nothing.
	late := tasks[0]
	late.Attempt = "late"
	out, err := late.Run(context.Background())
	if err != nil || out.Job == nil || out.Job.Checksum != want.Checksum || out.Task != nil {
		t.Errorf("late attempt: %+v, %v; want the committed job's result and no task run", out, err)
	}
	sameOutput(t, gen.Output, ref.Output)

	// The same job asked for other rows does not pass the old output off.
	late.Gen.Rows = 20012
	_, err = late.Run(context.Background())
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("holds job teragen-1's output of 20011 rows, not 20012")) {
		t.Errorf("error %v; want one about the committed rows", err)
	}
}

// Tasks running at once, with a duplicate attempt of each, commit the job
// exactly once and write every row exactly once.
func TestGenTasksConcurrentWithDuplicates(t *testing.T) {
	dir := t.TempDir()
	gen := terajob.Gen{Rows: 50000, Format: tera.Binary, Maps: 4}
	ref := gen
	ref.Output = filepath.Join(dir, "ref")
	want := run(t, ref)

	gen.Output = filepath.Join(dir, "out")
	tasks := genTasks(gen, "teragen-2")
	for i := range gen.Maps {
		dup := tasks[i]
		dup.Attempt = fmt.Sprintf("dup%d", i)
		tasks = append(tasks, dup)
	}
	var mu sync.Mutex
	var results []*jobs.Result
	var wg sync.WaitGroup
	for _, task := range tasks {
		wg.Go(func() {
			out, err := task.Run(context.Background())
			if err != nil {
				t.Errorf("task %d attempt %s: %v", task.Index, task.Attempt, err)
				return
			}
			if out.Job != nil {
				mu.Lock()
				results = append(results, out.Job)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(results) == 0 || results[0].Checksum != want.Checksum {
		t.Fatalf("job results %+v; want checksum %s", results, want.Checksum)
	}
	sameOutput(t, gen.Output, ref.Output)
}

func TestGenTaskRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	gen := terajob.Gen{Rows: 1000, Format: tera.ASCII, Maps: 2, Output: filepath.Join(dir, "out")}
	ok := terajob.GenTask{Gen: gen, JobID: "teragen", Index: 0, Attempt: "a"}
	for name, tc := range map[string]struct {
		task terajob.GenTask
		want string
	}{
		"job id":    {withTask(ok, func(g *terajob.GenTask) { g.JobID = "a/b" }), `job id "a/b": want 1 to 64 letters, digits, '-' or '_'`},
		"no job id": {withTask(ok, func(g *terajob.GenTask) { g.JobID = "" }), `job id ""`},
		"index":     {withTask(ok, func(g *terajob.GenTask) { g.Index = 2 }), "task index 2 is out of range: the job has 2 map tasks, 0 to 1"},
		"attempt":   {withTask(ok, func(g *terajob.GenTask) { g.Attempt = "a b" }), `attempt id "a b"`},
		"zero rows": {withTask(ok, func(g *terajob.GenTask) { g.Gen.Rows = 0 }), "rows"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.task.Run(context.Background())
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Errorf("error %v; want one containing %q", err, tc.want)
			}
		})
	}
}

// A task given other parameters than the task that staged the job is
// refused, and the job's tasks still commit it.
func TestGenTaskRefusesOtherParameters(t *testing.T) {
	gen := terajob.Gen{Rows: 1000, Format: tera.ASCII, Maps: 2, Output: filepath.Join(t.TempDir(), "out")}
	tasks := genTasks(gen, "teragen")
	if _, err := tasks[0].Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		change func(*terajob.Gen)
		want   string
	}{
		{func(g *terajob.Gen) { g.Maps = 3 }, "job teragen was staged with 1000 rows, 2 maps, format ascii; this task was given 1000 rows, 3 maps, format ascii: every task of a job needs the same"},
		{func(g *terajob.Gen) { g.Rows = 999 }, "this task was given 999 rows, 2 maps"},
		{func(g *terajob.Gen) { g.Format = tera.Binary }, "format binary"},
	} {
		other := tasks[1]
		tc.change(&other.Gen)
		_, err := other.Run(context.Background())
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("error %v; want one containing %q", err, tc.want)
		}
	}
	out, err := tasks[1].Run(context.Background())
	if err != nil || out.Job == nil || out.Job.Map.RecordsOut != 1000 {
		t.Errorf("the job's own last task: %+v, %v; want the job committed with 1000 records", out, err)
	}
}

// An output directory with other files in it is refused and kept as is.
func TestGenTaskRefusesUsedOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(out, "precious")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	task := terajob.GenTask{Gen: terajob.Gen{Rows: 100, Output: out, Maps: 1}, JobID: "j", Attempt: "a"}
	_, err := task.Run(context.Background())
	if !errors.Is(err, jobs.ErrOutputExists) {
		t.Errorf("error %v; want %v", err, jobs.ErrOutputExists)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "x" {
		t.Errorf("the output's file was touched: %q, %v", b, err)
	}

	// Another job's committed output is refused by name.
	other := filepath.Join(t.TempDir(), "other")
	run(t, terajob.Gen{Rows: 100, Output: other, Maps: 1})
	task.Gen.Output = other
	_, err = task.Run(context.Background())
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("holds the output of another job")) {
		t.Errorf("error %v; want one about another job's output", err)
	}
}

func withTask(t terajob.GenTask, f func(*terajob.GenTask)) terajob.GenTask {
	f(&t)
	return t
}

// A job stopped after some maps committed resumes when run again: the
// committed maps are not run twice and the job commits.
func TestGenTasksResume(t *testing.T) {
	gen := terajob.Gen{Rows: 3000, Format: tera.ASCII, Maps: 2, Output: filepath.Join(t.TempDir(), "out")}
	first := genTasks(gen, "teragen")
	if out, err := first[0].Run(context.Background()); err != nil || out.Task == nil || out.Job != nil {
		t.Fatalf("first run of map 0: %+v, %v", out, err)
	}
	again := genTasks(gen, "teragen")
	for i := range again {
		again[i].Attempt = fmt.Sprintf("again%d", i)
	}
	out, err := again[0].Run(context.Background())
	if err != nil || out.Task != nil || out.Job != nil {
		t.Errorf("map 0 again: %+v, %v; want nothing run, as it had committed", out, err)
	}
	out, err = again[1].Run(context.Background())
	if err != nil || out.Task == nil || out.Job == nil || out.Job.Map.RecordsOut != 3000 {
		t.Errorf("map 1: %+v, %v; want it run and the job committed with 3000 records", out, err)
	}
}

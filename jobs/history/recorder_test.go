package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/jobs"
)

// commitRunner commits every task with counters that tell task and kind
// apart, after a failed first attempt of map 1; failPhase fails a phase
// after committing its first task.
type commitRunner struct {
	failPhase jobs.TaskKind
	listed    map[jobs.TaskKind][]Attempt
}

func (r *commitRunner) RunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	if r.listed == nil {
		r.listed = map[jobs.TaskKind][]Attempt{}
	}
	now := time.Now().UTC()
	for i := range plan.Tasks(kind) {
		if kind == jobs.MapTask && i == 1 {
			r.listed[kind] = append(r.listed[kind], Attempt{Phase: kind, Task: i, Number: 1, ID: "failed-1",
				Node: "n1", State: AttemptFailed, ExitCode: 3, Failure: "exit code 3", Started: now, Finished: now})
		}
		id := fmt.Sprintf("%s-%d", kind, i)
		number := 1
		if kind == jobs.MapTask && i == 1 {
			number = 2
		}
		if r.failPhase == kind && i == 1 {
			r.listed[kind] = append(r.listed[kind], Attempt{Phase: kind, Task: i, Number: number, ID: id,
				Node: "n2", State: AttemptRunning, Started: now})
			return errors.New("task failed")
		}
		r.listed[kind] = append(r.listed[kind], Attempt{Phase: kind, Task: i, Number: number, ID: id,
			Node: fmt.Sprintf("n%d", i%2), State: AttemptSucceeded, Queued: now, Started: now, Finished: now})
		dir := plan.AttemptDir(kind, i, id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		part := jobs.PartName(kind, i)
		if err := os.WriteFile(filepath.Join(dir, part), []byte(id+"\n"), 0o644); err != nil {
			return err
		}
		c := jobs.Counters{RecordsIn: uint64(10 + i), RecordsOut: uint64(20 + i), BytesIn: uint64(100 * (i + 1)),
			BytesOut: uint64(200 * (i + 1)), Spills: uint64(i)}
		if kind == jobs.ReduceTask {
			c.ShuffleBytes = c.BytesIn
		}
		c.Checksum.AddRecords([]byte(id))
		m := &jobs.Manifest{Task: jobs.TaskName(kind, i), Attempt: id, Started: now, Finished: now, Counters: c, Files: []string{part}}
		if kind == jobs.MapTask && plan.Reduces() > 0 {
			m.Files = nil
		}
		if err := plan.CommitTask(kind, i, m); err != nil {
			return err
		}
	}
	return nil
}

func (r *commitRunner) Attempts(_ context.Context, _ *jobs.Plan, kind jobs.TaskKind) ([]Attempt, error) {
	return r.listed[kind], nil
}

func linesPlan(t *testing.T) *jobs.Plan {
	t.Helper()
	in := filepath.Join(t.TempDir(), "in.txt")
	must.NoError(t, os.WriteFile(in, []byte("a\nb\nc\nd\n"), 0o644))
	out := filepath.Join(t.TempDir(), "out")
	plan, err := jobs.NewPlan(jobs.Job{Name: "lines", Input: jobs.Input{Paths: []string{in}, Records: jobs.Lines}, Output: out,
		Map: jobs.Phase{Func: jobs.Identity, Tasks: 3}, Reduce: &jobs.Phase{Func: jobs.Identity, Tasks: 2}})
	must.NoError(t, err)
	return plan
}

func TestRecorder_CountersAddUp(t *testing.T) {
	plan := linesPlan(t)
	r := &commitRunner{}
	res, err := (&Recorder{Runner: r, Lister: r, RunnerName: "test"}).Run(t.Context(), plan)
	must.NoError(t, err)

	rec, err := Read(Path(plan.Job.Output, plan.ID))
	must.NoError(t, err)
	must.Eq(t, StateComplete, rec.State)
	must.Eq(t, "identity+identity", rec.Kind)
	must.SliceLen(t, 6, rec.Attempts, must.Sprint("5 tasks, one of them tried twice"))
	must.SliceLen(t, 2, rec.Phases)

	// Job = sum of tasks, phase = sum of its tasks, and both agree with
	// what the job committed.
	var job, byPhase jobs.Counters
	phases := map[jobs.TaskKind]*jobs.Counters{jobs.MapTask: {}, jobs.ReduceTask: {}}
	for _, a := range rec.Attempts {
		if a.State == AttemptCommitted {
			job.Add(*a.Counters)
			phases[a.Phase].Add(*a.Counters)
		} else {
			must.Nil(t, a.Counters, must.Sprintf("attempt %s has counters", a.ID))
		}
	}
	for _, ph := range rec.Phases {
		must.Eq(t, *phases[ph.Kind], ph.Counters)
		byPhase.Add(ph.Counters)
		must.Eq(t, ph.Tasks, ph.Committed)
	}
	must.Eq(t, job, rec.Counters)
	must.Eq(t, job, byPhase)
	must.Eq(t, res.Map, rec.Phases[0].Counters)
	must.Eq(t, res.Reduce, rec.Phases[1].Counters)
	must.Eq(t, uint64(100+200), rec.Counters.ShuffleBytes)
	must.Eq(t, res.Checksum, *rec.Checksum)

	must.Eq(t, 4, rec.Phases[0].Attempts)
	must.Eq(t, 1, rec.Phases[0].FailedAttempts)
	failed := rec.Attempts[1]
	must.Eq(t, "m-00001", failed.TaskName())
	must.Eq(t, AttemptFailed, failed.State)
	must.Eq(t, 3, failed.ExitCode)
	must.Eq(t, AttemptCommitted, rec.Attempts[2].State)
	must.Eq(t, 2, rec.Attempts[2].Number)
}

func TestRecorder_FailedJobKeepsItsHistory(t *testing.T) {
	plan := linesPlan(t)
	r := &commitRunner{failPhase: jobs.ReduceTask}
	var warnings []error
	_, err := (&Recorder{Runner: r, Lister: r, RunnerName: "test", Warn: func(e error) { warnings = append(warnings, e) }}).Run(t.Context(), plan)
	must.ErrorContains(t, err, "task failed")
	must.SliceEmpty(t, warnings)

	entries, err := os.ReadDir(plan.Job.Output)
	must.NoError(t, err)
	must.SliceLen(t, 1, entries, must.Sprint("the failed job's output holds its history only"))
	rec, err := Read(Path(plan.Job.Output, plan.ID))
	must.NoError(t, err)
	must.Eq(t, StateFailed, rec.State)
	must.StrContains(t, rec.Error, "reduce phase: task failed")
	must.Nil(t, rec.Checksum)
	must.Eq(t, 1, rec.Phases[1].Committed, must.Sprint("reduce 0 committed before reduce 1 failed"))
	last := rec.Attempts[len(rec.Attempts)-1]
	must.Eq(t, AttemptKilled, last.State, must.Sprint("an attempt still running when its phase failed"))

	// The output directory holding only history takes the next run,
	// which ends later (file times are coarser than this test is quick).
	hourAgo := time.Now().Add(-time.Hour)
	must.NoError(t, os.Chtimes(Path(plan.Job.Output, plan.ID), hourAgo, hourAgo))
	again, err := jobs.NewPlan(plan.Job)
	must.NoError(t, err)
	r2 := &commitRunner{}
	_, err = (&Recorder{Runner: r2, Lister: r2}).Run(t.Context(), again)
	must.NoError(t, err)
	newest, err := Locate(plan.Job.Output, "")
	must.NoError(t, err)
	must.Eq(t, Path(plan.Job.Output, again.ID), newest)
}

func TestRecorder_CancelledAndWithoutLister(t *testing.T) {
	plan := linesPlan(t)
	ctx, cancel := context.WithCancel(t.Context())
	r := &cancelRunner{cancel: cancel}
	_, err := (&Recorder{Runner: r}).Run(ctx, plan)
	must.Error(t, err)
	rec, err := Read(Path(plan.Job.Output, plan.ID))
	must.NoError(t, err)
	must.Eq(t, StateCancelled, rec.State)
	// No lister: the committed attempts come from the manifests.
	must.SliceLen(t, 3, rec.Attempts)
	for _, a := range rec.Attempts {
		must.Eq(t, AttemptCommitted, a.State)
		must.Eq(t, 1, a.Number)
		must.NotNil(t, a.Counters)
	}
}

// cancelRunner commits the maps, then cancels the job.
type cancelRunner struct {
	commitRunner
	cancel func()
}

func (r *cancelRunner) RunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	if err := r.commitRunner.RunTasks(ctx, plan, kind); err != nil {
		return err
	}
	r.cancel()
	return nil
}

func TestRecorder_NoHistoryForAJobThatNeverRan(t *testing.T) {
	plan := linesPlan(t)
	must.NoError(t, os.MkdirAll(plan.Job.Output, 0o755))
	must.NoError(t, os.WriteFile(filepath.Join(plan.Job.Output, "keep"), nil, 0o644))
	r := &commitRunner{}
	_, err := (&Recorder{Runner: r, Lister: r}).Run(t.Context(), plan)
	must.ErrorIs(t, err, jobs.ErrOutputExists)
	_, err = os.Stat(filepath.Join(plan.Job.Output, jobs.HistoryDir))
	must.True(t, os.IsNotExist(err))
}

func TestWriteReadRoundTrip(t *testing.T) {
	rec := sampleRecord()
	rec.Output = t.TempDir()
	must.NoError(t, Write(rec))
	got, err := Read(Path(rec.Output, rec.ID))
	must.NoError(t, err)
	must.Eq(t, rec, got)
	entries, _ := os.ReadDir(filepath.Join(rec.Output, jobs.HistoryDir))
	must.SliceLen(t, 1, entries, must.Sprint("no temporary file left"))
}

func TestRead_BadInput(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ data, want string }{
		"corrupt.json": {`{"version": 1, "id": `, "is corrupt"},
		"future.json":  {`{"version": 99, "id": "job_1"}`, "version 99"},
		"noid.json":    {`{"version": 1}`, `job ""`},
		"phase.json":   {`{"version": 1, "id": "job_1", "attempts": [{"phase": "shuffle", "task": 0}]}`, `attempts[0]: phase "shuffle"`},
	} {
		path := filepath.Join(dir, name)
		must.NoError(t, os.WriteFile(path, []byte(tc.data), 0o644))
		_, err := Read(path)
		must.ErrorContains(t, err, path)
		must.ErrorContains(t, err, tc.want)
	}
	_, err := Read(filepath.Join(dir, "missing.json"))
	must.ErrorContains(t, err, "missing.json")

	unreadable := filepath.Join(dir, "unreadable.json")
	must.NoError(t, os.Mkdir(unreadable, 0o755)) // a directory cannot be read as a file
	_, err = Read(unreadable)
	must.ErrorContains(t, err, unreadable)
}

func TestLocate(t *testing.T) {
	out := t.TempDir()
	_, err := Locate(out, "")
	must.ErrorContains(t, err, "holds no job history")
	_, err = Locate(filepath.Join(out, "nope"), "")
	must.ErrorContains(t, err, "nope")
	for i, id := range []string{"job_20260101000000_aaaa", "job_20260102000000_bbbb", "job_20250101000000_cccc"} {
		rec := sampleRecord()
		rec.ID, rec.Output = id, out
		must.NoError(t, Write(rec))
		// The job that ended last is the newest.
		end := base.Add(time.Duration(map[int]int{0: 1, 1: 3, 2: 2}[i]) * time.Hour)
		must.NoError(t, os.Chtimes(Path(out, id), end, end))
	}
	got, err := Locate(out, "")
	must.NoError(t, err)
	must.True(t, strings.HasSuffix(got, "job_20260102000000_bbbb.json"), must.Sprint(got))
	got, err = Locate(out, "job_20250101000000_cccc")
	must.NoError(t, err)
	must.Eq(t, Path(out, "job_20250101000000_cccc"), got)
	got, err = Locate(got, "")
	must.NoError(t, err)
	must.Eq(t, Path(out, "job_20250101000000_cccc"), got)
}

// TestCountLostAttemptThatCommitted counts an attempt lost with its node
// as failed even when its task ran on and won the commit, so that the
// summary says the job needed a second attempt.
func TestCountLostAttemptThatCommitted(t *testing.T) {
	var p Phase
	p.Count([]Attempt{
		{Task: 0, Number: 1, State: AttemptCommitted, Failure: "allocation lost: node down", Counters: &jobs.Counters{RecordsIn: 5}},
		{Task: 0, Number: 2, State: AttemptSucceeded},
		{Task: 1, Number: 1, State: AttemptCommitted, Counters: &jobs.Counters{RecordsIn: 7}},
	})
	if p.Attempts != 3 || p.FailedAttempts != 1 || p.Committed != 2 || p.Counters.RecordsIn != 12 {
		t.Fatalf("got attempts %d, failed %d, committed %d, records in %d; want 3, 1, 2, 12",
			p.Attempts, p.FailedAttempts, p.Committed, p.Counters.RecordsIn)
	}
}

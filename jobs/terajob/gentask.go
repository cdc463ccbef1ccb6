package terajob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/task"
)

// GenTask is one map task of a TeraGen job that runs with no coordinator:
// every task is started on its own, as the allocations of a Nomad job file
// run with plain `nomad job run` are, and the tasks organise themselves
// through the output directory with the same protocol a runner uses.
//
// The first task to arrive stages the job under OUTDIR/_temporary/<JobID>
// and writes its plan; the others read that plan and refuse to run if
// their parameters differ. Each task runs as an attempt of jobs/task and
// commits by renaming its attempt directory, so a retried or duplicated
// task never doubles its rows. The task that finds every task committed
// after its own commit the job (moving the part files into OUTDIR and
// writing _SUCCESS), one task alone winning that turn. A task of a job
// that has committed already has nothing to do.
type GenTask struct {
	// Gen is the job; every task of it must be given the same.
	Gen Gen
	// JobID names the job's staging directory and is recorded in
	// _SUCCESS: 1 to 64 letters, digits, '-' or '_'. A Nomad job's ID fits.
	JobID string
	// Index is the task's index, from 0 to Gen.Maps-1.
	Index int
	// Attempt is the attempt's ID, new for every attempt: a Nomad
	// allocation ID fits.
	Attempt string
	// Stderr receives the task's progress; nil discards it.
	Stderr io.Writer
}

// GenOutcome is what a GenTask did.
type GenOutcome struct {
	// Task is the task's manifest, nil if another attempt of the task had
	// committed it.
	Task *jobs.Manifest
	// Job is the job's result when this task committed the job, or when
	// the job had committed before this task ran.
	Job *jobs.Result
}

// commitLock is the file, in the staging directory, that the task
// committing the job holds locked while it commits.
const commitLock = "committing"

// Run runs the task and, if it is the last to commit, the job commit.
func (t GenTask) Run(ctx context.Context) (*GenOutcome, error) {
	plan, err := t.plan()
	if err != nil {
		return nil, err
	}
	if res, err := committedResult(plan); res != nil || err != nil {
		if res != nil {
			removeLeftovers(plan) // of a committer cut short after its last rename
		}
		return &GenOutcome{Job: res}, err
	}
	staged, m, err := t.runTask(ctx, plan)
	if err != nil {
		// A task that arrives as the job commits, or an attempt outrun by
		// its duplicate, finds the staging directory gone: the job is
		// done all the same. Files it was writing as the commit removed
		// the staging directory may have kept that from going entirely.
		if res, _ := committedResult(plan); res != nil {
			removeLeftovers(plan)
			return &GenOutcome{Job: res}, nil
		}
		return nil, err
	}
	res, err := commitIfComplete(ctx, staged)
	if err != nil {
		return nil, err
	}
	if res == nil {
		// This attempt may have committed into a staging directory that
		// the job commit of another task was removing.
		if done, _ := committedResult(plan); done != nil {
			removeLeftovers(plan)
		}
	}
	return &GenOutcome{Task: m, Job: res}, nil
}

// runTask stages or joins the job and runs an attempt of the task. It
// returns the staged plan and the attempt's manifest, which is nil if
// another attempt committed the task.
func (t GenTask) runTask(ctx context.Context, plan *jobs.Plan) (*jobs.Plan, *jobs.Manifest, error) {
	if err := stage(plan); err != nil {
		return nil, nil, err
	}
	staged, err := readStagedPlan(plan)
	if err != nil {
		return nil, nil, err
	}
	m, err := task.Run(ctx, task.Options{
		PlanFile: staged.PlanFile(), Kind: jobs.MapTask, Index: t.Index, Attempt: t.Attempt, Stderr: t.Stderr,
	})
	if errors.Is(err, jobs.ErrAlreadyCommitted) {
		return staged, nil, nil
	}
	return staged, m, err
}

// removeLeftovers removes what remains of the staging directory of a job
// that has committed, and the temporary directory if no other job uses it.
func removeLeftovers(plan *jobs.Plan) {
	os.RemoveAll(plan.StagingDir())
	os.Remove(filepath.Join(plan.Job.Output, jobs.TemporaryDir))
}

// plan returns the plan this task would make, with the job's ID.
func (t GenTask) plan() (*jobs.Plan, error) {
	if err := checkJobID(t.JobID); err != nil {
		return nil, err
	}
	maps := max(t.Gen.Maps, 1)
	if t.Index < 0 || t.Index >= maps {
		return nil, fmt.Errorf("task index %d is out of range: the job has %d map tasks, 0 to %d", t.Index, maps, maps-1)
	}
	plan, err := t.Gen.Plan()
	if err != nil {
		return nil, err
	}
	if plan.Job.OutputURL != "" {
		return nil, fmt.Errorf("output %s: a plain Nomad job file's tasks write to a shared directory, not S3; run dockmr teragen instead", plan.Job.OutputURL)
	}
	plan.ID = t.JobID
	return plan, nil
}

// checkJobID checks that a job ID can name a directory.
func checkJobID(id string) error {
	if err := jobs.CheckAttemptID(id); err != nil {
		return fmt.Errorf("job id %q: want 1 to 64 letters, digits, '-' or '_'", id)
	}
	return nil
}

// committedResult returns the job's result if the output directory holds
// this job's committed output, and an error if it holds another job's.
func committedResult(plan *jobs.Plan) (*jobs.Result, error) {
	b, err := os.ReadFile(filepath.Join(plan.Job.Output, jobs.SuccessFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the output's %s: %w", jobs.SuccessFile, err)
	}
	var res jobs.Result
	if err := json.Unmarshal(b, &res); err != nil || res.ID != plan.ID {
		return nil, fmt.Errorf("output %s holds the output of another job; remove it or choose another", plan.Job.Output)
	}
	if res.Map.RecordsOut != plan.Job.Input.Rows {
		return nil, fmt.Errorf("output %s holds job %s's output of %d rows, not %d; remove it or choose another",
			plan.Job.Output, res.ID, res.Map.RecordsOut, plan.Job.Input.Rows)
	}
	return &res, nil
}

// stage joins the job's staging directory, or creates it if this task is
// the first, and writes the plan unless a task has. The output directory
// must then be new or empty: job commit replaces whatever it holds.
// Nothing here creates a staging directory that is gone: a job that has
// committed is not staged again by a task that arrives late.
func stage(plan *jobs.Plan) error {
	out := plan.Job.Output
	if _, err := os.Stat(plan.StagingDir()); err != nil {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("create output directory: %w", err)
		}
		entries, err := os.ReadDir(out)
		if err != nil {
			return fmt.Errorf("read output directory: %w", err)
		}
		for _, e := range entries {
			if e.Name() != jobs.TemporaryDir {
				return fmt.Errorf("%w and is not empty: %s holds %s; remove it or choose another", jobs.ErrOutputExists, out, e.Name())
			}
		}
		if err := os.MkdirAll(plan.StagingDir(), 0o755); err != nil {
			return fmt.Errorf("create staging directory: %w", err)
		}
	}
	// The task that created the staging directory may not have made these
	// yet; Mkdir, unlike MkdirAll, fails once the job has committed.
	for _, dir := range []string{"attempts", "tasks"} {
		if err := os.Mkdir(filepath.Join(plan.StagingDir(), dir), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("join job %s: %w", plan.ID, err)
		}
	}
	return writeOnce(plan)
}

// writeOnce writes the plan file unless a task has already: it links a
// complete temporary file into place, which fails if the file exists.
func writeOnce(plan *jobs.Plan) error {
	b, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	tmp, err := os.CreateTemp(plan.StagingDir(), ".plan.*")
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Chmod(0o644) // tasks may run as other users
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if err := os.Link(tmp.Name(), plan.PlanFile()); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// readStagedPlan reads the plan the job's first task wrote and checks that
// it is the job this task was given.
func readStagedPlan(mine *jobs.Plan) (*jobs.Plan, error) {
	staged, err := jobs.ReadPlan(mine.PlanFile())
	if err != nil {
		return nil, err
	}
	// The committing task turns Overwrite on; a late task must not mind.
	job := staged.Job
	job.Settings.Overwrite = mine.Job.Settings.Overwrite
	if !reflect.DeepEqual(job, mine.Job) {
		s, m := staged.Job, mine.Job
		return nil, fmt.Errorf("job %s was staged with %d rows, %d maps, format %s; this task was given %d rows, %d maps, format %s: every task of a job needs the same",
			mine.ID, s.Input.Rows, s.Map.Tasks, s.Map.Format, m.Input.Rows, m.Map.Tasks, m.Map.Format)
	}
	return staged, nil
}

// commitIfComplete commits the job if every task has committed and no
// other task has begun to, returning the job's result if this call
// committed it.
func commitIfComplete(ctx context.Context, plan *jobs.Plan) (*jobs.Result, error) {
	if !allCommitted(plan) {
		return nil, nil
	}
	unlock, err := takeCommitTurn(plan)
	if err != nil || unlock == nil {
		return nil, err
	}
	defer unlock()
	// The tasks have run: jobs.Run only checks that and commits. The
	// output directory holds nothing but the staging directories (stage
	// made sure) and the part files of a commit cut short, which
	// Overwrite's clearing of the output leaves alone.
	plan.Job.Settings.Overwrite = true
	res, err := jobs.Run(ctx, committed{}, plan)
	if err != nil {
		return nil, fmt.Errorf("commit job %s: %w", plan.ID, err)
	}
	return res, nil
}

// takeCommitTurn returns a function that gives the turn back if this task
// is to commit the job, and nil if another task is committing it or has.
// The turn is an exclusive lock on a file of the staging directory, which
// the kernel (or the NFS server) releases when its holder dies: the task
// that gets the lock after a committer was killed finishes that commit,
// and the job commit resumes what had been done.
func takeCommitTurn(plan *jobs.Plan) (func(), error) {
	f, err := os.OpenFile(filepath.Join(plan.StagingDir(), commitLock), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if res, _ := committedResult(plan); res != nil {
			return nil, nil // the committer removed the staging directory
		}
		return nil, fmt.Errorf("commit job %s: %w", plan.ID, err)
	}
	locked, err := tryLock(f)
	if err != nil || !locked {
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("commit job %s: lock %s: %w", plan.ID, f.Name(), err)
		}
		return nil, nil
	}
	if res, _ := committedResult(plan); res != nil {
		f.Close() // the committer that held the lock finished
		return nil, nil
	}
	return func() { f.Close() }, nil
}

func allCommitted(plan *jobs.Plan) bool {
	for i := range plan.Tasks(jobs.MapTask) {
		if _, err := os.Stat(filepath.Join(plan.TaskDir(jobs.MapTask, i), jobs.ManifestFile)); err != nil {
			return false
		}
	}
	return true
}

// committed is the runner of a job whose tasks have all committed: it
// runs nothing and checks that they have.
type committed struct{}

func (committed) RunTasks(_ context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	for i := range plan.Tasks(kind) {
		if _, err := plan.ReadManifest(kind, i); err != nil {
			return err
		}
	}
	return nil
}

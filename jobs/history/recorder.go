package history

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dockmr/dockmr/jobs"
)

// Lister is implemented by runners that can tell the attempts they made of
// a phase's tasks: where and when each ran and how it ended. Counters and
// the committed attempt come from the tasks' manifests, not from it.
type Lister interface {
	Attempts(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) ([]Attempt, error)
}

// Recorder runs jobs and writes their history.
type Recorder struct {
	Runner jobs.Runner
	// Lister lists the runner's attempts; without one, the history has
	// the committed attempts only, as their manifests tell.
	Lister Lister
	// RunnerName names the runner in the record: nomad, local.
	RunnerName string
	// Cancelled tells whether a job's error means it was stopped from
	// outside rather than failed; the context's end always does.
	Cancelled func(error) bool
	// Warn receives what went wrong while recording, which does not fail
	// the job.
	Warn func(error)
}

// Run runs a job as jobs.Run does and then writes its history beside its
// output, whether the job committed, failed or was cancelled. A job that
// never got to run a task (its output exists, say) leaves none.
func (r *Recorder) Run(ctx context.Context, plan *jobs.Plan) (*jobs.Result, error) {
	_, res, err := r.RunRecorded(ctx, plan)
	return res, err
}

// RunRecorded runs a job as Run does and returns its history record as
// well, nil when the job left none. A job's summary is drawn from the
// record, so that it says what `dockmr history` says.
func (r *Recorder) RunRecorded(ctx context.Context, plan *jobs.Plan) (*Record, *jobs.Result, error) {
	rec := newRecord(plan, r.RunnerName)
	res, err := jobs.Run(ctx, &phaseRecorder{Recorder: r, rec: rec}, plan)
	if err != nil && len(rec.Phases) == 0 {
		return nil, res, err
	}
	r.finish(ctx, rec, res, err)
	if werr := Write(rec); werr != nil {
		r.warn(werr)
	}
	return rec, res, err
}

func (r *Recorder) warn(err error) {
	if r.Warn != nil {
		r.Warn(err)
	}
}

func newRecord(plan *jobs.Plan, runner string) *Record {
	kind := string(plan.Job.Map.Func)
	if plan.Job.Reduce != nil {
		kind += "+" + string(plan.Job.Reduce.Func)
	}
	return &Record{
		Version: Version, ID: plan.ID, Name: plan.Job.Name, Kind: kind,
		Image: plan.Job.Image, Runner: runner, Output: plan.Job.Output,
		Submitted: plan.Created.UTC(),
	}
}

// finish sets the job's end, state and totals.
func (r *Recorder) finish(ctx context.Context, rec *Record, res *jobs.Result, err error) {
	rec.Finished = time.Now().UTC()
	switch {
	case err == nil:
		rec.State = StateComplete
		sum := res.Checksum
		rec.Checksum = &sum
	case ctx.Err() != nil || r.Cancelled != nil && r.Cancelled(err):
		rec.State = StateCancelled
		rec.Error = err.Error()
	default:
		rec.State = StateFailed
		rec.Error = err.Error()
	}
	for _, ph := range rec.Phases {
		rec.Counters.Add(ph.Counters)
	}
	if rec.Image == "" {
		for _, a := range rec.Attempts {
			if a.Image != "" {
				rec.Image = a.Image
				break
			}
		}
	}
}

// phaseRecorder is the runner a recorded job runs with: after each phase,
// ended well or not, it records the phase's attempts, before the job's
// commit or abort removes the tasks' manifests.
type phaseRecorder struct {
	*Recorder
	rec *Record
	mu  sync.Mutex // phases may overlap (slowstart)
}

func (p *phaseRecorder) RunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	return p.record(ctx, plan, kind, func() error { return p.Runner.RunTasks(ctx, plan, kind) })
}

// RunTasksNotify runs a phase through the runner's RunTasksNotify and
// records it as RunTasks does.
func (p *phaseRecorder) RunTasksNotify(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, frac float64, ready func()) error {
	ss, ok := p.Runner.(jobs.SlowStarter)
	if !ok { // the phase whole first, then the next
		err := p.RunTasks(ctx, plan, kind)
		if err == nil {
			ready()
		}
		return err
	}
	return p.record(ctx, plan, kind, func() error { return ss.RunTasksNotify(ctx, plan, kind, frac, ready) })
}

// record runs a phase and records its attempts.
func (p *phaseRecorder) record(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, run func() error) error {
	ph := Phase{Kind: kind, Tasks: plan.Tasks(kind), Started: time.Now().UTC()}
	err := run()
	ph.Finished = time.Now().UTC()
	var listed []Attempt
	if p.Lister != nil {
		// The job's context may have ended: listing must not.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		var lerr error
		listed, lerr = p.Lister.Attempts(lctx, plan, kind)
		cancel()
		if lerr != nil {
			p.warn(fmt.Errorf("history of job %s, %s phase: %w", plan.ID, kind, lerr))
		}
	}
	attempts := joinManifests(listed, manifests(plan, kind), err != nil)
	ph.Count(attempts)
	p.mu.Lock()
	p.rec.Phases = append(p.rec.Phases, ph)
	p.rec.Attempts = append(p.rec.Attempts, attempts...)
	p.mu.Unlock()
	return err
}

// RerunTasks re-runs tasks through the runner, when it can, and records
// the re-run as a phase of its own, with its reason.
func (p *phaseRecorder) RerunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, indices []int, round int, reason string) error {
	rr, ok := p.Runner.(jobs.Rerunner)
	if !ok {
		return jobs.ErrNoRerun
	}
	ph := Phase{Kind: kind, Tasks: plan.Tasks(kind), Started: time.Now().UTC(), Reason: reason}
	err := rr.RerunTasks(ctx, plan, kind, indices, round, reason)
	ph.Finished = time.Now().UTC()
	ms := manifests(plan, kind)
	var attempts []Attempt
	for _, a := range joinManifests(nil, ms, err != nil) {
		if kind == jobs.MapTask && !slices.Contains(indices, a.Task) {
			continue // not re-run: its attempt is in the map phase's record
		}
		if !a.Finished.Before(ph.Started) {
			a.Reason = reason
			attempts = append(attempts, a)
			ph.Attempts++
			ph.Committed++
			ph.Counters.Add(*a.Counters)
		}
	}
	p.mu.Lock()
	p.rec.Phases = append(p.rec.Phases, ph)
	p.rec.Attempts = append(p.rec.Attempts, attempts...)
	p.mu.Unlock()
	return err
}

// RemoveShuffle removes the job's map output from the nodes through the
// runner, when it keeps any there.
func (p *phaseRecorder) RemoveShuffle(plan *jobs.Plan, secret string) error {
	if c, ok := p.Runner.(jobs.ShuffleCleaner); ok {
		return c.RemoveShuffle(plan, secret)
	}
	return nil
}

// manifests reads the manifests of a phase's committed tasks, by task.
func manifests(plan *jobs.Plan, kind jobs.TaskKind) map[int]*jobs.Manifest {
	ms := map[int]*jobs.Manifest{}
	for i := range plan.Tasks(kind) {
		if m, err := plan.ReadManifest(kind, i); err == nil {
			ms[i] = m
		}
	}
	return ms
}

// joinManifests marks the attempt of each task that committed, with its
// counters, and adds committed attempts the runner did not list. Attempts
// of a failed phase that had not ended were killed with it.
func joinManifests(listed []Attempt, ms map[int]*jobs.Manifest, phaseFailed bool) []Attempt {
	out := slices.Clone(listed)
	found := map[int]bool{}
	for i := range out {
		a := &out[i]
		if m, ok := ms[a.Task]; ok && m.Attempt == a.ID {
			a.State = AttemptCommitted
			c := m.Counters
			a.Counters = &c
			found[a.Task] = true
		}
		if phaseFailed && a.State == AttemptRunning {
			a.State = AttemptKilled
		}
	}
	for i, m := range ms {
		if found[i] {
			continue
		}
		c := m.Counters
		out = append(out, Attempt{
			Phase: kindOf(m.Task), Task: i, Number: lastNumber(out, i) + 1, ID: m.Attempt,
			State: AttemptCommitted, Started: m.Started.UTC(), Finished: m.Finished.UTC(), Counters: &c,
		})
	}
	slices.SortStableFunc(out, func(a, b Attempt) int {
		return cmp.Or(cmp.Compare(a.Task, b.Task), cmp.Compare(a.Number, b.Number))
	})
	return out
}

func kindOf(task string) jobs.TaskKind {
	if strings.HasPrefix(task, "r-") {
		return jobs.ReduceTask
	}
	return jobs.MapTask
}

func lastNumber(as []Attempt, task int) int {
	n := 0
	for _, a := range as {
		if a.Task == task {
			n = max(n, a.Number)
		}
	}
	return n
}

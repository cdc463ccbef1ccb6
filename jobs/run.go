package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/dockmr/dockmr/internal/telemetry"
)

// Runner executes the tasks of a staged plan. Every task is one run of the
// task runtime (dockmr-task) with the plan file, the task kind and index,
// and an attempt ID of the runner's choice; a runner starts attempts, retries
// failed ones up to the job's MaxAttempts, and returns once every task of
// the kind has committed. Tasks commit themselves, so a runner need not
// know what they write.
type Runner interface {
	RunTasks(ctx context.Context, plan *Plan, kind TaskKind) error
}

// Rerunner is a Runner that can run new attempts of some tasks whose
// commits the job took back: maps whose output was lost with their node.
type Rerunner interface {
	Runner
	// RerunTasks runs the tasks of a kind with the given indices until
	// each has committed again; round counts the job's re-runs from 1,
	// reason says why, for the history.
	RerunTasks(ctx context.Context, plan *Plan, kind TaskKind, indices []int, round int, reason string) error
}

// ErrNoRerun is what a Rerunner that wraps a runner unable to re-run
// returns: the job fails with the phase's own error.
var ErrNoRerun = errors.New("the runner cannot re-run tasks")

// ShuffleCleaner is a Runner that removes a job's map output from the
// nodes that keep it, once the job has ended.
type ShuffleCleaner interface {
	RemoveShuffle(plan *Plan, secret string) error
}

// SlowStarter is a Runner that can tell, while a phase runs, when all of
// its tasks are placed and a fraction of them has committed.
type SlowStarter interface {
	Runner
	// RunTasksNotify is RunTasks, calling ready once (from any goroutine)
	// when no task of the phase waits for placement any more and at
	// least frac of them have committed.
	RunTasksNotify(ctx context.Context, plan *Plan, kind TaskKind, frac float64, ready func()) error
}

// MaxReruns bounds how many times a job re-runs lost map output before it
// fails: a node that loses every output it makes must not loop for ever.
const MaxReruns = 3

// Result is what a job did.
type Result struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Output string `json:"output"`
	// Map and Reduce add up the counters of each phase's tasks.
	Map    Counters `json:"map"`
	Reduce Counters `json:"reduce"`
	// Checksum is the checksum of the job's output records.
	Checksum Checksum      `json:"checksum"`
	Elapsed  time.Duration `json:"elapsed_ns"`
}

// ErrOutputExists reports that a job's output directory exists already and
// the job may not overwrite it.
var ErrOutputExists = errors.New("output directory already exists")

// Run runs a planned job with a runner: it stages the job, runs its map
// tasks and then its reduce tasks, and commits the job. On any failure, or
// when ctx is cancelled, it aborts the job, leaving no output behind: the
// output directory is removed again if Run created it, and an existing one
// (with Overwrite) keeps its previous contents.
func Run(ctx context.Context, r Runner, plan *Plan) (_ *Result, err error) {
	ctx, span := tracer.Start(ctx, "job "+plan.Job.Name, trace.WithAttributes(
		telemetry.JobID.String(plan.ID), telemetry.JobName.String(plan.Job.Name)))
	defer func() { endSpan(span, err) }()
	if err := plan.Job.validatePartitioner(false); err != nil {
		return nil, fmt.Errorf("job %q: partitioner: %w", plan.Job.Name, err)
	}
	created, err := plan.stage()
	if err != nil {
		return nil, err
	}
	if c, ok := r.(ShuffleCleaner); ok && plan.Job.Settings.Shuffle == NodeShuffle {
		// Read now: the commit or abort removes the staging directory.
		if secret, serr := plan.ShuffleSecret(); serr == nil {
			// A node that cannot be reached now removes the job's data
			// by age: a failed removal does not change the job's end.
			defer func() { _ = c.RemoveShuffle(plan, secret) }()
		}
	}
	res, err := runStaged(ctx, r, plan)
	if err != nil {
		if abortErr := plan.abort(created); abortErr != nil {
			err = errors.Join(err, abortErr)
		}
		return nil, err
	}
	return res, nil
}

func runStaged(ctx context.Context, r Runner, plan *Plan) (*Result, error) {
	if ss, ok := r.(SlowStarter); ok && plan.Job.Settings.SlowStart > 0 && plan.Reduces() > 0 {
		if err := runOverlapped(ctx, ss, plan); err != nil {
			return nil, fmt.Errorf("job %s: %w", plan.Job.Name, err)
		}
		return commitStaged(ctx, plan)
	}
	for _, kind := range []TaskKind{MapTask, ReduceTask} {
		if plan.Tasks(kind) == 0 {
			continue
		}
		err := runPhase(ctx, r, plan, kind)
		if kind == ReduceTask {
			err = rerunLost(ctx, r, plan, err)
		}
		if err != nil {
			return nil, fmt.Errorf("job %s: %s phase: %w", plan.Job.Name, kind, err)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("job %s: %w", plan.Job.Name, err)
		}
	}
	return commitStaged(ctx, plan)
}

// commitStaged commits a job whose tasks have all committed.
func commitStaged(ctx context.Context, plan *Plan) (*Result, error) {
	_, span := tracer.Start(ctx, "job commit")
	res, err := plan.commit()
	endSpan(span, err)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", plan.Job.Name, err)
	}
	return res, nil
}

// runPhase runs the tasks of a phase under the phase's span, which the
// runner hands to its tasks as their parent.
func runPhase(ctx context.Context, r Runner, plan *Plan, kind TaskKind) error {
	ctx, span := tracer.Start(ctx, "phase "+string(kind), trace.WithAttributes(
		telemetry.JobID.String(plan.ID), telemetry.Phase.String(string(kind)), telemetry.Tasks.Int(plan.Tasks(kind))))
	err := r.RunTasks(ctx, plan, kind)
	endSpan(span, err)
	return err
}

// rerunLost handles a reduce phase that failed because reduces could not
// fetch some maps' output: it takes back those maps' commits, runs them
// again and runs the reduce phase again, whose committed reduces are left
// as they are, up to MaxReruns times. A reduce only ever reads the
// committed attempt of each map, so it never mixes two attempts' output.
func rerunLost(ctx context.Context, r Runner, plan *Plan, err error) error {
	rr, ok := r.(Rerunner)
	for round := 1; err != nil && ok && round <= MaxReruns && ctx.Err() == nil; round++ {
		reports, rerr := plan.LostReports()
		if rerr != nil {
			return errors.Join(err, rerr)
		}
		lost := LostMaps(reports, plan.committedAttempt(MapTask))
		if len(lost) == 0 {
			return err
		}
		reason := fmt.Sprintf("rerun: output lost: %s", reports[0].Reason)
		for _, m := range lost {
			if _, uerr := plan.Uncommit(MapTask, m, plan.committedAttempt(MapTask)(m)); uerr != nil {
				return errors.Join(err, uerr)
			}
		}
		if cerr := plan.ClearLostReports(); cerr != nil {
			return errors.Join(err, cerr)
		}
		if merr := rr.RerunTasks(ctx, plan, MapTask, lost, round, reason); errors.Is(merr, ErrNoRerun) {
			return err
		} else if merr != nil {
			return fmt.Errorf("re-run maps %v whose output was lost: %w", lost, merr)
		}
		err = rr.RerunTasks(ctx, plan, ReduceTask, nil, round, reason)
	}
	return err
}

// committedAttempt returns a function giving a task's committed attempt,
// "" if it has none.
func (p *Plan) committedAttempt(kind TaskKind) func(int) string {
	return func(i int) string {
		m, err := p.ReadManifest(kind, i)
		if err != nil {
			return ""
		}
		return m.Attempt
	}
}

// runOverlapped runs the map phase and starts the reduce phase once the
// maps are all placed and SlowStart of them committed; the reduces fetch
// each map's output as it commits. Starting them only once every map is
// placed keeps them from taking the room a map needs to start. A map
// phase that fails stops the reduces.
func runOverlapped(ctx context.Context, r SlowStarter, plan *Plan) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan struct{})
	var once sync.Once
	mapsDone := make(chan error, 1)
	go func() {
		ctx, span := tracer.Start(ctx, "phase "+string(MapTask), trace.WithAttributes(
			telemetry.JobID.String(plan.ID), telemetry.Phase.String(string(MapTask)), telemetry.Tasks.Int(plan.Tasks(MapTask))))
		err := r.RunTasksNotify(ctx, plan, MapTask, plan.Job.Settings.SlowStart, func() { once.Do(func() { close(ready) }) })
		endSpan(span, err)
		mapsDone <- err
	}()
	var mapErr error
	mapsEnded := false
	select {
	case <-ready:
	case mapErr = <-mapsDone:
		mapsEnded = true
		if mapErr != nil {
			return fmt.Errorf("%s phase: %w", MapTask, mapErr)
		}
	}
	reducesDone := make(chan error, 1)
	go func() { reducesDone <- runPhase(ctx, r, plan, ReduceTask) }()
	if !mapsEnded {
		if mapErr = <-mapsDone; mapErr != nil {
			cancel()
			if rerr := <-reducesDone; rerr != nil && !errors.Is(rerr, context.Canceled) {
				return errors.Join(fmt.Errorf("%s phase: %w", MapTask, mapErr), rerr)
			}
			return fmt.Errorf("%s phase: %w", MapTask, mapErr)
		}
	}
	if err := rerunLost(ctx, r, plan, <-reducesDone); err != nil {
		return fmt.Errorf("%s phase: %w", ReduceTask, err)
	}
	return ctx.Err()
}

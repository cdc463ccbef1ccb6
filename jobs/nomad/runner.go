package nomad

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/internal/tail"
	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs"
)

// Runner runs the tasks of a plan as Nomad allocations. It implements
// jobs.Runner.
type Runner struct {
	Client   *api.Client
	Settings Settings
	// Progress, when set, is called whenever a phase's allocations change.
	Progress func(Progress)
	// WaitTime bounds each blocking query on the phase's allocations.
	WaitTime time.Duration

	// submitted are the Nomad jobs of the phases Nomad accepted, whose
	// attempts the history lists.
	submitted sync.Map
}

var _ jobs.Runner = (*Runner)(nil)

// RunTasks submits the phase as a batch job and follows it until every
// task has committed. When the phase fails, or ctx ends, the Nomad job is
// stopped so that no container keeps running; the caller aborts the job.
func (r *Runner) RunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	return r.runJob(ctx, plan, kind, phaseJob(plan, kind, r.Settings), nil)
}

// RunTasksNotify is RunTasks, calling ready once when no task of the
// phase waits for placement and frac of them have committed.
func (r *Runner) RunTasksNotify(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, frac float64, ready func()) error {
	return r.runJob(ctx, plan, kind, phaseJob(plan, kind, r.Settings), &readyWatch{frac: frac, call: ready})
}

// readyWatch calls its function once a phase is placed and frac done.
type readyWatch struct {
	frac float64
	call func()
}

// check calls the function, once, when p says the time has come.
func (w *readyWatch) check(p Progress) {
	if w == nil || w.call == nil || p.Pending > 0 || float64(p.Done) < w.frac*float64(p.Tasks) {
		return
	}
	w.call()
	w.call = nil
}

// RerunTasks runs new attempts of tasks whose commits the job took back:
// each map as a one-task job of its own, dockmr-<job>-map-rerun-<task>-<round>,
// or the whole reduce phase again, dockmr-<job>-reduce-rerun-<round>,
// whose committed tasks end at once.
func (r *Runner) RerunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, indices []int, round int, _ string) error {
	if kind == jobs.ReduceTask || indices == nil {
		job := phaseJob(plan, kind, r.Settings)
		job.ID = ptr(fmt.Sprintf("%s-rerun-%d", PhaseJobID(plan, kind), round))
		return r.runJob(ctx, plan, kind, job, nil)
	}
	errs := make([]error, len(indices))
	var wg sync.WaitGroup
	for n, i := range indices {
		wg.Go(func() { errs[n] = r.runJob(ctx, plan, kind, rerunJob(plan, kind, i, round, r.Settings), nil) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// RemoveShuffle asks every node's shuffle server to remove the job's map
// output.
func (r *Runner) RemoveShuffle(plan *jobs.Plan, secret string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return RemoveShuffleData(ctx, r.Client, plan.ID, secret)
}

// runJob submits one Nomad job of a phase and follows it until every
// task in it has committed. When it fails, or ctx ends, the Nomad job is
// stopped so that no container keeps running; the caller aborts the job.
func (r *Runner) runJob(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, job *api.Job, ready *readyWatch) error {
	if err := CheckPaths(plan, r.Settings); err != nil {
		return err
	}
	// Cancelling removes the staging directory: a job cancelled between
	// two phases must not start the second.
	if _, err := os.Stat(plan.PlanFile()); err != nil {
		return fmt.Errorf("%w: its plan is gone: %w", ErrStopped, err)
	}
	if imageFor(plan, kind, r.Settings) == "" {
		return fmt.Errorf("no image for the %s phase: pass --image or set image in the job spec", kind)
	}
	// The phase's span is the parent of its tasks' attempts.
	maps.Copy(job.TaskGroups[0].Tasks[0].Env, telemetry.Env(ctx))
	if usesS3(plan) {
		forget, err := shareS3Credentials(ctx, r.Client, job)
		if err != nil {
			return err
		}
		defer forget()
	}
	napi := clientAPI{r.Client}
	if err := napi.Register(job); err != nil {
		return fmt.Errorf("submit Nomad job %s: %w", *job.ID, err)
	}
	r.submitted.Store(*job.ID, true)
	spans := newAttemptSpans(ctx, string(kind), imageFor(plan, kind, r.Settings))
	state := phaseState{phase: string(kind), tasks: *job.TaskGroups[0].Count, maxAttempts: *job.TaskGroups[0].ReschedulePolicy.Attempts + 1}
	f := r.follower(napi, *job.ID, state, spans)
	f.ready = ready
	f.lost = func() bool { return lostOutput(plan, kind) }
	err := f.run(ctx)
	spans.finish(napi, *job.ID)
	return err
}

// follower is the phase's follower, with the runner's settings or their
// defaults.
func (r *Runner) follower(napi phaseAPI, jobID string, state phaseState, spans *attemptSpans) *phaseFollower {
	wait := r.WaitTime
	if wait <= 0 {
		wait = 5 * time.Second
	}
	delay := r.Settings.RescheduleDelay
	if delay <= 0 {
		delay = minRescheduleDelay
	}
	outage := r.Settings.OutageWait
	if outage <= 0 {
		outage = DefaultOutageWait
	}
	return &phaseFollower{
		api:      napi,
		jobID:    jobID,
		state:    state,
		wait:     wait,
		retries:  retryWatch{after: max(3*delay, minRetryNudge)},
		outage:   outageWatch{limit: outage},
		progress: r.Progress,
		spans:    spans,
		now:      time.Now,
		sleep:    sleepCtx,
	}
}

// stderrTailTimeout bounds the read of one allocation's stderr tail.
const stderrTailTimeout = 10 * time.Second

// stderrTail reads the last lines of a task's stderr, up to
// tail.DefaultLimit bytes, from its node, and what ended the read early.
func stderrTail(ctx context.Context, c *api.Client, alloc *api.Allocation, task string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, stderrTailTimeout)
	defer cancel()
	cancelCh := make(chan struct{})
	go func() { <-ctx.Done(); close(cancelCh) }()
	// One byte more than is kept tells whether the first line is whole.
	frames, errs := c.AllocFS().Logs(alloc, false, task, "stderr", api.OriginEnd, tail.DefaultLimit+1, cancelCh, nil)
	var b strings.Builder
	for {
		select {
		case f, ok := <-frames:
			if !ok {
				return tail.Trim(b.String(), tail.DefaultLimit), nil
			}
			b.Write(f.Data)
		case err := <-errs:
			return tail.Trim(b.String(), tail.DefaultLimit), err
		case <-ctx.Done():
			return tail.Trim(b.String(), tail.DefaultLimit), ctx.Err()
		}
	}
}

// errLostOutput ends a reduce phase some of whose reduces could not fetch
// map output.
var errLostOutput = errors.New("reduces could not fetch some map output; its maps run again")

// lostOutput reports whether reduces of a node-shuffle job reported lost
// map output.
func lostOutput(plan *jobs.Plan, kind jobs.TaskKind) bool {
	if kind != jobs.ReduceTask || plan.Job.Settings.Shuffle != jobs.NodeShuffle {
		return false
	}
	reports, err := plan.LostReports()
	return err == nil && len(reports) > 0
}

// ErrStopped is returned when a phase's Nomad job was stopped from outside
// (`dockmr cancel`, `nomad job stop`).
var ErrStopped = errors.New("the Nomad job was stopped")

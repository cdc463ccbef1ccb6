package nomad

import (
	"context"
	"fmt"
	"time"

	"github.com/dockmr/dockmr/internal/tail"
)

// phaseFollower follows one submitted phase to its end through a
// phaseAPI, and makes the phase's decisions: when it is done, when it has
// failed for good, when it was stopped from outside, when to nudge a
// blocked placement, how long to wait through a Nomad outage. Its clock
// and its sleep are fields, so that tests move time themselves.
type phaseFollower struct {
	api   phaseAPI
	jobID string
	state phaseState
	// wait bounds each blocking query on the phase's allocations.
	wait     time.Duration
	retries  retryWatch
	outage   outageWatch
	progress func(Progress)
	spans    *attemptSpans
	// ready, when set, is told each progress, for slowstart.
	ready *readyWatch
	// lost, when set, tells whether reduces reported lost map output,
	// which no retry of a reduce can fetch.
	lost func() bool

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// run follows the phase; when it fails, or ctx ends, it stops the Nomad
// job so that no container keeps running.
func (f *phaseFollower) run(ctx context.Context) error {
	err := f.follow(ctx)
	if err != nil {
		f.stop()
	}
	return err
}

// follow watches the phase's allocations with blocking queries until the
// phase is done, has failed, or was stopped.
func (f *phaseFollower) follow(ctx context.Context) error {
	var index uint64
	var last Progress
	for {
		allocs, next, err := f.api.Allocations(ctx, f.jobID, index, f.wait)
		if err != nil {
			if err := f.waitOut(ctx, err); err != nil {
				return err
			}
			index = 0 // the first answer after an outage comes at once
			continue
		}
		f.outage.answered()
		index = next
		f.spans.update(allocs)
		v := f.state.judge(allocs)
		f.ready.check(v.progress)
		if f.progress != nil && v.progress != last {
			f.progress(v.progress)
			last = v.progress
		}
		if f.retries.due(v.unplaced, f.now()) {
			f.nudge()
		}
		if end, err := f.decide(v); end {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// waitOut decides what a failed query means. It ends the phase when ctx
// has ended, when Nomad refused the query, or when Nomad has not answered
// for longer than the outage limit; otherwise it waits a little before the
// next query.
func (f *phaseFollower) waitOut(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !isOutage(err) {
		return fmt.Errorf("follow Nomad job %s: %w", f.jobID, err)
	}
	if err := f.outage.failed(err, f.now()); err != nil {
		return fmt.Errorf("follow Nomad job %s: %w", f.jobID, err)
	}
	return f.sleep(ctx, f.outage.backoff(f.now()))
}

// decide tells whether the verdict ends the phase, and with what error.
func (f *phaseFollower) decide(v verdict) (end bool, err error) {
	switch {
	case v.done:
		return true, nil
	case v.progress.FailedAttempts > 0 && f.lost != nil && f.lost():
		// The job re-runs the maps first.
		return true, fmt.Errorf("%s phase: %w", f.state.phase, errLostOutput)
	case v.failure != nil:
		return true, f.explain(*v.failure)
	case v.stopping && f.stoppedFromOutside():
		return true, fmt.Errorf("%s phase: %w", f.state.phase, ErrStopped)
	}
	return false, nil
}

// nudge asks Nomad to evaluate the phase's job again, rescheduling its
// failed allocations now, when its placement is blocked for want of a
// healthy driver. A task that Nomad could not place while every node's
// driver was unhealthy (their Docker daemon or their plugins restarting),
// a retry or a phase submitted then, stays blocked after the drivers
// recover: the scheduler remembers a node class as lacking the driver,
// and driver health is no part of the class, so no node update unblocks
// it. Tasks waiting for room are left to Nomad. A failed nudge is tried
// again later.
func (f *phaseFollower) nudge() {
	evals, err := f.api.Evaluations(f.jobID)
	if err != nil || !blockedOnDrivers(evals) {
		return
	}
	_ = f.api.ForceEvaluate(f.jobID)
}

// explain adds the end of the failed attempt's stderr to its failure, when
// the task got far enough to write any.
func (f *phaseFollower) explain(failure taskFailure) error {
	return tail.NewError(failure, f.api.StderrTail(failure.AllocID, f.state.phase))
}

// stoppedFromOutside reports whether the phase's job has been stopped
// (`dockmr cancel`, `nomad job stop`); it is asked only once some
// allocation is told to stop.
func (f *phaseFollower) stoppedFromOutside() bool {
	stopped, err := f.api.Stopped(f.jobID)
	return err == nil && stopped
}

// stop deregisters the phase's job without purging it, so its allocations
// (and their logs) stay visible until Nomad's garbage collection, and waits
// a while for its containers to end: the job's abort removes the staging
// directory they write in.
func (f *phaseFollower) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), stopWait)
	defer cancel()
	_ = stopAndWait(ctx, f.api, f.jobID)
}

// stopWait bounds how long a failed or cancelled phase waits for its
// containers to stop: a few kill timeouts.
const stopWait = time.Minute

// sleepCtx waits for d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

package nomad

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

// The allocations of a phase's tasks, as the tests script them.
func running(id string, task int) *api.AllocationListStub {
	return stub(id, task, api.AllocClientStatusRunning, api.AllocDesiredStatusRun)
}

func pending(id string, task int) *api.AllocationListStub {
	return stub(id, task, api.AllocClientStatusPending, api.AllocDesiredStatusRun)
}

func complete(id string, task int) *api.AllocationListStub {
	return stub(id, task, api.AllocClientStatusComplete, api.AllocDesiredStatusRun)
}

func exited(id string, task, code int) *api.AllocationListStub {
	return stub(id, task, api.AllocClientStatusFailed, api.AllocDesiredStatusRun,
		&api.TaskEvent{Type: api.TaskTerminated, ExitCode: code})
}

func lost(id string, task int) *api.AllocationListStub {
	return stub(id, task, api.AllocClientStatusLost, api.AllocDesiredStatusStop)
}

func allocs(a ...*api.AllocationListStub) []*api.AllocationListStub { return a }

func TestFollow_DoneWhenEveryTaskCommitted(t *testing.T) {
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(pending("a0", 0), pending("a1", 1))},
		scene{at: 3 * time.Second, allocs: allocs(running("a0", 0), running("a1", 1))},
		scene{at: 8 * time.Second, allocs: allocs(complete("a0", 0), running("a1", 1))},
		scene{at: 9 * time.Second, allocs: allocs(complete("a0", 0), complete("a1", 1))},
	)
	f := n.follower(2, 3)
	var seen []Progress
	f.progress = func(p Progress) { seen = append(seen, p) }

	must.NoError(t, f.run(context.Background()))
	must.Eq(t, 9*time.Second, n.elapsed(), must.Sprint("done at the first answer that says so"))
	must.SliceEmpty(t, n.deregistered, must.Sprint("a phase that is done is not stopped"))
	must.Eq(t, []Progress{
		{Phase: "map", Tasks: 2, Pending: 2, Attempts: 2},
		{Phase: "map", Tasks: 2, Running: 2, Attempts: 2},
		{Phase: "map", Tasks: 2, Done: 1, Running: 1, Attempts: 2},
		{Phase: "map", Tasks: 2, Done: 2, Attempts: 2},
	}, seen, must.Sprint("reported once per change"))
}

func TestFollow_FailedAttemptWithAttemptsLeftIsRetried(t *testing.T) {
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(running("a0", 0))},
		scene{at: 4 * time.Second, allocs: allocs(exited("a0", 0, 1))},
		scene{at: 10 * time.Second, allocs: allocs(exited("a0", 0, 1), running("b0", 0))},
		scene{at: 15 * time.Second, allocs: allocs(exited("a0", 0, 1), complete("b0", 0))},
	)
	f := n.follower(1, 2)
	var last Progress
	f.progress = func(p Progress) { last = p }

	must.NoError(t, f.run(context.Background()))
	must.Eq(t, Progress{Phase: "map", Tasks: 1, Done: 1, Attempts: 2, FailedAttempts: 1}, last)
	must.SliceEmpty(t, n.deregistered)
}

func TestFollow_FailsOnceAttemptsAreUsedUpAndQuotesStderr(t *testing.T) {
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(exited("a0", 0, 1), running("a1", 1))},
		scene{at: 10 * time.Second, allocs: allocs(exited("a0", 0, 1), running("b0", 0), running("a1", 1))},
		scene{at: 12 * time.Second, allocs: allocs(exited("a0", 0, 1), exited("b0", 0, 3), running("a1", 1))},
	)
	n.tails["b0"] = "Traceback (most recent call last):\nValueError: bad record"
	err := n.follower(2, 2).run(context.Background())

	must.ErrorContains(t, err, "task 0 (allocation b0): failed 2 of 2 allowed attempts; last: exit code 3")
	must.ErrorContains(t, err, "its stderr ends with:\n    Traceback (most recent call last):\n    ValueError: bad record")
	must.Eq(t, []time.Duration{12 * time.Second}, n.deregistered, must.Sprint("the failed phase is stopped at once"))
}

func TestFollow_DriverRefusalFailsAtOnce(t *testing.T) {
	refused := stub("a0", 0, api.AllocClientStatusFailed, api.AllocDesiredStatusRun,
		&api.TaskEvent{Type: api.TaskDriverFailure, DriverError: "mount /etc is not under allowed_mounts"})
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(pending("a0", 0), running("a1", 1))},
		scene{at: 2 * time.Second, allocs: allocs(refused, running("a1", 1))},
	)
	err := n.follower(2, 4).run(context.Background())

	must.ErrorContains(t, err, "task 0 (allocation a0): mount /etc is not under allowed_mounts")
	must.Eq(t, []time.Duration{2 * time.Second}, n.deregistered, must.Sprint("no retry can help: 3 attempts left unused"))
}

func TestFollow_LostAllocationIsAFailedAttempt(t *testing.T) {
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(running("a0", 0))},
		scene{at: 5 * time.Second, allocs: allocs(lost("a0", 0))},
		scene{at: 10 * time.Second, allocs: allocs(lost("a0", 0), running("b0", 0))},
		scene{at: 20 * time.Second, allocs: allocs(lost("a0", 0), complete("b0", 0))},
	)
	f := n.follower(1, 2)
	var last Progress
	f.progress = func(p Progress) { last = p }
	must.NoError(t, f.run(context.Background()), must.Sprint("retried on another node"))
	must.Eq(t, 1, last.FailedAttempts)

	n = newFakeNomad(t,
		scene{at: 0, allocs: allocs(running("a0", 0))},
		scene{at: 5 * time.Second, allocs: allocs(lost("a0", 0))},
	)
	err := n.follower(1, 1).run(context.Background())
	must.ErrorContains(t, err, "failed 1 of 1 allowed attempts; last: allocation lost (its node went down)")
}

// blocked is an evaluation Nomad could not place a task group for.
func blocked(m *api.AllocationMetric) []*api.Evaluation {
	return []*api.Evaluation{{Status: api.EvalStatusBlocked, FailedTGAllocs: map[string]*api.AllocationMetric{"map": m}}}
}

func TestFollow_NudgesPlacementBlockedOnDrivers(t *testing.T) {
	noDriver := blocked(&api.AllocationMetric{ConstraintFiltered: map[string]int{"missing drivers": 2}})
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(exited("a0", 0, 1)), evals: noDriver},
		scene{at: 40 * time.Second, allocs: allocs(exited("a0", 0, 1), complete("b0", 0))},
	)
	must.NoError(t, n.follower(1, 3).run(context.Background()))
	// The retry waits from the first answer (0 s); queries return every
	// 5 s; the nudge is due after 3 reschedule delays of 5 s, and again
	// 15 s after each nudge.
	must.Eq(t, []time.Duration{15 * time.Second, 30 * time.Second}, n.forced)
}

func TestFollow_LeavesPlacementWaitingForRoomToNomad(t *testing.T) {
	noRoom := blocked(&api.AllocationMetric{NodesExhausted: 2})
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(exited("a0", 0, 1)), evals: noRoom},
		scene{at: 40 * time.Second, allocs: allocs(exited("a0", 0, 1), complete("b0", 0))},
	)
	must.NoError(t, n.follower(1, 3).run(context.Background()))
	must.Eq(t, 2, n.evalReads, must.Sprint("looked at the evaluations when a nudge was due"))
	must.SliceEmpty(t, n.forced)
}

func TestFollow_NoNudgeWhileTheRetryIsPlaced(t *testing.T) {
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(exited("a0", 0, 1), pending("b0", 0))},
		scene{at: 60 * time.Second, allocs: allocs(exited("a0", 0, 1), complete("b0", 0))},
	)
	must.NoError(t, n.follower(1, 3).run(context.Background()))
	must.Zero(t, n.evalReads, must.Sprint("a placed retry waits for its node, not for the scheduler"))
}

func TestFollow_StoppedFromOutside(t *testing.T) {
	stopping := stub("a0", 0, api.AllocClientStatusRunning, api.AllocDesiredStatusStop)
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(running("a0", 0))},
		scene{at: 5 * time.Second, allocs: allocs(stopping), stopped: true},
	)
	err := n.follower(1, 3).run(context.Background())
	must.ErrorIs(t, err, ErrStopped)
	must.ErrorContains(t, err, "map phase")
}

func TestFollow_AllocationStoppedByNomadIsNoStopOfThePhase(t *testing.T) {
	// Nomad stops an allocation it replaces (a node drained, say)
	// while the job itself runs on.
	migrating := stub("a0", 0, api.AllocClientStatusRunning, api.AllocDesiredStatusStop)
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(running("a0", 0))},
		scene{at: 5 * time.Second, allocs: allocs(migrating, pending("b0", 0))},
		scene{at: 20 * time.Second, allocs: allocs(stub("a0", 0, api.AllocClientStatusComplete, api.AllocDesiredStatusStop), complete("b0", 0))},
	)
	must.NoError(t, n.follower(1, 3).run(context.Background()))
	must.SliceEmpty(t, n.deregistered)
}

func TestFollow_EndsWithTheContextAndStopsThePhase(t *testing.T) {
	n := newFakeNomad(t, scene{at: 0, allocs: allocs(running("a0", 0))})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n.cancel, n.cancelAt = cancel, 30*time.Second

	err := n.follower(1, 3).run(ctx)
	must.ErrorIs(t, err, context.Canceled)
	must.Eq(t, []time.Duration{30 * time.Second}, n.deregistered)
}

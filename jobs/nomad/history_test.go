package nomad

import (
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/jobs/history"
)

// The summary of a Nomad job is drawn from its history: a task that failed
// twice and then succeeded counts 3 attempts and 2 failures there, the
// same figures the phase's progress showed while it ran.
func TestHistoryCountsAgreeWithProgress(t *testing.T) {
	failed := func(id string, create uint64, s float64) *api.AllocationListStub {
		term := ev(api.TaskTerminated, s+1)
		term.ExitCode = 1
		return allocFixture(id, 0, create, "client-1", "failed", ev(api.TaskReceived, s), ev(api.TaskStarted, s), term)
	}
	allocs := []*api.AllocationListStub{
		failed("a0", 10, 0),
		failed("a1", 20, 5),
		allocFixture("a2", 0, 30, "client-2", "complete", ev(api.TaskReceived, 10), ev(api.TaskStarted, 10), ev(api.TaskTerminated, 11)),
		allocFixture("b0", 1, 11, "client-2", "complete", ev(api.TaskReceived, 0), ev(api.TaskStarted, 0), ev(api.TaskTerminated, 2)),
		// Stopped before it started: no attempt, in either count.
		stub("b1", 1, "complete", "stop"),
	}
	var attempts []history.Attempt
	for _, a := range attemptsOf("map", "img", allocs) {
		h := historyAttempt(a)
		if h.ID == "a2" || h.ID == "b0" {
			h.State = history.AttemptCommitted // as the tasks' manifests say
		}
		attempts = append(attempts, h)
	}
	ph := history.Phase{Tasks: 2}
	ph.Count(attempts)
	must.Eq(t, 4, ph.Attempts)
	must.Eq(t, 2, ph.FailedAttempts)
	must.Eq(t, 2, ph.Committed)

	p := phaseState{phase: "map", tasks: 2, maxAttempts: 4}.judge(allocs).progress
	must.Eq(t, p.Attempts, ph.Attempts)
	must.Eq(t, p.FailedAttempts, ph.FailedAttempts)
}

package nomad

import (
	"context"
	"time"

	"github.com/hashicorp/nomad/api"
)

// phaseAPI is the part of Nomad's API that running a phase needs. The
// follower's decisions are unit-tested against a fake of it that scripts
// Nomad's answers over time; clientAPI is the real one.
type phaseAPI interface {
	// Register submits a job.
	Register(job *api.Job) error
	// Deregister stops a job, keeping it and its allocations visible.
	Deregister(jobID string) error
	// Allocations returns a job's allocations once Nomad's state index
	// has passed index, or when wait is over, with the index it reached.
	Allocations(ctx context.Context, jobID string, index uint64, wait time.Duration) ([]*api.AllocationListStub, uint64, error)
	// Evaluations returns a job's evaluations.
	Evaluations(jobID string) ([]*api.Evaluation, error)
	// ForceEvaluate asks for a new evaluation of a job that reschedules
	// its failed allocations now.
	ForceEvaluate(jobID string) error
	// Stopped reports whether a job has been stopped.
	Stopped(jobID string) (bool, error)
	// StderrTail returns the last lines of a task's stderr in an
	// allocation, up to tail.DefaultLimit bytes, or what of them could
	// be read.
	StderrTail(allocID, task string) string
}

// clientAPI is phaseAPI over a Nomad API client.
type clientAPI struct{ c *api.Client }

var _ phaseAPI = clientAPI{}

// queryGrace is how much longer than its wait a blocking query may take
// before it counts as unanswered: Nomad adds up to wait/16 of jitter, and
// a server that stopped answering on an open connection must not hold the
// follower forever.
const queryGrace = 10 * time.Second

func (a clientAPI) Register(job *api.Job) error {
	_, _, err := a.c.Jobs().Register(job, nil)
	return err
}

func (a clientAPI) Deregister(jobID string) error {
	_, _, err := a.c.Jobs().Deregister(jobID, false, nil)
	return err
}

func (a clientAPI) Allocations(ctx context.Context, jobID string, index uint64, wait time.Duration) ([]*api.AllocationListStub, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, wait+wait/16+queryGrace)
	defer cancel()
	q := (&api.QueryOptions{WaitIndex: index, WaitTime: wait}).WithContext(ctx)
	allocs, meta, err := a.c.Jobs().Allocations(jobID, true, q)
	if err != nil {
		return nil, 0, err
	}
	return allocs, meta.LastIndex, nil
}

func (a clientAPI) Evaluations(jobID string) ([]*api.Evaluation, error) {
	evals, _, err := a.c.Jobs().Evaluations(jobID, nil)
	return evals, err
}

func (a clientAPI) ForceEvaluate(jobID string) error {
	_, _, err := a.c.Jobs().EvaluateWithOpts(jobID, api.EvalOptions{ForceReschedule: true}, nil)
	return err
}

func (a clientAPI) Stopped(jobID string) (bool, error) {
	job, _, err := a.c.Jobs().Info(jobID, nil)
	if err != nil {
		return false, err
	}
	return job.Stop != nil && *job.Stop, nil
}

func (a clientAPI) StderrTail(allocID, task string) string {
	alloc, _, err := a.c.Allocations().Info(allocID, nil)
	if err != nil {
		return ""
	}
	// Without its stderr, a failure is still the task events' account.
	end, _ := stderrTail(context.Background(), a.c, alloc, task)
	return end
}

package nomad

import (
	"context"
	"fmt"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/history"
)

var _ history.Lister = (*Runner)(nil)

// Attempts lists the attempts of a phase the runner ran, for the job's
// history: none if Nomad never accepted the phase, whose failure says why.
func (r *Runner) Attempts(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) ([]history.Attempt, error) {
	id := PhaseJobID(plan, kind)
	if _, ok := r.submitted.Load(id); !ok {
		return nil, nil
	}
	as, err := PhaseAttempts(r.Client, id)
	if err != nil {
		return nil, err
	}
	out := make([]history.Attempt, 0, len(as))
	for _, a := range as {
		out = append(out, historyAttempt(a))
	}
	return out, r.addStderrTails(ctx, string(kind), as, out)
}

// maxStderrTails bounds how many failed attempts of a phase have their
// stderr read for the history: each is a request to its node.
const maxStderrTails = 16

// addStderrTails reads the end of the stderr of the phase's failed
// attempts that started, up to maxStderrTails, into their history. An
// attempt whose node or log is gone keeps none; the first such error is
// returned.
func (r *Runner) addStderrTails(ctx context.Context, task string, as []Attempt, out []history.Attempt) error {
	var first error
	read := 0
	for i, a := range as {
		if !hasStderr(a) || read == maxStderrTails || ctx.Err() != nil {
			continue
		}
		read++
		alloc, _, err := r.Client.Allocations().Info(a.AllocID, (&api.QueryOptions{}).WithContext(ctx))
		if err == nil {
			out[i].StderrTail, err = stderrTail(ctx, r.Client, alloc, task)
		}
		if err != nil && first == nil {
			first = fmt.Errorf("stderr of %s attempt %d (allocation %.8s): %w", jobs.TaskName(jobs.TaskKind(a.Phase), a.Task), a.Number, a.AllocID, err)
		}
	}
	return first
}

// hasStderr reports whether an attempt failed after its task started, on
// a node that may still have its log.
func hasStderr(a Attempt) bool {
	return a.Failed && !a.Started.IsZero() && a.ClientStatus == api.AllocClientStatusFailed
}

// historyAttempt converts an attempt for the history, which marks the
// committed one from the tasks' manifests.
func historyAttempt(a Attempt) history.Attempt {
	h := history.Attempt{
		Phase: jobs.TaskKind(a.Phase), Task: a.Task, Number: a.Number, ID: a.AllocID,
		Node: a.NodeName, NodeID: a.NodeID, Image: a.Image, ExitCode: a.ExitCode, Failure: a.Failure,
		Queued: a.Received, Started: a.Started, Finished: a.Finished,
	}
	switch {
	case a.Failed:
		h.State = history.AttemptFailed
	case a.Stopped:
		h.State = history.AttemptKilled
	case a.Finished.IsZero():
		h.State = history.AttemptRunning
	default:
		h.State = history.AttemptSucceeded
	}
	return h
}

package nomad

import (
	"context"

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
	return out, nil
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

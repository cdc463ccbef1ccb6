package local

import (
	"cmp"
	"context"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/dockmr/dockmr/internal/tail"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/history"
)

var _ history.Lister = (*Runner)(nil)

// attemptLog keeps the attempts a runner made, by job.
type attemptLog struct {
	mu    sync.Mutex
	byJob map[string][]*history.Attempt
}

// host names the node of every local attempt.
var host = func() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}()

func (l *attemptLog) start(jobID string, kind jobs.TaskKind, index, number int, id string) *history.Attempt {
	now := time.Now().UTC()
	a := &history.Attempt{Phase: kind, Task: index, Number: number, ID: id, Node: host,
		State: history.AttemptRunning, Queued: now, Started: now}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byJob == nil {
		l.byJob = map[string][]*history.Attempt{}
	}
	l.byJob[jobID] = append(l.byJob[jobID], a)
	return a
}

// end records how an attempt ended: err is runAttempt's, killed whether
// the phase was being stopped.
func (l *attemptLog) end(a *history.Attempt, err error, killed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a.Finished = time.Now().UTC()
	switch {
	case killed:
		a.State = history.AttemptKilled
	case err != nil:
		a.State = history.AttemptFailed
		a.Failure, a.StderrTail = tail.Split(err)
	default:
		a.State = history.AttemptSucceeded
	}
}

// exited records the exit code of an attempt's process.
func (l *attemptLog) exited(a *history.Attempt, ps *os.ProcessState) {
	if ps == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a.ExitCode = ps.ExitCode()
}

// Attempts lists the attempts of a phase the runner ran, for the job's
// history.
func (r *Runner) Attempts(_ context.Context, plan *jobs.Plan, kind jobs.TaskKind) ([]history.Attempt, error) {
	r.attempts.mu.Lock()
	defer r.attempts.mu.Unlock()
	var out []history.Attempt
	for _, a := range r.attempts.byJob[plan.ID] {
		if a.Phase == kind {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b history.Attempt) int {
		return cmp.Or(cmp.Compare(a.Task, b.Task), cmp.Compare(a.Number, b.Number))
	})
	return out, nil
}

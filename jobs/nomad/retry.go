package nomad

import (
	"time"

	"github.com/hashicorp/nomad/api"
)

// minRetryNudge is the least time a task waits for an allocation, first
// or retry, before the runner nudges Nomad; the runner waits three
// reschedule delays if that is longer.
const minRetryNudge = 15 * time.Second

// retryWatch tells when tasks have waited too long for the allocation of
// their next attempt.
type retryWatch struct {
	after time.Duration
	since time.Time // when tasks started waiting; zero when none wait
}

// due reports, given how many tasks wait for an allocation now, whether they
// have waited longer than w.after since they started to or since the
// last time due said so.
func (w *retryWatch) due(waiting int, now time.Time) bool {
	switch {
	case waiting == 0:
		w.since = time.Time{}
		return false
	case w.since.IsZero():
		w.since = now
		return false
	case now.Sub(w.since) < w.after:
		return false
	}
	w.since = now
	return true
}

// blockedOnDrivers reports whether one of a job's evaluations is blocked
// with nodes filtered out for a missing (undetected or unhealthy) driver.
func blockedOnDrivers(evals []*api.Evaluation) bool {
	for _, e := range evals {
		if e.Status != api.EvalStatusBlocked {
			continue
		}
		for _, m := range e.FailedTGAllocs {
			if m != nil && m.ConstraintFiltered["missing drivers"] > 0 {
				return true
			}
		}
	}
	return false
}

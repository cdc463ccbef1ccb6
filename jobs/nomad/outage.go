package nomad

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/nomad/api"
)

// ErrUnreachable is in the error of a phase whose Nomad has not answered
// for longer than the runner waits through an outage; the error reads
// "Nomad unreachable since <time>".
var ErrUnreachable = errors.New("unreachable")

// DefaultOutageWait is how long a phase keeps waiting for Nomad to answer
// again when the runner does not say: long enough for a server to restart
// and elect a leader.
const DefaultOutageWait = 2 * time.Minute

// Backoff between two queries to a Nomad that does not answer.
const (
	firstOutageBackoff = 500 * time.Millisecond
	maxOutageBackoff   = 5 * time.Second
)

// outageWatch tells how long to wait through a Nomad outage: queries that
// fail are tried again, ever less often, until Nomad has not answered for
// longer than limit.
type outageWatch struct {
	limit time.Duration
	since time.Time // the first failure of the outage; zero when none
	tries int
}

// failed records a failed query at now, and returns an error once the
// outage has lasted longer than w.limit.
func (w *outageWatch) failed(err error, now time.Time) error {
	if w.since.IsZero() {
		w.since = now
	}
	w.tries++
	if down := now.Sub(w.since); down >= w.limit {
		return fmt.Errorf("Nomad %w since %s (%d queries in %s failed, the last with: %w); check that the Nomad servers run and have a leader ('nomad server members'), then run the job again",
			ErrUnreachable, w.since.UTC().Format(time.RFC3339), w.tries, down.Round(time.Second), err)
	}
	return nil
}

// backoff is the wait at now before the next query: doubling from
// firstOutageBackoff with each failure, up to maxOutageBackoff, and never
// past the end of the outage limit, so that the last query falls on it.
func (w *outageWatch) backoff(now time.Time) time.Duration {
	d := firstOutageBackoff
	for i := 1; i < w.tries && d < maxOutageBackoff; i++ {
		d *= 2
	}
	left := w.since.Add(w.limit).Sub(now)
	return max(min(d, maxOutageBackoff, left), 0)
}

// answered ends the outage.
func (w *outageWatch) answered() {
	w.since, w.tries = time.Time{}, 0
}

// isOutage tells a query that Nomad did not answer, or answered with a
// server error (no leader yet, say), which may pass, from one it refused
// (no permission, a bad request), which waiting cannot mend. Too many
// requests is an answer to wait through too.
func isOutage(err error) bool {
	var resp api.UnexpectedResponseError
	if errors.As(err, &resp) && resp.HasStatusCode() {
		return transientStatus(resp.StatusCode())
	}
	var respPtr *api.UnexpectedResponseError
	if errors.As(err, &respPtr) && respPtr.HasStatusCode() {
		return transientStatus(respPtr.StatusCode())
	}
	return true
}

func transientStatus(code int) bool {
	return code >= http.StatusInternalServerError || code == http.StatusTooManyRequests
}

package nomad

import (
	"context"
	"errors"
	"net"
	"net/url"
	"time"

	"github.com/hashicorp/nomad/api"
)

// maxOutage is how long a phase is followed through a Nomad API that does
// not answer, as while the server restarts or its leader is being
// elected, before the job is given up. The tasks run on meanwhile.
const maxOutage = 2 * time.Minute

// outageRetry is how often a Nomad API that does not answer is asked
// again.
const outageRetry = 500 * time.Millisecond

// outage tells a Nomad API that is away for a while from one that refuses
// a request for good.
type outage struct {
	max   time.Duration
	since time.Time // when the API stopped answering; zero while it answers
}

// tolerate reports, for a request that failed with err at now, whether to
// ask again: err says the API is unreachable or has no leader, and it has
// been so for less than o.max.
func (o *outage) tolerate(err error, now time.Time) bool {
	if !transient(err) {
		return false
	}
	if o.since.IsZero() {
		o.since = now
	}
	return now.Sub(o.since) < o.max
}

// over records that the API answered again.
func (o *outage) over() { o.since = time.Time{} }

// transient reports whether err is one that an API coming back cures: no
// connection (refused, reset, timed out) or a server-side failure (5xx,
// such as "No cluster leader"). Refusals (4xx) are not.
func transient(err error) bool {
	var ure api.UnexpectedResponseError
	if errors.As(err, &ure) && ure.HasStatusCode() {
		return ure.StatusCode() >= 500
	}
	var uerr *url.Error
	var nerr net.Error
	return errors.As(err, &uerr) || errors.As(err, &nerr)
}

// sleepCtx waits for d, or returns ctx's error if it ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

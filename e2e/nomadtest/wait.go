package nomadtest

import (
	"context"
	"time"

	"github.com/dockmr/dockmr/devcluster"
)

// DefaultTimeout bounds every wait that is not given a context deadline. It
// only keeps a broken run from hanging; it is not a performance assertion.
const DefaultTimeout = 3 * time.Minute

// Poll calls check until it reports done, returns an error, or ctx ends
// (DefaultTimeout without a deadline); the error quotes what check last saw.
func Poll(ctx context.Context, what string, check func() (done bool, seen string, err error)) error {
	return waitFor(ctx, what, check)
}

// waitFor is Poll, bounded by DefaultTimeout when ctx has no deadline.
func waitFor(ctx context.Context, what string, check func() (done bool, seen string, err error)) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	return devcluster.Poll(ctx, what, check)
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

package nomadtest

import (
	"context"
	"fmt"
	"time"
)

// DefaultTimeout bounds every wait that is not given a context deadline. It
// only keeps a broken run from hanging; it is not a performance assertion.
const DefaultTimeout = 3 * time.Minute

// pollInterval is how often a wait asks again.
const pollInterval = 100 * time.Millisecond

// Poll calls check until it reports done, returns an error, or ctx ends
// (DefaultTimeout without a deadline); the error quotes what check last saw.
func Poll(ctx context.Context, what string, check func() (done bool, seen string, err error)) error {
	return waitFor(ctx, what, check)
}

// waitFor calls check until it reports done, returns an error, or ctx ends.
// check returns a description of what it saw, which the timeout error quotes
// so a failed wait says what state things were in.
func waitFor(ctx context.Context, what string, check func() (done bool, seen string, err error)) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	var seen string
	for {
		done, s, err := check()
		if err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		if done {
			return nil
		}
		seen = s
		select {
		case <-ctx.Done():
			if seen == "" {
				return fmt.Errorf("wait for %s: %w", what, ctx.Err())
			}
			return fmt.Errorf("wait for %s: %w; last seen: %s", what, ctx.Err(), seen)
		case <-time.After(pollInterval):
		}
	}
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

package devcluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"
)

// pollInterval is how often a wait asks again.
const pollInterval = 100 * time.Millisecond

// Poll calls check until it reports done, returns an error, or ctx ends.
// check describes what it saw, which the timeout error quotes so that a
// failed wait says what state things were in. The cluster waits on itself
// this way; callers waiting on its jobs and nodes can do the same.
func Poll(ctx context.Context, what string, check func() (done bool, seen string, err error)) error {
	return PollEvery(ctx, pollInterval, what, check)
}

// PollEvery is Poll asking every interval, for checks that cost the daemon
// or the agents something, with hundreds of tasks about.
func PollEvery(ctx context.Context, interval time.Duration, what string, check func() (done bool, seen string, err error)) error {
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
		case <-time.After(interval):
		}
	}
}

// logTailLines is how much of an agent's log an error quotes.
const logTailLines = 30

// withLogTail adds the end of an agent's log to err.
func withLogTail(err error, a *agent) error {
	b, rerr := os.ReadFile(a.logPath)
	if rerr != nil || len(b) == 0 {
		return err
	}
	return fmt.Errorf("%w\n%s log %s ends with:\n%s", err, a.name, a.logPath, tail(b, logTailLines))
}

// tail returns the last n lines of b.
func tail(b []byte, n int) []byte {
	b = bytes.TrimRight(b, "\n")
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			if n--; n == 0 {
				return b[i+1:]
			}
		}
	}
	return b
}

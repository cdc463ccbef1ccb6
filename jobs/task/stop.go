package task

import (
	"context"
	"errors"
	"time"

	"github.com/dockmr/dockmr/jobs"
)

// stopGrace is how long a task that got SIGTERM or SIGINT has to end by
// itself. A stream's command is killed with the context and its task
// ends within this; the built-in functions do not watch the context, and
// are left behind. It is short: a task asked to stop must not go on to
// commit, as one near its end would.
const stopGrace = 500 * time.Millisecond

// errStopped is returned for a task abandoned on a stop signal. Its
// attempt's output stays in the attempt's own directory, uncommitted,
// which the job's commit and every other attempt ignore.
var errStopped = errors.New("stopped by a signal before it finished; its output is left uncommitted")

// runUntilStopped runs run and returns its result, or errStopped when ctx
// ends and run does not return within grace. Docker stops a container
// with SIGTERM (a daemon shutting down without live-restore, `docker
// stop`, Nomad's stop before kill_timeout): the task must end promptly.
func runUntilStopped(ctx context.Context, grace time.Duration, run func() (*jobs.Manifest, error)) (*jobs.Manifest, error) {
	type result struct {
		m   *jobs.Manifest
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := run()
		done <- result{m, err}
	}()
	select {
	case r := <-done:
		return r.m, r.err
	case <-ctx.Done():
	}
	select {
	case r := <-done:
		return r.m, r.err
	case <-time.After(grace):
		return nil, errStopped
	}
}

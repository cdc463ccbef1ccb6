package driver

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errPullStalled is the cause of a pull aborted for reporting no progress.
var errPullStalled = errors.New("pull stalled")

// stallWatchdog cancels a context when alive is not called for a while: a
// registry that accepts the connection and then sends nothing would
// otherwise hold the pull until the whole image_pull_timeout runs out.
type stallWatchdog struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	limit  time.Duration

	mu    sync.Mutex
	timer *time.Timer
}

// newStallWatchdog returns a context that ends errPullStalled after limit
// without alive; a zero limit watches nothing.
func newStallWatchdog(parent context.Context, limit time.Duration) (context.Context, *stallWatchdog) {
	ctx, cancel := context.WithCancelCause(parent)
	w := &stallWatchdog{ctx: ctx, cancel: cancel, limit: limit}
	if limit > 0 {
		w.timer = time.AfterFunc(limit, func() { cancel(errPullStalled) })
	}
	return ctx, w
}

// alive records progress, restarting the wait.
func (w *stallWatchdog) alive() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Reset(w.limit)
	}
}

// stop releases the timer and the context.
func (w *stallWatchdog) stop() {
	w.mu.Lock()
	if w.timer != nil {
		w.timer.Stop()
	}
	w.mu.Unlock()
	w.cancel(nil)
}

// explain returns errPullStalled in place of err when the watchdog is
// what ended the pull: the cancellation err reports says nothing more.
func (w *stallWatchdog) explain(err error) error {
	if errors.Is(context.Cause(w.ctx), errPullStalled) {
		return errPullStalled
	}
	return err
}

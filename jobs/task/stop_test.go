package task

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/jobs"
)

func TestRunUntilStopped(t *testing.T) {
	m := &jobs.Manifest{Task: "m-00000"}
	got, err := runUntilStopped(context.Background(), time.Hour, func() (*jobs.Manifest, error) { return m, nil })
	must.NoError(t, err)
	must.Eq(t, m, got)

	// A task that ends with its context reports its own error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	boom := errors.New("stream command killed")
	_, err = runUntilStopped(ctx, time.Hour, func() (*jobs.Manifest, error) { <-ctx.Done(); return nil, boom })
	must.ErrorIs(t, err, boom)

	// One that ignores it is abandoned after the grace.
	block := make(chan struct{})
	defer close(block)
	_, err = runUntilStopped(ctx, 10*time.Millisecond, func() (*jobs.Manifest, error) { <-block; return m, nil })
	must.ErrorIs(t, err, errStopped)
}

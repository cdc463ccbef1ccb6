package dockerdtest

import (
	"context"
	"testing"
)

// StartT starts a private daemon for a test, which fails if it cannot,
// and closes it when the test ends. Under -short the test is skipped.
func StartT(t testing.TB, opts Options) *Daemon {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a Docker daemon")
	}
	d, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("private Docker daemon: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close private Docker daemon: %v", err)
		}
	})
	return d
}

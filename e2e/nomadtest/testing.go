package nomadtest

import (
	"context"
	"testing"
)

// StartT starts a cluster for one test and closes it when the test ends. If
// the test fails, the Nomad log is printed.
func StartT(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start Nomad cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Nomad log %s:\n%s", c.LogPath(), Quiet(c.LogSince(0)))
		}
		if err := c.Close(); err != nil {
			t.Errorf("close Nomad cluster: %v", err)
		}
	})
	return c
}

// Watch makes a failing test print what a shared cluster logged while it ran.
func (c *Cluster) Watch(t testing.TB) {
	t.Helper()
	from := c.LogSize()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Nomad log %s during %s:\n%s", c.LogPath(), t.Name(), Quiet(c.LogSince(from)))
		}
	})
}

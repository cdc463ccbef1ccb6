package devcluster

import (
	"context"
	"fmt"
)

// StopServer shuts the server agent down as Ctrl-C would and waits for it
// to exit. The clients and their tasks run on without it.
func (c *Cluster) StopServer() error { return c.server.stop() }

// RestartServer stops the server agent as Ctrl-C would and starts it
// again on the same state and address, then waits until it leads again
// and every client that runs has its node ready: a server restarted
// mid-job, as an operator's upgrade does.
func (c *Cluster) RestartServer(ctx context.Context) error {
	if err := c.server.stop(); err != nil {
		return fmt.Errorf("restart the server: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	if err := c.server.start(); err != nil {
		return fmt.Errorf("restart the server: %w", err)
	}
	if err := c.waitServer(ctx); err != nil {
		return fmt.Errorf("restart the server: %w", withLogTail(err, c.server))
	}
	var live []*agent
	for _, a := range c.clients {
		if a.running() {
			live = append(live, a)
		}
	}
	if err := c.waitClients(ctx, live); err != nil {
		return fmt.Errorf("restart the server: %w", err)
	}
	return nil
}

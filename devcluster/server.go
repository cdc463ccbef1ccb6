package devcluster

import (
	"context"
	"fmt"
)

// StopServer shuts the server agent down as Ctrl-C would and waits for it
// to exit: the cluster's API stops answering while the clients and their
// tasks run on, and the server's state stays in its data directory, as a
// server restarted for an upgrade would leave it.
func (c *Cluster) StopServer() error { return c.server.stop() }

// RestartServer starts the server again after StopServer, with the same
// configuration, data directory and ports, and waits until it leads.
func (c *Cluster) RestartServer(ctx context.Context) error {
	if c.server.running() {
		return fmt.Errorf("restart %s: the agent is still running; stop it first", c.server.name)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	if err := c.server.start(); err != nil {
		return fmt.Errorf("restart %s: %w", c.server.name, err)
	}
	if err := c.waitServer(ctx); err != nil {
		return withLogTail(fmt.Errorf("restart %s: %w", c.server.name, err), c.server)
	}
	return nil
}

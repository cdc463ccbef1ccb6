package devcluster

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/hashicorp/nomad/api"
)

// Client is one client agent of a cluster. Its node owns the tasks that
// run on it and the plugin processes that run them: stopping, killing and
// restarting the agent are how task recovery is tried out.
type Client struct {
	cluster *Cluster
	index   int
}

// Clients returns the cluster's client agents, in the order of NodeIDs.
func (c *Cluster) Clients() []*Client {
	out := make([]*Client, len(c.clients))
	for i := range c.clients {
		out[i] = &Client{cluster: c, index: i}
	}
	return out
}

func (cl *Client) agent() *agent { return cl.cluster.clients[cl.index] }

// Name is the agent's node name.
func (cl *Client) Name() string { return cl.agent().name }

// NodeID is the ID of the agent's node. A restarted agent keeps it, as it
// keeps its data directory.
func (cl *Client) NodeID() string { return cl.cluster.nodeIDs[cl.index] }

// DataDir is the agent's data_dir: its node's state and the directories
// of its allocations, under alloc/.
func (cl *Client) DataDir() string {
	return filepath.Join(cl.cluster.stateDir, cl.agent().name)
}

// Address is the agent's HTTP address. It stays the same across restarts.
func (cl *Client) Address() string { return cl.agent().address() }

// API is a client of the agent's own HTTP API. Besides forwarding
// cluster-wide requests to the server, the agent serves its node's logs,
// stats and exec sessions itself, without the server in the way.
func (cl *Client) API() *api.Client { return cl.agent().api }

// PID is the agent's process ID, or 0 if it never started.
func (cl *Client) PID() int {
	if a := cl.agent(); a.cmd != nil {
		return a.cmd.Process.Pid
	}
	return 0
}

// Running reports whether the agent process is alive.
func (cl *Client) Running() bool { return cl.agent().running() }

// Stop shuts the agent down as Ctrl-C would and waits for it to exit. As
// in production, its tasks keep running for the next agent to recover.
func (cl *Client) Stop() error { return cl.agent().stop() }

// Kill kills the agent with SIGKILL, as a crash would; its plugins and
// tasks keep running.
func (cl *Client) Kill() error { return cl.agent().kill() }

// Restart starts the agent again after Stop or Kill, with the same
// configuration, data directory and ports, and waits until its node is
// ready with the drivers of Options.WaitDrivers healthy.
func (cl *Client) Restart(ctx context.Context) error {
	a := cl.agent()
	if a.running() {
		return fmt.Errorf("restart %s: the agent is still running; stop or kill it first", a.name)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	if err := a.start(); err != nil {
		return fmt.Errorf("restart %s: %w", a.name, err)
	}
	if err := cl.cluster.waitClients(ctx, []*agent{a}); err != nil {
		return fmt.Errorf("restart %s: %w", a.name, err)
	}
	return nil
}

// Package nomadtest runs a real one-node Nomad cluster, built from this module
// and loading the dockmr-driver plugin, against the local Docker daemon, and
// gives end-to-end tests and benchmarks the calls they need on it: jobs,
// allocations, task events, logs, stats, exec, signals, client agent restarts
// and the plugin's processes. The cluster is a devcluster with one client.
package nomadtest

import (
	"context"
	"fmt"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/devcluster"
)

// Cluster is a running one-node Nomad cluster: a server agent and a client
// agent whose node runs the tasks. Stopping, killing and restarting act on
// the client agent, which owns the tasks and the driver plugins.
type Cluster struct {
	// API is a client of the client agent's HTTP API, which serves the
	// cluster-wide endpoints as well as the node's (logs, stats, exec).
	API *api.Client
	// NodeID is the ID of the cluster's only node.
	NodeID string

	dev    *devcluster.Cluster
	client *devcluster.Client
}

// Start starts the agents, their state and log in a new temporary
// directory, and waits until the node is ready and the drivers named in
// opts.WaitDrivers are healthy.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Binaries == (Binaries{}) {
		b, err := FindBinaries()
		if err != nil {
			return nil, err
		}
		opts.Binaries = b
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	dev, err := devcluster.Start(ctx, opts.devOptions())
	if err != nil {
		return nil, fmt.Errorf("start Nomad cluster: %w", err)
	}
	client := dev.Clients()[0]
	return &Cluster{API: client.API(), NodeID: client.NodeID(), dev: dev, client: client}, nil
}

// Close stops every job, shuts both agents down, kills any process they left
// behind, removes the cluster's containers and deletes its directory.
func (c *Cluster) Close() error { return c.dev.Close() }

// Address is the client agent's HTTP address.
func (c *Cluster) Address() string { return c.client.Address() }

// Dir is the cluster's working directory (configurations, log and state).
func (c *Cluster) Dir() string { return c.dev.StateDir() }

// LogPath is the file both agents and their plugins log to.
func (c *Cluster) LogPath() string { return c.dev.LogFile() }

// ClientPID is the client agent's process ID.
func (c *Cluster) ClientPID() int { return c.client.PID() }

// ClientRunning reports whether the client agent process is alive.
func (c *Cluster) ClientRunning() bool { return c.client.Running() }

// StopClient shuts the client agent down gracefully (SIGINT) and waits for
// it to exit. As in production, its tasks keep running for the next agent.
func (c *Cluster) StopClient() error { return c.client.Stop() }

// KillClient kills the client agent with SIGKILL, as a crash would; its
// plugins and tasks keep running.
func (c *Cluster) KillClient() error { return c.client.Kill() }

// RestartClient starts the client agent again, on the same data directory
// and ports, after StopClient or KillClient, and waits for the node to be ready.
func (c *Cluster) RestartClient(ctx context.Context) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	return c.client.Restart(ctx)
}

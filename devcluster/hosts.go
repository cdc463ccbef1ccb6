package devcluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/docker/docker/client"

	"github.com/dockmr/dockmr/devcluster/hosts"
)

// Host is one host of a cluster on a network of hosts (Options.Hosts):
// the server's, or a client's with its agent and its Docker daemon. Its
// faults are what tests pull on: Cut and Restore its network cable, Lose
// it for good.
type Host struct {
	cluster *Cluster
	host    *hosts.Host
	client  int // the client's index, -1 for the server
}

// Network is the cluster's network of hosts, nil for a cluster on
// 127.0.0.1.
func (c *Cluster) Network() *hosts.Network {
	if c.hosts == nil {
		return nil
	}
	return c.hosts.net
}

// Hosts are the hosts of the clients, in client order; nil for a cluster
// on 127.0.0.1.
func (c *Cluster) Hosts() []*Host {
	if c.hosts == nil {
		return nil
	}
	out := make([]*Host, len(c.hosts.clients))
	for i, h := range c.hosts.clients {
		out[i] = &Host{cluster: c, host: h, client: i}
	}
	return out
}

// ServerHost is the server's host; nil for a cluster on 127.0.0.1.
func (c *Cluster) ServerHost() *Host {
	if c.hosts == nil {
		return nil
	}
	return &Host{cluster: c, host: c.hosts.server, client: -1}
}

// Host is the client's host; nil for a cluster on 127.0.0.1.
func (cl *Client) Host() *Host {
	if hs := cl.cluster.Hosts(); hs != nil {
		return hs[cl.index]
	}
	return nil
}

// Name is the host's name: server, client-1, client-2, ...
func (h *Host) Name() string { return h.host.Name() }

// Addr is the host's address, the one its agent listens on.
func (h *Host) Addr() netip.Addr { return h.host.Addr() }

// NetNSPath is the file of the host's network namespace, for nsenter.
func (h *Host) NetNSPath() string { return h.host.NetNSPath() }

// Processes are the IDs of the processes running on the host.
func (h *Host) Processes() ([]int, error) { return h.host.Processes() }

// Client is the host's client agent, nil on the server's host.
func (h *Host) Client() *Client {
	if h.client < 0 {
		return nil
	}
	return &Client{cluster: h.cluster, index: h.client}
}

// DockerEndpoint is the endpoint of the host's Docker daemon ("" on the
// server's host, which has none).
func (h *Host) DockerEndpoint() string {
	if h.client < 0 {
		return ""
	}
	return h.cluster.hosts.daemons[h.client].Endpoint()
}

// Docker returns a client of the host's Docker daemon; the caller closes
// it.
func (h *Host) Docker() (*client.Client, error) {
	if h.client < 0 {
		return nil, fmt.Errorf("host %s runs no Docker daemon", h.Name())
	}
	return h.cluster.hosts.daemons[h.client].Client()
}

// Cut takes the host off the network, as a pulled cable: everything on
// it runs on, but nothing passes between it and the others (the server,
// the other clients, the machine) until Restore.
func (h *Host) Cut(ctx context.Context) error { return h.host.Cut(ctx) }

// Restore puts the host back on the network after Cut.
func (h *Host) Restore(ctx context.Context) error { return h.host.Restore(ctx) }

// Lose loses the host for good, as a machine that burns down: its agent,
// its Docker daemon, every process and container on it are killed, the
// daemon's directory removed and the host's namespace deleted. The
// cluster goes on without it; its node is left for the server to find
// down.
func (h *Host) Lose(ctx context.Context) error {
	var errs []error
	if h.client >= 0 {
		errs = append(errs, h.cluster.clients[h.client].kill())
		d := h.cluster.hosts.daemons[h.client]
		errs = append(errs, d.Kill(), h.host.Remove(ctx, d.Dir()))
	} else {
		errs = append(errs, h.cluster.server.kill(), h.host.Remove(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("lose host %s: %w", h.Name(), err)
	}
	return nil
}

// Lost reports whether Lose has run.
func (h *Host) Lost() bool { return h.host.Removed() }

// Images are the images loaded into every host's Docker daemon.
func (c *Cluster) Images() []string { return c.opts.Images }

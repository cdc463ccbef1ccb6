package devcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/docker/docker/client"

	"github.com/dockmr/dockmr/devcluster/hosts"
	"github.com/dockmr/dockmr/internal/dockerd"
)

// serverHost is the name of the server's host on a network of hosts.
const serverHost = "server"

// clientHost is the name of the i-th client's host.
func clientHost(i int) string { return fmt.Sprintf("client-%d", i+1) }

// nomadPorts are an agent's ports on a host of its own: Nomad's defaults.
var nomadPorts = ports{HTTP: DefaultHTTPPort, RPC: DefaultHTTPPort + 1, Serf: DefaultHTTPPort + 2}

// hostNet is what a cluster on a network of hosts adds: the network, and
// the Docker daemon of each client's host.
type hostNet struct {
	net     *hosts.Network
	server  *hosts.Host
	clients []*hosts.Host
	daemons []*dockerd.Daemon // in client order
}

// startHosts makes the network, starts a Docker daemon on every client's
// host and loads the images into each.
func (c *Cluster) startHosts(ctx context.Context) error {
	names := []string{serverHost}
	for i := range c.opts.Clients {
		names = append(names, clientHost(i))
	}
	n, err := hosts.Create(ctx, hosts.Options{Hosts: names, Subnet: c.opts.Subnet, Logf: c.opts.Logf})
	if err != nil {
		return err
	}
	hn := &hostNet{net: n, server: n.Host(serverHost)}
	c.hosts = hn
	if c.ownState {
		// A run killed outright leaves its temporary state directory
		// to the next run's cleaning, with the network.
		if err := n.AddDir(c.stateDir); err != nil {
			return err
		}
	}
	// The daemons' sockets live under this directory: it must be short.
	dir, err := os.MkdirTemp("", "dmr-"+n.ID()+"-")
	if err != nil {
		return fmt.Errorf("create the hosts' daemon directory: %w", err)
	}
	if err := n.AddDir(dir); err != nil {
		os.RemoveAll(dir)
		return err
	}
	for i := range c.opts.Clients {
		h := n.Host(clientHost(i))
		d, err := dockerd.New(dockerd.Options{
			Dir:       filepath.Join(dir, h.Name()),
			NetNS:     h.NetNSPath(),
			Namespace: "dockmr-" + n.ID() + "-" + h.Name(),
		})
		if err != nil {
			return err
		}
		hn.clients = append(hn.clients, h)
		hn.daemons = append(hn.daemons, d)
	}
	return hn.startDaemons(ctx, c.opts.Images)
}

// startDaemons starts the clients' daemons side by side and copies the
// images into each.
func (hn *hostNet) startDaemons(ctx context.Context, images []string) error {
	var from *client.Client
	if len(images) > 0 {
		var err error
		if from, err = dockerClient(""); err != nil {
			return err
		}
		defer from.Close()
	}
	errs := make([]error, len(hn.daemons))
	var wg sync.WaitGroup
	for i, d := range hn.daemons {
		wg.Go(func() {
			if err := d.Start(ctx); err != nil {
				errs[i] = fmt.Errorf("start the Docker daemon of host %s: %w", hn.clients[i].Name(), err)
				return
			}
			for _, ref := range images {
				if err := d.LoadImage(ctx, from, ref); err != nil {
					errs[i] = fmt.Errorf("host %s: %w", hn.clients[i].Name(), err)
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// endpoints are the Docker endpoints of the clients' daemons that still
// run.
func (hn *hostNet) endpoints() []string {
	var out []string
	for _, d := range hn.daemons {
		if d.Running() {
			out = append(out, d.Endpoint())
		}
	}
	return out
}

// close stops the daemons, then removes the network: what still runs on
// the hosts, the daemons' directories, namespaces, interface and record.
func (hn *hostNet) close() error {
	errs := make([]error, len(hn.daemons)+1)
	var wg sync.WaitGroup
	for i, d := range hn.daemons {
		wg.Go(func() { errs[i] = d.Stop() })
	}
	wg.Wait()
	errs[len(hn.daemons)] = hn.net.Close()
	return errors.Join(errs...)
}

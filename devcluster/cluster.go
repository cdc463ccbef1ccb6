package devcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/nomad/api"
)

// startTimeout bounds Start when its context has no deadline. A cold
// start takes a few seconds; this only keeps a broken one from hanging.
const startTimeout = 2 * time.Minute

// Cluster is a running development cluster.
type Cluster struct {
	// API is a client of the server's HTTP API, which serves every
	// endpoint, the clients' (logs, stats, exec) included.
	API *api.Client

	opts     Options
	stateDir string
	ownState bool   // a temporary state directory, deleted on Close
	logFile  string // the agents' shared log, if they share one
	marker   string
	token    string // management token, with ACLs on
	server   *agent
	clients  []*agent
	hosts    *hostNet // the network of hosts, nil on 127.0.0.1
	nodeIDs  []string

	closeOnce sync.Once
	closeErr  error
}

// Start starts a cluster and waits until its server leads and every client
// node is ready with the drivers of Options.WaitDrivers healthy. On failure
// it stops whatever it started and returns an error quoting the end of the
// failing agent's log.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	if opts.Hosts == 0 || len(opts.Images) > 0 {
		if err := checkDocker(ctx, opts.DockerEndpoint); err != nil {
			return nil, err
		}
	}
	if opts.DataDir != "" {
		if err := prepareDataDir(opts.DataDir); err != nil {
			return nil, err
		}
	}
	c := &Cluster{opts: opts, stateDir: opts.StateDir, marker: markerEnv + "=" + randomID()}
	if c.stateDir == "" {
		if c.stateDir, err = os.MkdirTemp("", "dockmr-dev-"); err != nil {
			return nil, fmt.Errorf("create state directory: %w", err)
		}
		c.ownState = true
	} else if err := os.MkdirAll(c.stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	if err := c.start(ctx); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	if c.opts.Hosts > 0 {
		if err := c.startHosts(ctx); err != nil {
			return err
		}
	}
	if err := c.configure(); err != nil {
		return err
	}
	if err := c.server.start(); err != nil {
		return err
	}
	var err error
	if c.API, err = api.NewClient(&api.Config{Address: c.server.address()}); err != nil {
		return fmt.Errorf("create Nomad API client: %w", err)
	}
	if c.opts.ACL {
		if err := c.bootstrapACL(ctx); err != nil {
			return withLogTail(err, c.server)
		}
	}
	if err := c.waitServer(ctx); err != nil {
		return withLogTail(err, c.server)
	}
	for _, a := range c.clients {
		if err := a.start(); err != nil {
			return err
		}
	}
	return c.waitClients(ctx, c.clients)
}

// configure picks the agents' ports and writes their configuration files.
func (c *Cluster) configure() error {
	o := c.opts
	serverPorts, clientPorts, err := c.ports()
	if err != nil {
		return err
	}
	serverAddr, serverNS := c.placement(-1)
	if c.logFile = o.LogFile; c.logFile != "" && !filepath.IsAbs(c.logFile) {
		c.logFile = filepath.Join(c.stateDir, c.logFile)
	}
	cfg := agentConfig{
		Name:     "dev-server",
		Addr:     serverAddr,
		DataDir:  filepath.Join(c.stateDir, "server"),
		LogLevel: strings.ToUpper(o.LogLevel),
		Ports:    serverPorts,
		ACL:      o.ACL,
	}
	src, err := renderServer(cfg)
	if err != nil {
		return err
	}
	if c.server, err = c.newAgent(cfg, src, o.ServerConfig, serverNS); err != nil {
		return err
	}
	for i := range o.Clients {
		addr, netns := c.placement(i)
		cfg := agentConfig{
			Name:           fmt.Sprintf("dev-client-%d", i+1),
			Addr:           addr,
			LogLevel:       strings.ToUpper(o.LogLevel),
			Ports:          clientPorts[i],
			ACL:            o.ACL,
			Servers:        []string{fmt.Sprintf("%s:%d", serverAddr, serverPorts.RPC)},
			Interface:      "lo",
			PluginDir:      o.Binaries.PluginDir,
			DriverConfig:   o.DriverConfig,
			DockerConfig:   o.DockerConfig,
			DockerEndpoint: o.DockerEndpoint,
		}
		if c.hosts != nil {
			cfg.Interface, cfg.DockerEndpoint = "eth0", c.hosts.daemons[i].Endpoint()
		}
		if !o.OwnDriverConfig {
			cfg.AllowedMount, cfg.TaskRuntime = o.DataDir, o.Binaries.TaskRuntime
			cfg.TaskUser = taskUser()
		}
		if o.Shuffle {
			if cfg.ShuffleDir, cfg.ShuffleAddr, err = c.shuffleDir(cfg.Name, addr); err != nil {
				return err
			}
		}
		cfg.DataDir = filepath.Join(c.stateDir, cfg.Name)
		src, err := renderClient(cfg)
		if err != nil {
			return err
		}
		a, err := c.newAgent(cfg, src, o.ClientConfig, netns)
		if err != nil {
			return err
		}
		c.clients = append(c.clients, a)
	}
	return nil
}

// ports are the agents' ports: on 127.0.0.1, the server's from
// Options.HTTPPort and free ones for the clients; on hosts of their own,
// Nomad's defaults for all.
func (c *Cluster) ports() (server ports, clients []ports, err error) {
	if c.hosts == nil {
		return pickPorts(c.opts.HTTPPort, c.opts.Clients)
	}
	for range c.opts.Clients {
		clients = append(clients, nomadPorts)
	}
	return nomadPorts, clients, nil
}

// placement is where the i-th client (the server for -1) runs: the
// address it binds and the network namespace it runs in, "" for this
// machine's own.
func (c *Cluster) placement(i int) (addr, netns string) {
	if c.hosts == nil {
		return "127.0.0.1", ""
	}
	h := c.hosts.server
	if i >= 0 {
		h = c.hosts.clients[i]
	}
	return h.Addr().String(), h.NetNSPath()
}

// newAgent writes an agent's configuration files, the cluster's and the
// caller's extra one if any, and returns the agent, not yet started; it
// will run in the network namespace netns unless that is "".
func (c *Cluster) newAgent(cfg agentConfig, src, extra, netns string) (*agent, error) {
	a := &agent{
		name:    cfg.Name,
		nomad:   c.opts.Binaries.Nomad,
		cfgPath: filepath.Join(c.stateDir, cfg.Name+".hcl"),
		logPath: c.logFile,
		env:     []string{c.marker},
		ports:   cfg.Ports,
		addr:    cfg.Addr,
		netns:   netns,
	}
	if netns != "" {
		// The plugins' FIFO keeper, one per machine and user, lives
		// wherever it is first started: a private TMPDIR keeps the
		// keeper of the hosts' plugins theirs, gone with the hosts.
		tmp := filepath.Join(c.stateDir, "tmp")
		if err := os.MkdirAll(tmp, 0o1777); err != nil {
			return nil, fmt.Errorf("create %s: %w", tmp, err)
		}
		a.env = append(a.env, "TMPDIR="+tmp)
	}
	if a.logPath == "" {
		a.logPath = filepath.Join(c.stateDir, cfg.Name+".log")
	}
	var err error
	if a.api, err = api.NewClient(&api.Config{Address: a.address()}); err != nil {
		return nil, fmt.Errorf("create API client of %s: %w", cfg.Name, err)
	}
	if err := os.WriteFile(a.cfgPath, []byte(src), 0o644); err != nil {
		return nil, fmt.Errorf("write %s configuration: %w", cfg.Name, err)
	}
	if extra != "" {
		a.extraPath = filepath.Join(c.stateDir, cfg.Name+"-extra.hcl")
		if err := os.WriteFile(a.extraPath, []byte(extra), 0o644); err != nil {
			return nil, fmt.Errorf("write %s extra configuration: %w", cfg.Name, err)
		}
	}
	return a, nil
}

// waitServer waits until the server has elected itself leader and made
// its keyring, without which it cannot register a client's node.
func (c *Cluster) waitServer(ctx context.Context) error {
	return Poll(ctx, "the Nomad server to lead", func() (bool, string, error) {
		if !c.server.running() {
			return false, "", c.server.exitError()
		}
		if leader, err := c.API.Status().Leader(); err != nil || leader == "" {
			return false, fmt.Sprintf("leader %q, %v", leader, err), nil
		}
		keys, _, err := c.API.Keyring().List(nil)
		if err != nil || len(keys) == 0 {
			return false, fmt.Sprintf("%d keys, %v", len(keys), err), nil
		}
		return true, "", nil
	})
}

// waitClients waits until the nodes of the given clients are ready with
// the drivers of Options.WaitDrivers detected and healthy, and records the
// nodes' IDs.
func (c *Cluster) waitClients(ctx context.Context, clients []*agent) error {
	ids := make(map[string]string, len(clients))
	var failed *agent
	err := Poll(ctx, "the client nodes to be ready", func() (bool, string, error) {
		for _, a := range clients {
			if !a.running() {
				failed = a
				return false, "", a.exitError()
			}
		}
		nodes, _, err := c.API.Nodes().List(nil)
		if err != nil {
			return false, err.Error(), nil
		}
		var waiting []string
		for _, a := range clients {
			// The server goes on reporting a restarted agent's node as
			// it last saw it for a while, so the agent must answer too.
			if _, err := a.api.Agent().Self(); err != nil {
				waiting = append(waiting, a.name+": agent not answering")
				failed = a
				continue
			}
			if s := nodeState(nodes, a.name, c.opts.WaitDrivers, ids); s != "" {
				waiting = append(waiting, a.name+": "+s)
				failed = a
			}
		}
		return len(waiting) == 0, strings.Join(waiting, "; "), nil
	})
	if err != nil {
		if failed != nil {
			return withLogTail(err, failed)
		}
		return err
	}
	if c.nodeIDs == nil {
		c.nodeIDs = make([]string, len(c.clients))
	}
	for i, a := range c.clients {
		if id, ok := ids[a.name]; ok {
			c.nodeIDs[i] = id
		}
	}
	return nil
}

// nodeState returns "" when the named node is ready with the drivers
// healthy, recording its ID in ids, else what it is waiting for.
func nodeState(nodes []*api.NodeListStub, name string, drivers []string, ids map[string]string) string {
	for _, n := range nodes {
		if n.Name != name {
			continue
		}
		ids[name] = n.ID
		if n.Status != api.NodeStatusReady {
			return "node " + n.Status
		}
		for _, driver := range drivers {
			d := n.Drivers[driver]
			switch {
			case d == nil || !d.Detected:
				return driver + " not detected"
			case !d.Healthy:
				return fmt.Sprintf("%s unhealthy: %s", driver, d.HealthDescription)
			}
		}
		return ""
	}
	return "not registered"
}

// Address is the server's HTTP address, for NOMAD_ADDR.
func (c *Cluster) Address() string { return c.server.address() }

// DataDir is the directory tasks read and write.
func (c *Cluster) DataDir() string { return c.opts.DataDir }

// StateDir holds the agents' configuration files, state and logs.
func (c *Cluster) StateDir() string { return c.stateDir }

// NodeIDs are the IDs of the client nodes, in client order.
func (c *Cluster) NodeIDs() []string { return c.nodeIDs }

// LogFile is the file all agents log to, or "" if each has its own.
func (c *Cluster) LogFile() string { return c.logFile }

// Marker is the "KEY=value" environment entry, unique to the cluster,
// that its agents and every process they start inherit; Processes finds
// them by it, even once their agent is gone.
func (c *Cluster) Marker() string { return c.marker }

// LogPaths are the agents' log files, the server's first; with a LogFile
// they are all that file.
func (c *Cluster) LogPaths() []string {
	paths := []string{c.server.logPath}
	for _, a := range c.clients {
		paths = append(paths, a.logPath)
	}
	return paths
}

// Wait blocks until an agent exits, which it reports as an error, or until
// ctx ends, which returns nil.
func (c *Cluster) Wait(ctx context.Context) error {
	cases := make(chan *agent, 1+len(c.clients))
	for _, a := range append([]*agent{c.server}, c.clients...) {
		go func() {
			select {
			case <-a.exited:
				cases <- a
			case <-ctx.Done():
			}
		}()
	}
	select {
	case a := <-cases:
		return withLogTail(a.exitError(), a)
	case <-ctx.Done():
		return nil
	}
}

// pickPorts chooses the server's ports, from httpPort or free ones for
// AnyHTTPPort, and free ports for each of the clients.
func pickPorts(httpPort, clients int) (server ports, client []ports, err error) {
	if httpPort == AnyHTTPPort {
		all, err := freePorts(1 + clients)
		if err != nil {
			return ports{}, nil, err
		}
		return all[0], all[1:], nil
	}
	server = ports{HTTP: httpPort, RPC: httpPort + 1, Serf: httpPort + 2}
	if err := checkPortsFree(server); err != nil {
		return ports{}, nil, err
	}
	client, err = freePorts(clients)
	return server, client, err
}

// checkPortsFree makes sure the server's fixed ports can be bound, so that
// a clash says which port and why instead of an agent failing later.
func checkPortsFree(p ports) error {
	for _, port := range []int{p.HTTP, p.RPC, p.Serf} {
		if port > 65535 {
			return fmt.Errorf("port %d is out of range: the server uses the HTTP port and the two above it", port)
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return fmt.Errorf("port %d on 127.0.0.1 is in use (another Nomad agent?): the server needs ports %d to %d; stop what holds it or choose another HTTP port",
				port, p.HTTP, p.Serf)
		}
		l.Close()
	}
	return nil
}

// freePorts asks the kernel for unused loopback ports, three per agent.
// They are released before the agents bind them; a program taking one in
// between makes that agent fail to start, which Start reports.
func freePorts(agents int) ([]ports, error) {
	got := make([]int, 0, 3*agents)
	for range 3 * agents {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close()
		got = append(got, l.Addr().(*net.TCPAddr).Port)
	}
	out := make([]ports, agents)
	for i := range out {
		out[i] = ports{HTTP: got[3*i], RPC: got[3*i+1], Serf: got[3*i+2]}
	}
	return out, nil
}

func randomID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

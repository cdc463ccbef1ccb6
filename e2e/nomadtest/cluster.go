// Package nomadtest runs a real one-node Nomad cluster, built from this module
// and loading the dockmr-driver plugin, against the local Docker daemon, and
// gives end-to-end tests and benchmarks the calls they need on it: jobs,
// allocations, task events, logs, stats, exec, signals, client agent restarts
// and the plugin's processes.
package nomadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/hashicorp/nomad/api"
)

// markerEnv is set in the agents' environment with a value unique to the
// cluster. Plugins and log collectors inherit it, which is how their
// processes are told apart from other clusters' on the same machine, even
// after they outlive the agent that started them.
const markerEnv = "DOCKMR_E2E_CLUSTER"

// Cluster is a running one-node Nomad cluster: a server agent and a client
// agent whose node runs the tasks. Stopping, killing and restarting act on
// the client agent, which owns the tasks and the driver plugins.
type Cluster struct {
	// API is a client of the client agent's HTTP API, which serves the
	// cluster-wide endpoints as well as the node's (logs, stats, exec).
	API *api.Client
	// NodeID is the ID of the cluster's only node.
	NodeID string

	opts    Options
	name    string
	dir     string
	marker  string
	logPath string
	server  *agentProc
	client  *agentProc
	ports   ports
}

// Start writes the agents' configurations into a new temporary directory,
// starts them and waits until the node is ready and the drivers named in
// opts.WaitDrivers are healthy.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Binaries == (Binaries{}) {
		b, err := FindBinaries()
		if err != nil {
			return nil, err
		}
		opts.Binaries = b
	}
	if opts.DockerConfig == "" {
		opts.DockerConfig = DefaultDockerConfig
	}
	if opts.WaitDrivers == nil {
		opts.WaitDrivers = []string{DriverName}
	}

	id := randomID()
	dir, err := os.MkdirTemp("", "dockmr-e2e-")
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	c := &Cluster{
		opts:    opts,
		name:    "dockmr-e2e-" + id,
		dir:     dir,
		marker:  markerEnv + "=" + id,
		logPath: filepath.Join(dir, "nomad.log"),
	}
	if err := c.start(ctx); err != nil {
		err = fmt.Errorf("%w\nNomad log (%s) ends with:\n%s", err, c.logPath, c.LogTail(80))
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	serverPorts, err := freePorts()
	if err != nil {
		return err
	}
	if c.ports, err = freePorts(); err != nil {
		return err
	}
	serverCfg, err := renderServerConfig(agentConfig{
		Name:    c.name + "-server",
		DataDir: filepath.Join(c.dir, "server"),
		Ports:   serverPorts,
	})
	if err != nil {
		return err
	}
	clientCfg, err := renderClientConfig(agentConfig{
		Name:         c.name,
		DataDir:      filepath.Join(c.dir, "client"),
		Ports:        c.ports,
		ServerRPC:    serverPorts.RPC,
		PluginDir:    c.opts.Binaries.PluginDir,
		DriverName:   DriverName,
		DriverConfig: c.opts.DriverConfig,
		DockerConfig: c.opts.DockerConfig,
		ExtraConfig:  c.opts.ExtraConfig,
	})
	if err != nil {
		return err
	}
	if c.server, err = c.newAgent("server", serverCfg); err != nil {
		return err
	}
	if c.client, err = c.newAgent("client", clientCfg); err != nil {
		return err
	}

	if err := c.server.start(); err != nil {
		return err
	}
	if err := c.waitServer(ctx, serverPorts.HTTP); err != nil {
		return err
	}
	return c.startClient(ctx)
}

// newAgent writes an agent's configuration file and returns the agent, not
// yet started.
func (c *Cluster) newAgent(role, cfg string) (*agentProc, error) {
	p := &agentProc{
		role:    role,
		nomad:   c.opts.Binaries.Nomad,
		cfgPath: filepath.Join(c.dir, role+".hcl"),
		logPath: c.logPath,
		marker:  c.marker,
	}
	if err := os.WriteFile(p.cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("write %s agent config: %w", role, err)
	}
	return p, nil
}

// waitServer waits until the server has elected itself leader and set up its
// keyring, without which it cannot register the client's node.
func (c *Cluster) waitServer(ctx context.Context, httpPort int) error {
	srv, err := api.NewClient(&api.Config{Address: fmt.Sprintf("http://127.0.0.1:%d", httpPort)})
	if err != nil {
		return fmt.Errorf("create server API client: %w", err)
	}
	return waitFor(ctx, "Nomad server to lead with a keyring", func() (bool, string, error) {
		if !c.server.running() {
			return false, "", c.server.exitError()
		}
		if leader, err := srv.Status().Leader(); err != nil || leader == "" {
			return false, fmt.Sprintf("leader %q, %v", leader, err), nil
		}
		keys, _, err := srv.Keyring().List(nil)
		if err != nil || len(keys) == 0 {
			return false, fmt.Sprintf("%d keys, %v", len(keys), err), nil
		}
		return true, "", nil
	})
}

// startClient starts the client agent and waits for its node to be ready.
func (c *Cluster) startClient(ctx context.Context) error {
	if err := c.client.start(); err != nil {
		return err
	}
	var err error
	if c.API, err = api.NewClient(&api.Config{Address: c.Address()}); err != nil {
		return fmt.Errorf("create API client: %w", err)
	}
	return c.waitNode(ctx)
}

// Address is the client agent's HTTP address.
func (c *Cluster) Address() string { return fmt.Sprintf("http://127.0.0.1:%d", c.ports.HTTP) }

// Dir is the cluster's working directory (configurations, log and data).
func (c *Cluster) Dir() string { return c.dir }

// LogPath is the file both agents and their plugins log to.
func (c *Cluster) LogPath() string { return c.logPath }

// ClientPID is the client agent's process ID.
func (c *Cluster) ClientPID() int { return c.client.cmd.Process.Pid }

// ClientRunning reports whether the client agent process is alive.
func (c *Cluster) ClientRunning() bool { return c.client.running() }

// StopClient shuts the client agent down gracefully (SIGINT) and waits for
// it to exit. As in production, its tasks keep running for the next agent.
func (c *Cluster) StopClient() error { return c.client.stop() }

// KillClient kills the client agent with SIGKILL, as a crash would; its
// plugins and tasks keep running.
func (c *Cluster) KillClient() error { return c.client.kill() }

// RestartClient starts the client agent again, on the same data directory
// and ports, after StopClient or KillClient, and waits for the node to be ready.
func (c *Cluster) RestartClient(ctx context.Context) error {
	if c.client.running() {
		return errors.New("restart: client agent is still running; stop or kill it first")
	}
	if err := c.startClient(ctx); err != nil {
		return fmt.Errorf("restart client agent: %w\nNomad log (%s) ends with:\n%s", err, c.logPath, c.LogTail(80))
	}
	return nil
}

func randomID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// freePorts asks the kernel for three unused TCP ports on the loopback
// address. They are released before the agent binds them; another program
// could take one in between, which Start then reports as an agent failure.
func freePorts() (ports, error) {
	var got []int
	for range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ports{}, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close()
		got = append(got, l.Addr().(*net.TCPAddr).Port)
	}
	return ports{HTTP: got[0], RPC: got[1], Serf: got[2]}, nil
}

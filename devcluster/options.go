package devcluster

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockmr/dockmr/contract"
)

// DefaultHTTPPort is the server's HTTP port unless Options.HTTPPort says
// otherwise: Nomad's own default, so that the nomad and dockmr commands
// find the cluster without NOMAD_ADDR.
const DefaultHTTPPort = 4646

// AnyHTTPPort as Options.HTTPPort has the server take free ports like the
// clients, so that clusters can run side by side, at the cost of needing
// NOMAD_ADDR to be found.
const AnyHTTPPort = -1

// DefaultDockerConfig is the body of the clients' `plugin "docker" {
// config { ... } }` block unless Options.DockerConfig says otherwise. The
// clients share one Docker daemon: Nomad's docker driver must not reap
// the containers of the other clients, nor delete images they use.
const DefaultDockerConfig = `gc {
      image = false
      dangling_containers {
        enabled = false
      }
    }`

// MaxClients bounds Options.Clients; every client is a Nomad agent process
// with its own plugins, so more than a few only burn memory on one machine.
const MaxClients = 16

// Options configure a development cluster.
type Options struct {
	// DataDir is the directory tasks read and write: every client allows
	// dockmr-driver to bind-mount it, and nothing else. It is created if
	// missing and kept when the cluster stops. Tasks run as the user who
	// starts the cluster; when that is root, they run as nobody and the
	// directory is opened to every user (mode 1777, as /tmp). Required
	// unless OwnDriverConfig is set.
	DataDir string
	// StateDir holds the agents' configuration, state and logs. Empty
	// means a new temporary directory, deleted when the cluster stops; a
	// directory given here is kept.
	StateDir string
	// Clients is the number of client agents; 0 means 1.
	Clients int
	// HTTPPort is the server's HTTP port; 0 means DefaultHTTPPort and
	// AnyHTTPPort a free one. The clients and the other listeners take
	// free ports.
	HTTPPort int
	// Binaries are the programs the cluster runs. Required.
	Binaries Binaries
	// DriverConfig is added to the body of every client's
	// `plugin "dockmr-driver" { config { ... } }` block, after the
	// allowed_mounts and task_runtime settings the cluster makes.
	DriverConfig string
	// OwnDriverConfig leaves allowed_mounts and task_runtime out of the
	// dockmr-driver config block, so that DriverConfig alone configures
	// the plugin, as a caller that tries driver settings needs; DataDir
	// and Binaries.TaskRuntime are then optional.
	OwnDriverConfig bool
	// DockerConfig is the body of every client's `plugin "docker" {
	// config { ... } }` block; empty means DefaultDockerConfig.
	DockerConfig string
	// ClientConfig is more configuration for every client agent, written
	// to a file of its own that the agent loads after the one the cluster
	// writes: Nomad merges the two, so it may add to or override any
	// setting.
	ClientConfig string
	// ServerConfig is more configuration for the server agent, written
	// to a file of its own that the agent loads after the one the cluster
	// writes, as ClientConfig is for the clients: a test that stops a
	// client for good shortens the server's heartbeat_grace and
	// min_heartbeat_ttl here, so that the node is marked down in seconds.
	ServerConfig string
	// DockerEndpoint is the Docker daemon the clients' task drivers use,
	// dockmr-driver's and Nomad's docker driver's `endpoint` ("unix:///path"
	// or "tcp://host:port"), and that Start checks and Close removes the
	// clients' containers from. Empty means DOCKER_HOST, else Docker's
	// default socket. DriverConfig and DockerConfig must not set endpoint
	// as well.
	DockerEndpoint string
	// ACL turns Nomad's access control on in every agent. Start then
	// bootstraps it and keeps the management token (Cluster.Token), which
	// the cluster's own calls use and users need in NOMAD_TOKEN; client
	// agents need none, nor do their plugins.
	ACL bool
	// WaitDrivers are the task drivers that must be detected and healthy
	// on every client node before Start or Client.Restart return; nil
	// means just dockmr-driver.
	WaitDrivers []string
	// Shuffle gives every client a shuffle directory of its own (in the
	// state directory, in the driver's allowed_mounts) and a shuffle
	// address (127.0.0.1 and a free port) in its node meta, where the
	// shuffle servers' system job runs a server once registered (`dockmr
	// dev` does, as `dockmr shuffle start` would): jobs may then use
	// --shuffle node. Needs the cluster's driver config.
	Shuffle bool
	// LogLevel is the agents' log level; empty means INFO.
	LogLevel string
	// Hosts, when not 0, runs the cluster on a private network of hosts
	// on this machine (Linux, root): the server and each of Hosts
	// clients in a network namespace of its own with its own address,
	// each client with its own Docker daemon, so that a task's host
	// network is its node's. Clients is then Hosts (or must equal it),
	// HTTPPort is DefaultHTTPPort on the server's address, and
	// DockerEndpoint must be empty. See package devcluster/hosts.
	Hosts int
	// Subnet is the hosts' network; the zero prefix means the first /24
	// of 198.18.0.0/15 that no route of the machine overlaps.
	Subnet netip.Prefix
	// Images are copied from the machine's Docker daemon (DOCKER_HOST or
	// Docker's default socket) into every host's daemon, as `docker save
	// | docker load` does, before the clients start: the hosts pull
	// nothing. Hosts only.
	Images []string
	// Logf, when set, is told of what the cluster does besides starting
	// agents, such as removing what a killed run left behind.
	Logf func(format string, args ...any)
	// LogFile, when set, is the one file that every agent appends its
	// output to, so that their lines interleave in time; a relative path
	// is taken in the state directory. Empty means a log file per agent
	// in the state directory.
	LogFile string
}

// withDefaults returns the options with their defaults filled in and their
// paths made absolute, or an error naming the first bad setting.
func (o Options) withDefaults() (Options, error) {
	if o.Clients == 0 {
		o.Clients = max(1, o.Hosts)
	}
	if o.HTTPPort == 0 {
		o.HTTPPort = DefaultHTTPPort
	}
	if o.LogLevel == "" {
		o.LogLevel = "INFO"
	}
	if o.DockerConfig == "" {
		o.DockerConfig = DefaultDockerConfig
	}
	if o.WaitDrivers == nil {
		o.WaitDrivers = []string{contract.DriverName}
	}
	if err := o.check(); err != nil {
		return Options{}, err
	}
	var err error
	for _, p := range []*string{&o.DataDir, &o.StateDir, &o.Binaries.Nomad, &o.Binaries.PluginDir, &o.Binaries.TaskRuntime} {
		if *p == "" {
			continue
		}
		if *p, err = filepath.Abs(*p); err != nil {
			return Options{}, fmt.Errorf("path %q: %w", *p, err)
		}
	}
	return o, nil
}

func (o Options) check() error {
	if o.DataDir == "" && !o.OwnDriverConfig {
		return errors.New("no data directory: set the directory tasks read and write")
	}
	if err := o.checkHosts(); err != nil {
		return err
	}
	if o.Clients < 1 || o.Clients > MaxClients {
		return fmt.Errorf("clients %d is out of range: want 1 to %d", o.Clients, MaxClients)
	}
	if (o.HTTPPort < 1 || o.HTTPPort > 65535) && o.HTTPPort != AnyHTTPPort {
		return fmt.Errorf("HTTP port %d is out of range: want 1 to 65535", o.HTTPPort)
	}
	switch strings.ToUpper(o.LogLevel) {
	case "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF":
	default:
		return fmt.Errorf("log level %q: want TRACE, DEBUG, INFO, WARN, ERROR or OFF", o.LogLevel)
	}
	if err := checkEndpoint(o.DockerEndpoint); err != nil {
		return err
	}
	for field, p := range map[string]string{"data directory": o.DataDir, "state directory": o.StateDir, "log file": o.LogFile} {
		if err := checkHCLString(field, p); err != nil {
			return err
		}
	}
	return o.Binaries.check(!o.OwnDriverConfig)
}

// checkHosts refuses settings a network of hosts cannot take.
func (o Options) checkHosts() error {
	if o.Hosts == 0 {
		if o.Subnet.IsValid() || len(o.Images) > 0 {
			return errors.New("a subnet and images are for a network of hosts: set Hosts too")
		}
		return nil
	}
	switch {
	case o.Hosts < 0 || o.Hosts > MaxClients:
		return fmt.Errorf("hosts %d is out of range: want 1 to %d", o.Hosts, MaxClients)
	case o.Clients != o.Hosts:
		return fmt.Errorf("clients %d and hosts %d differ: every host runs one client; leave clients unset", o.Clients, o.Hosts)
	case o.DockerEndpoint != "":
		return fmt.Errorf("docker endpoint %q with hosts: every host runs its own Docker daemon; leave it unset", o.DockerEndpoint)
	}
	return nil
}

// checkEndpoint accepts an empty Docker endpoint or a unix or tcp one.
func checkEndpoint(e string) error {
	if e == "" {
		return nil
	}
	if !strings.HasPrefix(e, "unix:///") && !strings.HasPrefix(e, "tcp://") {
		return fmt.Errorf("docker endpoint %q: want unix:///path/to/docker.sock or tcp://host:port", e)
	}
	return checkHCLString("docker endpoint", e)
}

// checkHCLString refuses a path that the agents' HCL configuration could
// only hold escaped; such paths are rare and escaping them would hide bugs.
func checkHCLString(field, s string) error {
	if strings.ContainsAny(s, "\"\\\n$%") {
		return fmt.Errorf("%s %q holds a quote, backslash, newline, '$' or '%%', which Nomad's configuration cannot take as is; choose another", field, s)
	}
	return nil
}

// Binaries are the programs a cluster runs.
type Binaries struct {
	// Nomad is the agent, built from the same module as the plugin.
	Nomad string
	// PluginDir holds the dockmr-driver plugin.
	PluginDir string
	// TaskRuntime is the static dockmr-task binary that dockmr-driver
	// mounts read-only into every container.
	TaskRuntime string
}

// Driver returns the path of the dockmr-driver plugin.
func (b Binaries) Driver() string { return filepath.Join(b.PluginDir, contract.DriverName) }

// check makes sure the binaries are there; the task runtime is optional
// unless needRuntime.
func (b Binaries) check(needRuntime bool) error {
	driver := ""
	if b.PluginDir != "" {
		driver = b.Driver()
	}
	for _, f := range []struct{ what, path string }{
		{"Nomad agent", b.Nomad},
		{"driver plugin", driver},
		{"task runtime", b.TaskRuntime},
	} {
		if f.path == "" && f.what == "task runtime" && !needRuntime {
			continue
		}
		if f.path == "" {
			return fmt.Errorf("no %s binary given", f.what)
		}
		if err := checkExecutable(f.path); err != nil {
			return fmt.Errorf("%s: %w", f.what, err)
		}
		if err := checkHCLString(f.what+" path", f.path); err != nil {
			return err
		}
	}
	return nil
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s not found", path)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// FindBinaries looks for nomad, plugins/dockmr-driver and dockmr-task in
// each of dirs in turn, then for nomad and dockmr-task on the PATH. The
// error says which are missing and how to build them.
func FindBinaries(dirs ...string) (Binaries, error) {
	var b Binaries
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		if b.Nomad == "" && checkExecutable(filepath.Join(dir, "nomad")) == nil {
			b.Nomad = filepath.Join(dir, "nomad")
		}
		if b.PluginDir == "" && checkExecutable(filepath.Join(dir, "plugins", contract.DriverName)) == nil {
			b.PluginDir = filepath.Join(dir, "plugins")
		}
		if b.TaskRuntime == "" && checkExecutable(filepath.Join(dir, "dockmr-task")) == nil {
			b.TaskRuntime = filepath.Join(dir, "dockmr-task")
		}
	}
	if b.Nomad == "" {
		b.Nomad = lookPath("nomad")
	}
	if b.TaskRuntime == "" {
		b.TaskRuntime = lookPath("dockmr-task")
	}
	var missing []string
	if b.Nomad == "" {
		missing = append(missing, "nomad")
	}
	if b.PluginDir == "" {
		missing = append(missing, "plugins/"+contract.DriverName)
	}
	if b.TaskRuntime == "" {
		missing = append(missing, "dockmr-task")
	}
	if len(missing) > 0 {
		return Binaries{}, fmt.Errorf("%s not found in %s: run `make build nomad`",
			strings.Join(missing, ", "), strings.Join(append(nonEmpty(dirs), "$PATH"), ", "))
	}
	return b, nil
}

func lookPath(name string) string {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, name); checkExecutable(p) == nil {
			if abs, err := filepath.Abs(p); err == nil {
				return abs
			}
		}
	}
	return ""
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

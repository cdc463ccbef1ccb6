package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/jobs/nomad"
)

// readyLine is the line `dockmr dev` prints once the cluster takes jobs,
// for scripts to wait for.
const readyLine = "dockmr dev: ready"

// exampleImage is the image `make image` builds, which jobs run in unless
// told otherwise.
const exampleImage = "dockmr/examples:dev"

func devCommand() *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "run a Nomad cluster on this machine with dockmr-driver loaded, until Ctrl-C",
		Description: `Starts a Nomad server agent and --clients client agents on 127.0.0.1, each
client loading dockmr-driver from the plugins directory next to nomad, and
waits until the driver is healthy on every client. Tasks may bind-mount
--data-dir only: keep job input and output under it. The server's HTTP API
listens on --http-port (Nomad's default, so NOMAD_ADDR can stay unset);
the server also takes the two ports above it.

nomad, plugins/dockmr-driver and dockmr-task are looked for in --bin-dir,
then next to this program, then (nomad and dockmr-task) on the PATH; 'make
build nomad' puts them all in bin/. Tasks run the example image unless
told otherwise; 'make image' builds it.

Once the cluster is ready, the last line printed is "dockmr dev: ready",
and --ready-file, if given, is written with NOMAD_ADDR and DOCKMR_DATA_DIR
lines a shell can source. With --acl, Nomad's ACLs are on: the management
token is printed, added to the ready file as NOMAD_TOKEN (the file is then
readable by its owner only) and written to management.token in the state
directory; dockmr and nomad commands need it in NOMAD_TOKEN. Ctrl-C or SIGTERM stops every job, the clients,
then the server, and removes the tasks' containers and the agents' state;
the data directory is kept.

With --shuffle (on by default), every client gets a shuffle directory of
its own in the state directory and a shuffle address in its node meta
(127.0.0.1 and a free port, or its host's address and port 13562 with
--hosts), and the cluster runs a shuffle server on each (the system job
dockmr-shuffle, in the example image), so that jobs run with --shuffle
node keep their map output on the maps' clients.

With --hosts N (Linux, root) the cluster runs on a private network of
hosts on this machine instead: the server and N clients each in a network
namespace of its own with its own address (the first /24 of 198.18.0.0/15
that no route of the machine covers, or --subnet), each client with its own
Docker daemon, into which the example image is loaded. A task's host network
is then its node's. This machine gets an address on the same network, so
NOMAD_ADDR (the server's address) works from the shell. Ctrl-C removes the
daemons, namespaces and interfaces too; what a killed run left behind is
removed by the next 'dockmr dev --hosts'. --image copies other images into
every host's daemon (no host pulls anything).

Examples:
   dockmr dev
   dockmr dev --hosts 3 --ready-file /tmp/dockmr-dev.env
   dockmr dev --hosts 2 --image dockmr/examples:dev --image team/app:1.2
   dockmr dev --data-dir /srv/dockmr --clients 2 --ready-file /tmp/dockmr-dev.env
   dockmr dev --acl --ready-file /tmp/dockmr-dev.env`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Value: filepath.Join(os.TempDir(), "dockmr-dev"),
				Usage: "directory tasks may read and write, mounted at the same path; created if missing, kept on exit"},
			&cli.IntFlag{Name: "clients", Value: 1, Usage: fmt.Sprintf("number of client agents, 1 to %d", devcluster.MaxClients)},
			&cli.IntFlag{Name: "http-port", Value: devcluster.DefaultHTTPPort, Usage: "HTTP port of the server; it also takes the two ports above"},
			&cli.StringFlag{Name: "state-dir", DefaultText: "a temporary directory, removed on exit",
				Usage: "directory of the agents' configuration, state and logs; kept on exit"},
			&cli.StringFlag{Name: "bin-dir", EnvVars: []string{"DOCKMR_BIN"}, DefaultText: "this program's directory",
				Usage: "directory holding nomad, plugins/dockmr-driver and dockmr-task"},
			&cli.StringFlag{Name: "ready-file", Usage: "file to write NOMAD_ADDR and DOCKMR_DATA_DIR into once the cluster is ready; removed on exit"},
			&cli.StringFlag{Name: "log-level", Value: "INFO", Usage: "the agents' log level: TRACE, DEBUG, INFO, WARN or ERROR"},
			&cli.BoolFlag{Name: "shuffle", Value: true, Usage: "give each client a shuffle directory and address and run a shuffle server on it (the system job dockmr-shuffle), for jobs run with --shuffle node; needs the example image (make image)"},
			&cli.IntFlag{Name: "hosts", Usage: fmt.Sprintf("run the server and this many clients (1 to %d) each on a host of its own: a network namespace with its own address and Docker daemon (root)", devcluster.MaxClients)},
			&cli.StringFlag{Name: "subnet", DefaultText: "the first free /24 of 198.18.0.0/15", Usage: "the hosts' network (with --hosts); no route of this machine may overlap it"},
			&cli.StringSliceFlag{Name: "image", DefaultText: exampleImage + " if this machine's daemon has it",
				Usage: "image to copy from this machine's Docker daemon into every host's (with --hosts; repeatable): hosts pull nothing"},
			&cli.BoolFlag{Name: "acl", Usage: "turn Nomad's ACLs on: the cluster is bootstrapped, and its management token printed and written to the ready file and a token file (mode 0600); commands then need NOMAD_TOKEN"},
		},
		OnUsageError: onUsageError,
		Action:       dev,
	}
}

func dev(c *cli.Context) error {
	if c.Args().Present() {
		return usageErrorf("dev: unexpected argument %q; run 'dockmr dev --help' for usage", c.Args().First())
	}
	opts, err := devOptions(c)
	if err != nil {
		return err
	}
	out := c.App.Writer
	opts.Logf = func(format string, args ...any) { fmt.Fprintf(out, "dockmr dev: "+format+"\n", args...) }
	if opts.Hosts > 0 {
		fmt.Fprintf(out, "dockmr dev: starting a Nomad server and %d client(s) on hosts of their own with %s\n", opts.Clients, opts.Binaries.Nomad)
	} else {
		fmt.Fprintf(out, "dockmr dev: starting a Nomad server and %d client(s) with %s\n", opts.Clients, opts.Binaries.Nomad)
	}
	cluster, err := devcluster.Start(c.Context, opts)
	if err != nil {
		if c.Context.Err() != nil {
			fmt.Fprintln(out, "dockmr dev: interrupted while starting; stopped")
			return nil
		}
		return fmt.Errorf("dev: %w", err)
	}
	if opts.Shuffle {
		err = startDevShuffle(c.Context, cluster)
	}
	if err == nil {
		err = serveDev(c, cluster)
	}
	fmt.Fprintln(out, "dockmr dev: stopping jobs, clients and server")
	if closeErr := cluster.Close(); closeErr != nil {
		err = errors.Join(err, fmt.Errorf("dev: stop: %w", closeErr))
	}
	if err == nil {
		fmt.Fprintln(out, "dockmr dev: stopped")
	}
	return err
}

// devOptions returns the cluster options the flags ask for.
func devOptions(c *cli.Context) (devcluster.Options, error) {
	if n := c.Int("clients"); n < 1 || n > devcluster.MaxClients {
		return devcluster.Options{}, usageErrorf("dev: --clients %d is out of range; want 1 to %d", n, devcluster.MaxClients)
	}
	if p := c.Int("http-port"); p < 1 || p > 65533 {
		return devcluster.Options{}, usageErrorf("dev: --http-port %d is out of range; want 1 to 65533", p)
	}
	switch strings.ToUpper(c.String("log-level")) {
	case "TRACE", "DEBUG", "INFO", "WARN", "ERROR":
	default:
		return devcluster.Options{}, usageErrorf("dev: --log-level %q; want TRACE, DEBUG, INFO, WARN or ERROR", c.String("log-level"))
	}
	if c.String("data-dir") == "" {
		return devcluster.Options{}, usageErrorf("dev: --data-dir is empty; give the directory tasks read and write")
	}
	subnet, err := hostsFlags(c)
	if err != nil {
		return devcluster.Options{}, err
	}
	dirs := []string{c.String("bin-dir")}
	if self, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(self))
	}
	bins, err := devcluster.FindBinaries(dirs...)
	if err != nil {
		return devcluster.Options{}, fmt.Errorf("dev: %w", err)
	}
	opts := devcluster.Options{
		DataDir:  c.String("data-dir"),
		StateDir: c.String("state-dir"),
		Clients:  c.Int("clients"),
		HTTPPort: c.Int("http-port"),
		Binaries: bins,
		LogLevel: c.String("log-level"),
		ACL:      c.Bool("acl"),
		Shuffle:  c.Bool("shuffle"),
	}
	if n := c.Int("hosts"); n > 0 {
		opts.Hosts, opts.Clients, opts.Subnet = n, n, subnet
		opts.Images = c.StringSlice("image")
		if !c.IsSet("image") {
			if ok, err := devcluster.HasImage(c.Context, exampleImage); err == nil && ok {
				opts.Images = []string{exampleImage}
			}
		}
	}
	return opts, nil
}

// hostsFlags checks --hosts and --subnet, and returns the subnet asked
// for, if any.
func hostsFlags(c *cli.Context) (netip.Prefix, error) {
	n := c.Int("hosts")
	if n == 0 {
		for _, f := range []string{"subnet", "image"} {
			if c.IsSet(f) {
				return netip.Prefix{}, usageErrorf("dev: --%s is for --hosts; add --hosts N", f)
			}
		}
		return netip.Prefix{}, nil
	}
	if n < 1 || n > devcluster.MaxClients {
		return netip.Prefix{}, usageErrorf("dev: --hosts %d is out of range; want 1 to %d", n, devcluster.MaxClients)
	}
	if c.IsSet("clients") && c.Int("clients") != n {
		return netip.Prefix{}, usageErrorf("dev: --clients %d and --hosts %d: every host runs one client; give --hosts alone", c.Int("clients"), n)
	}
	if c.IsSet("http-port") {
		return netip.Prefix{}, usageErrorf("dev: --http-port with --hosts: the server has a host of its own and listens on %d there", devcluster.DefaultHTTPPort)
	}
	var p netip.Prefix
	if s := c.String("subnet"); s != "" {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, usageErrorf("dev: --subnet %q is not a CIDR prefix; want an unused IPv4 range such as 198.18.0.0/24", s)
		}
	}
	if os.Geteuid() != 0 {
		return netip.Prefix{}, fmt.Errorf("dev: --hosts needs root: every host is a network namespace with its own Docker daemon; run as root, or use --clients %d for clients on 127.0.0.1", n)
	}
	return p, nil
}

// serveDev tells the user how to reach the cluster and waits for Ctrl-C
// or SIGTERM, which end it cleanly, or for an agent to exit, which is an
// error.
func serveDev(c *cli.Context, cluster *devcluster.Cluster) error {
	if f := c.String("ready-file"); f != "" {
		if err := writeReadyFile(f, cluster); err != nil {
			return err
		}
		defer os.Remove(f)
	}
	if cluster.Network() != nil {
		printHosts(c.App.Writer, cluster)
	} else if ok, err := devcluster.HasImage(c.Context, exampleImage); err == nil && !ok {
		fmt.Fprintf(c.App.Writer, "\nnote: the example image %s is missing: run 'make image', or pass --image to jobs\n", exampleImage)
	}
	printDevUsage(c.App.Writer, cluster)
	if err := cluster.Wait(c.Context); err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	return nil
}

// writeReadyFile writes the cluster's environment for a shell to source,
// through a rename so that a script waiting for the file reads all of it.
func writeReadyFile(path string, cluster *devcluster.Cluster) error {
	content := fmt.Sprintf("NOMAD_ADDR=%s\nDOCKMR_DATA_DIR=%s\n", cluster.Address(), cluster.DataDir())
	mode := os.FileMode(0o644)
	if token := cluster.Token(); token != "" {
		// The token grants everything: only its owner may read it.
		content += fmt.Sprintf("NOMAD_TOKEN=%s\n", token)
		mode = 0o600
	}
	tmp := path + ".tmp"
	os.Remove(tmp) // WriteFile keeps an existing file's mode
	if err := os.WriteFile(tmp, []byte(content), mode); err != nil {
		return fmt.Errorf("dev: --ready-file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("dev: --ready-file: %w", err)
	}
	return nil
}

// printHosts lists a cluster's hosts: name, address, Docker endpoint.
func printHosts(w io.Writer, cluster *devcluster.Cluster) {
	n := cluster.Network()
	fmt.Fprintf(w, "\n  network     %s, this machine %s on %s\n", n.Subnet(), n.MachineAddr(), n.Link())
	fmt.Fprintf(w, "  host %-9s %-15s Nomad server\n", cluster.ServerHost().Name(), cluster.ServerHost().Addr())
	for _, h := range cluster.Hosts() {
		fmt.Fprintf(w, "  host %-9s %-15s %s, Docker %s\n", h.Name(), h.Addr(), h.Client().Name(), h.DockerEndpoint())
	}
	if len(cluster.Images()) > 0 {
		fmt.Fprintf(w, "  images      %s, on every host\n", strings.Join(cluster.Images(), " "))
	}
	if !slices.Contains(cluster.Images(), exampleImage) {
		fmt.Fprintf(w, "\nnote: no host has the example image %s, which jobs run unless told otherwise: run 'make image' (or add --image %s) and start again\n", exampleImage, exampleImage)
	}
}

func printDevUsage(w io.Writer, cluster *devcluster.Cluster) {
	data := cluster.DataDir()
	token, export := "", ""
	if t := cluster.Token(); t != "" {
		token = fmt.Sprintf("  NOMAD_TOKEN %s   (ACLs on: the management token, also in %s)\n", t, cluster.TokenPath())
		export = " NOMAD_TOKEN=" + t
	}
	fmt.Fprintf(w, `
  NOMAD_ADDR  %[1]s   (web UI: %[1]s/ui)
%[5]s  data dir    %[2]s   (tasks mount it at the same path; keep input and output under it)
  agent logs  %[3]s

In another shell:
  export NOMAD_ADDR=%[1]s DOCKMR_DATA_DIR=%[2]s%[6]s
  dockmr teragen 1m %[2]s/tera-in
  dockmr terasort %[2]s/tera-in %[2]s/tera-out
  dockmr teravalidate %[2]s/tera-out %[2]s/tera-report
  nomad job run -var data_dir=%[2]s examples/teragen/teragen.nomad.hcl

Press Ctrl-C to stop the cluster.
%[4]s
`, cluster.Address(), data, strings.Join(cluster.LogPaths(), " "), readyLine, token, export)
}

// startDevShuffle runs a shuffle server on every client, with the code
// `dockmr shuffle start --wait` runs, in the example image.
func startDevShuffle(ctx context.Context, cluster *devcluster.Cluster) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// A client of its own: the cluster's is the one Close uses.
	client, err := api.NewClient(&api.Config{Address: cluster.Address(), SecretID: cluster.Token()})
	if err != nil {
		return fmt.Errorf("dev: Nomad API client: %w", err)
	}
	defer client.Close()
	nodes, err := nomad.StartShuffle(ctx, client, nomad.ShuffleOptions{Image: exampleImage}, true)
	if err != nil {
		return fmt.Errorf("dev: start the shuffle servers (is the example image built? make image): %w", err)
	}
	if n := len(cluster.Clients()); len(nodes) != n {
		return fmt.Errorf("dev: shuffle servers run on %d nodes, want one on each of the %d clients", len(nodes), n)
	}
	return nil
}

// Package hosts tests dockmr on a cluster of several hosts on one
// machine (`dockmr dev --hosts`, devcluster's Options.Hosts): the server
// and three clients each in a network namespace of its own with its own
// address and Docker daemon. Jobs run across the hosts, tasks see their
// node's network, and jobs survive a host cut off from the network
// (during the map and during the reduce phase), a host lost for good and
// the server restarted mid-job, each ending with the exact answer and no
// container left; nothing of the hosts is left on the machine after.
//
// The tests need root (network namespaces, Docker daemons), Docker's
// engine, iproute2 and the built binaries and example image (`make build
// nomad image`); they skip under -short and without root, saying why.
// Every packet they send goes to loopback or to a host they made: the
// network package refuses to start unless each host address is routed
// through the network's own interface.
package hosts

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/nomadtest"
)

// exampleImage is the image dockmr's commands run by default, built by
// `make image`, loaded into every host's daemon.
const exampleImage = "dockmr/examples:dev"

// clusterHosts is the number of client hosts of the shared cluster.
const clusterHosts = 3

// lostHeartbeat has the server mark a silent node down within seconds
// (Nomad's defaults take 20 s or more), so that the allocations of a host
// cut off or lost are replaced on the others at once.
const lostHeartbeat = `server {
  heartbeat_grace   = "2s"
  min_heartbeat_ttl = "2s"
}
`

var (
	// cluster is the shared cluster of clusterHosts hosts; tests that
	// lose a host start their own.
	cluster *devcluster.Cluster
	// bins are the built binaries; dockmr is the CLI among them.
	bins   devcluster.Binaries
	dockmr string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	flag.Parse()
	if reason := skipReason(); reason != "" {
		fmt.Println("e2e/hosts: skipped:", reason)
		return 0
	}
	var err error
	if bins, err = nomadtest.FindBinaries(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e/hosts:", err)
		return 1
	}
	dockmr = filepath.Join(filepath.Dir(bins.Nomad), "dockmr")
	if _, err := os.Stat(dockmr); err != nil {
		fmt.Fprintf(os.Stderr, "e2e/hosts: %s is missing: run make build\n", dockmr)
		return 1
	}
	if err := checkMachine(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e/hosts:", err)
		return 1
	}
	data, err := newDataDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e/hosts:", err)
		return 1
	}
	defer os.RemoveAll(data)
	cluster, err = startCluster(context.Background(), data, clusterHosts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e/hosts: start the cluster:", err)
		return 1
	}
	code := m.Run()
	left := snapshot(cluster)
	if err := cluster.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e/hosts: close the cluster:", err)
		code = 1
	}
	if err := left.check(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e/hosts: the cluster left things behind:", err)
		code = 1
	}
	return code
}

// skipReason says why the tests cannot run here, or "" when they can.
func skipReason() string {
	if testing.Short() {
		return "-short: the tests make network namespaces and run Docker daemons and Nomad agents"
	}
	if os.Geteuid() != 0 {
		return "needs root: every host is a network namespace with its own Docker daemon"
	}
	return ""
}

// checkMachine makes sure the programs the hosts need are there: missing
// ones fail the tests rather than skip them, as `make deps` installs them.
func checkMachine() error {
	for _, tool := range []string{"ip", "nsenter", "dockerd"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not on the PATH: run make deps (Docker's engine, iproute2, util-linux)", tool)
		}
	}
	ok, err := devcluster.HasImage(context.Background(), exampleImage)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the example image %s is missing: run make image", exampleImage)
	}
	return nil
}

// newDataDir makes a data directory every user can reach: tasks run as
// nobody.
func newDataDir() (string, error) {
	dir, err := os.MkdirTemp("", "dockmr-hosts-data-")
	if err != nil {
		return "", err
	}
	return dir, os.Chmod(dir, 0o755)
}

// startCluster starts a cluster of n client hosts on data, the example
// image loaded into each host's daemon.
func startCluster(ctx context.Context, data string, n int) (*devcluster.Cluster, error) {
	return devcluster.Start(ctx, devcluster.Options{
		DataDir:      data,
		Hosts:        n,
		Images:       []string{exampleImage},
		Binaries:     bins,
		ServerConfig: lostHeartbeat,
		LogFile:      "nomad.log",
	})
}

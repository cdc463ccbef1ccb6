// Package devcluster_test tries the development cluster behind `dockmr
// dev` for real: Nomad agents on 127.0.0.1 with dockmr-driver, the shared
// Docker daemon, the dockmr dev command itself.
package devcluster_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// startT starts a cluster of clients client agents for a test.
func startT(t *testing.T, clients int) (*devcluster.Cluster, int) {
	t.Helper()
	port := clustertest.FreeHTTPPort(t)
	return clustertest.Start(t, devcluster.Options{Clients: clients, HTTPPort: port}), port
}

// TestClusterRunsTaskAndCleansUp runs a container under dockmr-driver in a
// one-client cluster, then closes the cluster while the task runs: the
// agents and every process they started end, the container is removed,
// the state directory is deleted and the data directory kept.
func TestClusterRunsTaskAndCleansUp(t *testing.T) {
	image := testimage.EnsureT(t)
	c, port := startT(t, 1)
	must.Len(t, 1, c.NodeIDs())
	must.Eq(t, fmt.Sprintf("http://127.0.0.1:%d", port), c.Address())

	out := filepath.Join(c.DataDir(), "out")
	job := clustertest.SleeperJob(image, c.DataDir(), fmt.Sprintf("echo hello > %s; while true; do sleep 0.1; done", out))
	_, _, err := c.API.Jobs().Register(job, nil)
	must.NoError(t, err)
	waitRunning(t, c, *job.ID)
	// The task writes into the data directory, mounted at the same path.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = devcluster.Poll(ctx, "the task's file", func() (bool, string, error) {
		b, err := os.ReadFile(out)
		return string(b) == "hello\n", fmt.Sprintf("%q, %v", b, err), nil
	})
	must.NoError(t, err)
	must.Eq(t, 1, countContainers(t, c.NodeIDs()[0]))
	pids, err := devcluster.Processes(c.Marker())
	must.NoError(t, err)
	must.Greater(t, 2, len(pids), must.Sprintf("agents and plugins: %v", pids))

	must.NoError(t, c.Close())
	pids, err = devcluster.Processes(c.Marker())
	must.NoError(t, err)
	must.SliceEmpty(t, pids, must.Sprint("processes outlived the cluster"))
	must.Zero(t, countContainers(t, c.NodeIDs()[0]))
	_, err = os.Stat(c.StateDir())
	must.True(t, os.IsNotExist(err), must.Sprintf("state directory kept: %v", err))
	_, err = os.Stat(out)
	must.NoError(t, err, must.Sprint("the data directory is the user's"))
	must.NoError(t, c.Close(), must.Sprint("a second Close"))
}

// TestClusterTwoClients brings up two clients, each with a healthy
// dockmr-driver, on their own ports and state directories.
func TestClusterTwoClients(t *testing.T) {
	c, _ := startT(t, 2)
	must.Len(t, 2, c.NodeIDs())
	must.NotEq(t, c.NodeIDs()[0], c.NodeIDs()[1])
	nodes, _, err := c.API.Nodes().List(nil)
	must.NoError(t, err)
	must.Len(t, 2, nodes)
	for _, n := range nodes {
		must.Eq(t, api.NodeStatusReady, n.Status)
		must.True(t, n.Drivers[contract.DriverName].Healthy, must.Sprintf("node %s", n.Name))
	}
	must.Len(t, 3, c.LogPaths())
	sched, _, err := c.API.Operator().SchedulerGetConfiguration(nil)
	must.NoError(t, err)
	must.True(t, sched.SchedulerConfig.MemoryOversubscriptionEnabled, must.Sprint("tasks may use memory_max"))
	must.NotEq(t, c.Clients()[0].Address(), c.Clients()[1].Address())
}

func TestStartRefusesBusyPort(t *testing.T) {
	if testing.Short() {
		t.Skip("binds ports")
	}
	port := clustertest.FreeHTTPPort(t)
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1))
	must.NoError(t, err)
	defer l.Close()
	stateDir := t.TempDir()
	_, err = devcluster.Start(context.Background(), devcluster.Options{DataDir: clustertest.DataDir(t), StateDir: stateDir, HTTPPort: port, Binaries: clustertest.Binaries(t)})
	must.ErrorContains(t, err, fmt.Sprintf("port %d on 127.0.0.1 is in use (another Nomad agent?): the server needs ports %d to %d", port+1, port, port+2))
	_, err = os.Stat(stateDir)
	must.NoError(t, err, must.Sprint("a state directory the caller chose is kept"))
}

func TestHasImage(t *testing.T) {
	if testing.Short() {
		t.Skip("asks the Docker daemon")
	}
	ref := testimage.EnsureT(t)
	ok, err := devcluster.HasImage(context.Background(), ref)
	must.NoError(t, err)
	must.True(t, ok)
	ok, err = devcluster.HasImage(context.Background(), "dockmr/no-such-image:nope")
	must.NoError(t, err)
	must.False(t, ok)
}

func waitRunning(t *testing.T, c *devcluster.Cluster, jobID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := devcluster.Poll(ctx, "the task to run", func() (bool, string, error) {
		allocs, _, err := c.API.Jobs().Allocations(jobID, false, nil)
		if err != nil || len(allocs) == 0 {
			return false, fmt.Sprint(err), nil
		}
		a := allocs[0]
		if a.ClientStatus == api.AllocClientStatusFailed {
			return false, "", fmt.Errorf("allocation failed: %v", a.TaskStates)
		}
		return a.ClientStatus == api.AllocClientStatusRunning, a.ClientStatus, nil
	})
	must.NoError(t, err)
}

func countContainers(t *testing.T, nodeID string) int {
	t.Helper()
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	defer cli.Close()
	list, err := cli.ContainerList(context.Background(), container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", clustertest.LabelNode+"="+nodeID)),
	})
	must.NoError(t, err)
	return len(list)
}

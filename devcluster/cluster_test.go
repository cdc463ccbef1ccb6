package devcluster

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
	"github.com/dockmr/dockmr/internal/testimage"
)

// freeHTTPPort finds a port p with p+1 and p+2 free as well, for a test
// cluster's server, so that tests do not take Nomad's default ports.
func freeHTTPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must.NoError(t, err)
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if p+2 <= 65535 && checkPortsFree(ports{HTTP: p, RPC: p + 1, Serf: p + 2}) == nil {
			return p
		}
	}
	t.Fatal("no three consecutive free ports found")
	return 0
}

func startT(t *testing.T, clients int) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Nomad agents")
	}
	c, err := Start(context.Background(), Options{
		DataDir:  newDataDir(t),
		Clients:  clients,
		HTTPPort: freeHTTPPort(t),
		Binaries: realBinaries(t),
	})
	must.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestClusterRunsTaskAndCleansUp runs a container under dockmr-driver in a
// one-client cluster, then closes the cluster while the task runs: the
// agents and every process they started end, the container is removed,
// the state directory is deleted and the data directory kept.
func TestClusterRunsTaskAndCleansUp(t *testing.T) {
	image := testimage.EnsureT(t)
	c := startT(t, 1)
	must.Len(t, 1, c.NodeIDs())
	must.Eq(t, fmt.Sprintf("http://127.0.0.1:%d", c.opts.HTTPPort), c.Address())

	out := filepath.Join(c.DataDir(), "out")
	job := sleeperJob(image, c.DataDir(), fmt.Sprintf("echo hello > %s; while true; do sleep 0.1; done", out))
	_, _, err := c.API.Jobs().Register(job, nil)
	must.NoError(t, err)
	waitRunning(t, c, *job.ID)
	// The task writes into the data directory, mounted at the same path.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = Poll(ctx, "the task's file", func() (bool, string, error) {
		b, err := os.ReadFile(out)
		return string(b) == "hello\n", fmt.Sprintf("%q, %v", b, err), nil
	})
	must.NoError(t, err)
	must.Eq(t, 1, countContainers(t, c.NodeIDs()[0]))
	pids, err := Processes(c.marker)
	must.NoError(t, err)
	must.Greater(t, 2, len(pids), must.Sprintf("agents and plugins: %v", pids))

	must.NoError(t, c.Close())
	pids, err = Processes(c.marker)
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
	c := startT(t, 2)
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
	must.NotEq(t, c.clients[0].ports.HTTP, c.clients[1].ports.HTTP)
}

func TestStartRefusesBusyPort(t *testing.T) {
	if testing.Short() {
		t.Skip("binds ports")
	}
	port := freeHTTPPort(t)
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1))
	must.NoError(t, err)
	defer l.Close()
	stateDir := t.TempDir()
	_, err = Start(context.Background(), Options{DataDir: newDataDir(t), StateDir: stateDir, HTTPPort: port, Binaries: realBinaries(t)})
	must.ErrorContains(t, err, fmt.Sprintf("port %d on 127.0.0.1 is in use (another Nomad agent?): the server needs ports %d to %d", port+1, port, port+2))
	_, err = os.Stat(stateDir)
	must.NoError(t, err, must.Sprint("a state directory the caller chose is kept"))
}

func TestHasImage(t *testing.T) {
	if testing.Short() {
		t.Skip("asks the Docker daemon")
	}
	ref := testimage.EnsureT(t)
	ok, err := HasImage(context.Background(), ref)
	must.NoError(t, err)
	must.True(t, ok)
	ok, err = HasImage(context.Background(), "dockmr/no-such-image:nope")
	must.NoError(t, err)
	must.False(t, ok)
}

// TestStartWithoutDocker fails at once, saying which daemon and what to do,
// and starts nothing.
func TestStartWithoutDocker(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	dataDir := filepath.Join(t.TempDir(), "data")
	_, err := Start(context.Background(), Options{DataDir: dataDir, HTTPPort: 1, Binaries: realBinaries(t)})
	must.ErrorContains(t, err, "no Docker daemon answers at unix://"+sock)
	must.ErrorContains(t, err, "start one (`make deps` does) or set DOCKER_HOST")
	_, err = os.Stat(dataDir)
	must.True(t, os.IsNotExist(err), must.Sprint("nothing is created"))
}

func sleeperJob(image, dataDir, script string) *api.Job {
	cpu, mem := 50, 32
	job := api.NewBatchJob("sleeper", "sleeper", "global", 50)
	job.Datacenters = []string{"*"}
	task := api.NewTask("main", contract.DriverName)
	task.Config = map[string]any{
		"image":   image,
		"command": "sh",
		"args":    []string{"-c", script},
		"mounts":  []map[string]any{{"source": dataDir, "target": dataDir}},
	}
	task.Resources = &api.Resources{CPU: &cpu, MemoryMB: &mem}
	group := api.NewTaskGroup("g", 1).AddTask(task)
	group.RestartPolicy = &api.RestartPolicy{Attempts: ptr(0), Mode: ptr("fail")}
	group.ReschedulePolicy = &api.ReschedulePolicy{Attempts: ptr(0), Unlimited: ptr(false)}
	return job.AddTaskGroup(group)
}

func ptr[T any](v T) *T { return &v }

func waitRunning(t *testing.T, c *Cluster, jobID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := Poll(ctx, "the task to run", func() (bool, string, error) {
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
		Filters: filters.NewArgs(filters.Arg("label", labelNode+"="+nodeID)),
	})
	must.NoError(t, err)
	return len(list)
}

// Package faults runs terasorts on a two-client development cluster while
// faults hit them: agents restarted, plugins and containers killed, a
// client lost, the Docker daemon restarted. Each job must end with the
// exact answer and no container left.
package faults

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
	"github.com/dockmr/dockmr/internal/dockerdtest"
)

// TestTerasortWithoutFault runs the fault tests' terasort with no fault:
// the baseline that bench/faults.sh compares their times with.
func TestTerasortWithoutFault(t *testing.T) {
	c := clustertest.Start(t, devcluster.Options{Clients: 2})
	docker := clustertest.SharedDocker(t)
	j := newTeraJob(t, c)
	j.start()
	sum := j.wait("none")
	j.checkOutput(sum)
	for _, p := range sum.Phases {
		must.Eq(t, p.Tasks, p.Attempts, must.Sprint(p.Phase))
		must.Zero(t, p.Failed, must.Sprint(p.Phase))
	}
	clustertest.WaitNoContainers(t, docker, sum.ID, "")
}

// TestTerasortSurvivesClientRestarts restarts both client agents while
// their map tasks run: the first killed with SIGKILL along with its
// dockmr-driver, as a crash would, the second stopped gracefully. Each
// restarted agent starts a new plugin, which recovers the running
// containers through RecoverTask, so every task completes in its first
// allocation.
//
// The maps' containers are frozen (docker pause) from before the faults
// until both agents are back, so that the tasks are still running when
// they are recovered however fast the machine is; the job's time includes
// the two agent restarts.
func TestTerasortSurvivesClientRestarts(t *testing.T) {
	c := clustertest.Start(t, devcluster.Options{Clients: 2, LogFile: "nomad.log"})
	docker := clustertest.SharedDocker(t)
	j := newTeraJob(t, c)
	j.start()

	frozen := map[string]string{}
	for _, cl := range c.Clients() {
		clustertest.WaitForContainer(t, docker, "map", cl.NodeID())
		maps := pauseRunning(t, docker, cl.NodeID())
		must.MapNotEmpty(t, maps, must.Sprintf("running map containers on %s", cl.Name()))
		for id, alloc := range maps {
			frozen[id] = alloc
		}
	}
	restart(t, c, c.Clients()[0], true)
	restart(t, c, c.Clients()[1], false)
	for id, alloc := range frozen {
		waitLog(t, c, "recovered task", "alloc_id="+alloc, "running=true")
		must.NoError(t, docker.ContainerUnpause(context.Background(), id))
	}

	sum := j.wait("client restarts")
	j.checkOutput(sum)
	for _, p := range sum.Phases {
		must.Eq(t, p.Tasks, p.Attempts, must.Sprintf("%s: recovered, not retried", p.Phase))
		must.Zero(t, p.Failed, must.Sprint(p.Phase))
	}
	clustertest.WaitNoContainers(t, docker, sum.ID, "")
}

// restart stops the client (crash: SIGKILL to the agent and its plugins;
// else as Ctrl-C does) and starts it again. An agent that shuts down
// stops its plugins too, so either way the new agent starts a new plugin.
func restart(t *testing.T, c *devcluster.Cluster, cl *devcluster.Client, crash bool) {
	t.Helper()
	plugins := clustertest.PluginPIDs(t, c, cl.PID())
	must.SliceNotEmpty(t, plugins, must.Sprintf("%s's plugins", cl.Name()))
	if crash {
		must.NoError(t, cl.Kill())
		for _, pid := range plugins {
			must.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
		}
	} else {
		must.NoError(t, cl.Stop())
	}
	for _, pid := range plugins {
		waitGone(t, pid)
	}
	must.NoError(t, cl.Restart(context.Background()))
}

// pauseRunning freezes the running containers of dockmr jobs on the node
// and returns their allocation IDs by container ID.
func pauseRunning(t *testing.T, docker *client.Client, node string) map[string]string {
	t.Helper()
	list, err := docker.ContainerList(context.Background(), container.ListOptions{Filters: clustertest.NodeFilter(node)})
	must.NoError(t, err)
	frozen := map[string]string{}
	for _, ct := range list {
		// One that has just exited cannot be paused; it needs no care.
		if docker.ContainerPause(context.Background(), ct.ID) == nil {
			frozen[ct.ID] = ct.Labels[clustertest.LabelAllocID]
		}
	}
	return frozen
}

// waitGone waits until the process pid has ended. A killed process ends
// a moment after the signal, and a zombie counts as ended.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := devcluster.Poll(ctx, fmt.Sprintf("process %d to end", pid), func() (bool, string, error) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true, "", nil
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) == 0 {
			return false, "unreadable state", nil
		}
		return f[0] == "Z", "state " + f[0], nil
	})
	must.NoError(t, err)
}

// waitLog waits for a line of the cluster's shared log holding every one
// of parts.
func waitLog(t *testing.T, c *devcluster.Cluster, parts ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := devcluster.Poll(ctx, fmt.Sprintf("a log line with %q", parts), func() (bool, string, error) {
		b, err := os.ReadFile(c.LogFile())
		if err != nil {
			return false, "", err
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if containsAll(line, parts) {
				return true, "", nil
			}
		}
		return false, "", nil
	})
	must.NoError(t, err)
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// lostHeartbeat has the server mark a silent node down within seconds
// (Nomad's defaults take 20 s or more, and longer after a leader change).
const lostHeartbeat = `server {
  heartbeat_grace   = "2s"
  min_heartbeat_ttl = "2s"
}
`

// TestTerasortSurvivesALostClient stops a client for good while its map
// task runs. Once its heartbeat times out the server marks the node down
// and its allocations lost; the phase jobs set no disconnect block, so
// Nomad replaces them at once on the other client, and the runner counts
// each lost allocation as a failed attempt. The job completes with the
// exact answer.
//
// The lost node's containers are nobody's to stop while it is away: they
// run their task to its end (its commit loses to the replacement's, or
// wins with the same bytes) and stay there, exited. When the client comes
// back, the server tells it its allocations are lost; it stops them and
// dockmr-driver removes their containers.
func TestTerasortSurvivesALostClient(t *testing.T) {
	c := clustertest.Start(t, devcluster.Options{Clients: 2, ServerConfig: lostHeartbeat})
	docker := clustertest.SharedDocker(t)
	j := newTeraJob(t, c)
	j.start()
	lost, live := c.Clients()[1], c.Clients()[0]

	clustertest.WaitForContainer(t, docker, "map", lost.NodeID())
	must.NoError(t, lost.Stop())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	must.NoError(t, devcluster.Poll(ctx, "the node to be marked down", func() (bool, string, error) {
		n, _, err := c.API.Nodes().Info(lost.NodeID(), nil)
		if err != nil {
			return false, err.Error(), nil
		}
		return n.Status == api.NodeStatusDown, n.Status, nil
	}))

	sum := j.wait("client lost")
	lostAllocs := lostAllocations(t, c, lost.NodeID())
	must.SliceNotEmpty(t, lostAllocs, must.Sprint("allocations lost with the node"))
	failed := 0
	for _, p := range sum.Phases {
		must.Eq(t, p.Tasks+p.Failed, p.Attempts, must.Sprint(p.Phase))
		failed += p.Failed
	}
	must.Eq(t, len(lostAllocs), failed, must.Sprint("each lost allocation is a failed attempt"))

	// The lost node's containers end with their task, and stay.
	orphans := waitExited(t, docker, sum.ID, lost.NodeID())
	must.Eq(t, len(lostAllocs), len(orphans), must.Sprintf("one container per lost allocation: %v", orphans))
	j.checkOutput(sum)
	clustertest.WaitNoContainers(t, docker, sum.ID, live.NodeID())

	must.NoError(t, lost.Restart(context.Background()))
	clustertest.WaitNoContainers(t, docker, sum.ID, lost.NodeID())
}

// lostAllocations returns the IDs of the node's allocations that the
// server marked lost.
func lostAllocations(t *testing.T, c *devcluster.Cluster, node string) []string {
	t.Helper()
	allocs, _, err := c.API.Nodes().Allocations(node, nil)
	must.NoError(t, err)
	var ids []string
	for _, a := range allocs {
		if a.ClientStatus == api.AllocClientStatusLost {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// waitExited waits until none of the job's containers on the node runs
// and returns the allocation IDs of those there.
func waitExited(t *testing.T, docker *client.Client, id, node string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var allocs []string
	err := devcluster.Poll(ctx, "the lost node's containers to exit", func() (bool, string, error) {
		allocs = nil
		running := 0
		for _, ct := range clustertest.JobContainers(t, docker, id, node) {
			allocs = append(allocs, ct.Labels[clustertest.LabelAllocID])
			if ct.State == "running" {
				running++
			}
		}
		return running == 0, fmt.Sprintf("%d running", running), nil
	})
	must.NoError(t, err)
	return allocs
}

// TestTerasortSurvivesDockerdRestart restarts the Docker daemon while the
// map tasks run. The cluster has a private daemon for this, the shared
// one being everyone's, and runs it without live-restore, the harder
// case: stopping the daemon stops the containers. The daemon stays down
// until every node reports dockmr-driver unhealthy, as a daemon down for
// more than a moment does. dockmr-driver's wait on each container
// outlives the daemon's absence, then reports the exit it finds, a
// failure, and the plugins live on; the retries Nomad could not place
// while the drivers were unhealthy stay blocked once they recover, until
// the runner nudges Nomad. The job completes with the exact answer.
func TestTerasortSurvivesDockerdRestart(t *testing.T) {
	d := dockerdtest.StartT(t, dockerdtest.Options{})
	must.NoError(t, d.LoadImage(context.Background(), clustertest.SharedDocker(t), clustertest.ExampleImage))
	private, err := d.Client()
	must.NoError(t, err)
	t.Cleanup(func() { private.Close() })
	c := clustertest.Start(t, devcluster.Options{Clients: 2, DockerEndpoint: d.Endpoint()})
	j := newTeraJob(t, c)
	// Until the server hears that the drivers are unhealthy, retries are
	// placed on the nodes and fail to start, each an attempt.
	j.start("--max-attempts", "8")

	clustertest.WaitForContainer(t, private, "map", "")
	plugins := clustertest.PluginPIDs(t, c, 0)
	running := len(jobContainersRunning(t, private))
	must.NoError(t, d.Stop())
	waitDriverHealth(t, c, false)
	must.NoError(t, d.Start(context.Background()))
	t.Logf("dockerd restarted with %d map containers running", running)

	sum := j.wait("dockerd restart")
	must.Eq(t, "map", sum.Phases[0].Phase)
	must.Positive(t, sum.Phases[0].Failed, must.Sprint("the containers the restart stopped failed their attempts"))
	for _, p := range sum.Phases {
		must.Eq(t, p.Tasks+p.Failed, p.Attempts, must.Sprint(p.Phase))
	}
	j.checkOutput(sum)
	clustertest.WaitNoContainers(t, private, sum.ID, "")
	must.Eq(t, plugins, clustertest.PluginPIDs(t, c, 0), must.Sprint("the plugins lived through the daemon's absence"))
}

// waitDriverHealth waits until the server sees dockmr-driver healthy, or
// unhealthy, on every node.
func waitDriverHealth(t *testing.T, c *devcluster.Cluster, healthy bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := devcluster.Poll(ctx, fmt.Sprintf("%s healthy=%v on every node", contract.DriverName, healthy), func() (bool, string, error) {
		var seen []string
		for _, id := range c.NodeIDs() {
			n, _, err := c.API.Nodes().Info(id, nil)
			if err != nil {
				return false, err.Error(), nil
			}
			if d := n.Drivers[contract.DriverName]; d == nil || d.Healthy != healthy {
				seen = append(seen, n.Name+" not yet")
			}
		}
		return len(seen) == 0, strings.Join(seen, ", "), nil
	})
	must.NoError(t, err)
}

// jobContainersRunning lists the running containers of dockmr jobs.
func jobContainersRunning(t *testing.T, docker *client.Client) []container.Summary {
	t.Helper()
	list, err := docker.ContainerList(context.Background(), container.ListOptions{Filters: clustertest.NodeFilter("")})
	must.NoError(t, err)
	return list
}

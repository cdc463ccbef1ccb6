package hosts

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
)

// TestCutDuringMap cuts a host off the network while its map runs (frozen
// first, so that the cut hits it mid-task): the server marks the node
// down and its allocations lost, Nomad replaces them on the other hosts,
// and the runner counts each as an attempt. The host comes back once that
// has happened and its tasks are thawed; its client learns its
// allocations are lost and stops them, unless they end first (their
// commit then loses to the replacement's, or wins with the same bytes).
// The job's answer is exact and no container is left.
func TestCutDuringMap(t *testing.T) { cutDuring(t, "map") }

// TestCutDuringReduce is TestCutDuringMap during the reduce phase.
func TestCutDuringReduce(t *testing.T) { cutDuring(t, "reduce") }

func cutDuring(t *testing.T, phase string) {
	ctx := context.Background()
	j := newTeraJob(t, cluster, "cut-"+phase)
	j.start()
	h, frozen := freezeOnAHost(t, cluster, phase)
	frozenAt := time.Since(j.started)
	must.NoError(t, h.Cut(ctx))
	t.Cleanup(func() { _ = h.Restore(ctx) }) // for a test that failed while it was cut
	waitNode(t, cluster, h, api.NodeStatusDown)
	downAt := time.Since(j.started)
	must.NoError(t, h.Restore(ctx))
	unpause(t, h, frozen)
	t.Logf("%s's %s frozen and cut at %.1fs, its node down at %.1fs, restored", h.Name(), phase, frozenAt.Seconds(), downAt.Seconds())

	sum := j.wait(fmt.Sprintf("host cut during %s", phase))
	j.checkOutput(sum.Checksum)
	for _, p := range sum.Phases {
		// A lost attempt of the restored host may yet end well: its
		// task ran on once thawed, and whichever commit came second
		// was dropped.
		must.GreaterEq(t, p.Tasks+p.Failed, p.Attempts, must.Sprint(p.Phase))
		if p.Phase == phase {
			must.Greater(t, p.Tasks, p.Attempts, must.Sprintf("the cut host's %s attempts ran again elsewhere", phase))
		}
	}
	waitNode(t, cluster, h, api.NodeStatusReady)
	waitNoContainers(t, cluster, sum.ID)
}

// TestServerRestart restarts the server agent while the maps run (frozen
// until it is back): the clients and their tasks run on, the runner
// follows the job through the server's absence, and the answer is exact.
func TestServerRestart(t *testing.T) {
	j := newTeraJob(t, cluster, "server-restart")
	j.start()
	frozen := freezeAll(t, cluster, "map")
	must.NoError(t, cluster.StopServer())
	must.NoError(t, cluster.RestartServer(context.Background()))
	waitNodesReady(t, cluster)
	for h, ids := range frozen {
		unpause(t, h, ids)
	}
	sum := j.wait("server restarted")
	j.checkOutput(sum.Checksum)
	for _, p := range sum.Phases {
		must.Eq(t, p.Tasks+p.Failed, p.Attempts, must.Sprint(p.Phase))
	}
	waitNoContainers(t, cluster, sum.ID)
}

// TestLostHost loses a host for good while its map runs: its agent, its
// daemon, its containers and its namespace are gone. The server marks
// its node down, Nomad replaces its allocations on the two hosts left and
// the job ends with the exact answer. It runs on a cluster of its own,
// which it closes, checking that nothing of it is left on the machine.
func TestLostHost(t *testing.T) {
	ctx := context.Background()
	data, err := newDataDir()
	must.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(data) })
	c, err := startCluster(ctx, data, clusterHosts)
	must.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	j := newTeraJob(t, c, "lost")
	j.start()
	h, _ := freezeOnAHost(t, c, "map")
	must.NoError(t, h.Lose(ctx))
	must.True(t, h.Lost())
	_, err = os.Stat(h.NetNSPath())
	must.True(t, os.IsNotExist(err), must.Sprintf("%s's namespace is gone", h.Name()))
	waitNode(t, c, h, api.NodeStatusDown)

	sum := j.wait("host lost")
	j.checkOutput(sum.Checksum)
	for _, p := range sum.Phases {
		must.Eq(t, p.Tasks+p.Failed, p.Attempts, must.Sprint(p.Phase))
	}
	must.Positive(t, sum.Phases[0].Failed, must.Sprint("the lost host's map attempts failed"))
	waitNoContainers(t, c, sum.ID)

	left := snapshot(c)
	must.NoError(t, c.Close())
	must.NoError(t, left.check())
}

// waitNodesReady waits until the server sees every host's node ready, as
// after its restart the clients register again.
func waitNodesReady(t *testing.T, c *devcluster.Cluster) {
	t.Helper()
	for _, h := range c.Hosts() {
		waitNode(t, c, h, api.NodeStatusReady)
	}
}

// waitNode waits until the server reports the host's node in the status.
func waitNode(t *testing.T, c *devcluster.Cluster, h *devcluster.Host, status string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := devcluster.Poll(ctx, fmt.Sprintf("%s's node to be %s", h.Name(), status), func() (bool, string, error) {
		n, _, err := c.API.Nodes().Info(h.Client().NodeID(), nil)
		if err != nil {
			return false, err.Error(), nil
		}
		return n.Status == status, n.Status, nil
	})
	must.NoError(t, err)
}

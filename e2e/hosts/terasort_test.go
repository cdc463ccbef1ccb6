package hosts

import (
	"context"
	"os"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/jobs/nomad"
)

// TestTerasortOnHosts runs teragen → terasort → teravalidate on the
// three hosts with no fault: the tasks land on every host, each attempt
// succeeds, and the answer is exact. bench/hosts.sh takes it as the
// baseline of the fault runs.
func TestTerasortOnHosts(t *testing.T) {
	j := newTeraJob(t, cluster, "none")
	j.start()
	sum := j.wait("none")
	j.checkOutput(sum.Checksum)
	for _, p := range sum.Phases {
		must.Eq(t, p.Tasks, p.Attempts, must.Sprint(p.Phase))
		must.Zero(t, p.Failed, must.Sprint(p.Phase))
	}
	nodes := jobNodes(t, cluster, sum.ID, "map", "reduce")
	must.MapLen(t, clusterHosts, nodes, must.Sprintf("the tasks ran on every host: %v", nodes))
	waitNoContainers(t, cluster, sum.ID)
}

// TestTerasortOnOneHost runs the terasort on a cluster of one host:
// `--hosts 1` works, and bench/hosts.sh compares it with three.
func TestTerasortOnOneHost(t *testing.T) {
	data, err := newDataDir()
	must.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(data) })
	c, err := startCluster(context.Background(), data, 1)
	must.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	j := newTeraJob(t, c, "one-host")
	j.start()
	sum := j.wait("none, one host")
	j.checkOutput(sum.Checksum)
	waitNoContainers(t, c, sum.ID)
	must.NoError(t, c.Close())
}

// jobNodes returns the names of the nodes that ran allocations of the
// dockmr job's phases, with how many each ran.
func jobNodes(t *testing.T, c *devcluster.Cluster, id string, phases ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, phase := range phases {
		allocs, _, err := c.API.Jobs().Allocations(nomad.JobPrefix+id+"-"+phase, true, nil)
		must.NoError(t, err)
		for _, a := range allocs {
			out[nodeName(t, c, a)]++
		}
	}
	return out
}

// nodeName is the name of the node of an allocation.
func nodeName(t *testing.T, c *devcluster.Cluster, a *api.AllocationListStub) string {
	t.Helper()
	if a.NodeName != "" {
		return a.NodeName
	}
	n, _, err := c.API.Nodes().Info(a.NodeID, nil)
	must.NoError(t, err)
	return n.Name
}

package faults

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
)

// phaseTimeout bounds the wait for a phase's containers on a loaded
// machine, where placing, pulling and starting them may take a while; it
// is for a phase that never starts, not a timing assertion.
const phaseTimeout = 5 * time.Minute

// TestTerasortSurvivesPluginKills kills every client's dockmr-driver
// process with SIGKILL while the map tasks run, and again while the
// reduce tasks run. The agents live on: Nomad starts new plugins, which
// recover the running containers through RecoverTask, so every task
// completes in its first allocation.
//
// The phase's containers are frozen (docker pause) from before the kill
// until the new plugins have recovered them, so that the tasks are still
// running when the plugins die however fast the machine is.
func TestTerasortSurvivesPluginKills(t *testing.T) {
	c := clustertest.Start(t, devcluster.Options{Clients: 2, LogFile: "nomad.log"})
	docker := clustertest.SharedDocker(t)
	j := newTeraJob(t, c)
	j.start()

	for _, kind := range []string{"map", "reduce"} {
		frozen := freezePhase(t, c, docker, kind)
		waitTasksRunning(t, c, frozen)
		before := clustertest.PluginPIDs(t, c, 0)
		must.Eq(t, len(c.Clients()), killPlugins(t, c, 0), must.Sprintf("%s phase: one plugin killed per client", kind))
		for _, pid := range before {
			waitGone(t, pid)
		}
		for id, alloc := range frozen {
			waitLog(t, c, "recovered task", "alloc_id="+alloc, "running=true")
			must.NoError(t, docker.ContainerUnpause(context.Background(), id))
		}
		after := clustertest.PluginPIDs(t, c, 0)
		must.Len(t, len(c.Clients()), after, must.Sprintf("%s phase: a new plugin per client", kind))
		for _, pid := range after {
			must.SliceNotContains(t, before, pid, must.Sprintf("%s phase: plugin %d was restarted", kind, pid))
		}
		t.Logf("%s phase: killed plugins %v with %d containers running; new plugins %v", kind, before, len(frozen), after)
	}

	sum := j.wait("plugin kills")
	j.checkOutput(sum)
	for _, p := range sum.Phases {
		must.Eq(t, p.Tasks, p.Attempts, must.Sprintf("%s: recovered, not retried", p.Phase))
		must.Zero(t, p.Failed, must.Sprint(p.Phase))
	}
	clustertest.WaitNoContainers(t, docker, sum.ID, "")
}

// TestTerasortSurvivesAKilledContainer kills a map container with
// `docker kill` mid-task. dockmr-driver reports the exit, a failure, and
// the runner retries the task in a new allocation: the job completes with
// the exact answer and counts the failed attempt. The maps spread over
// both clients.
//
// The maps are frozen before the kill, so that the killed one has not
// finished however fast the machine is; the others run on once it is
// dead.
func TestTerasortSurvivesAKilledContainer(t *testing.T) {
	c := clustertest.Start(t, devcluster.Options{Clients: 2})
	docker := clustertest.SharedDocker(t)
	j := newTeraJob(t, c)
	j.start("--max-attempts", "3")

	frozen := freezePhase(t, c, docker, "map")
	ids := slices.Sorted(maps.Keys(frozen))
	victim := ids[0]
	must.NoError(t, docker.ContainerKill(context.Background(), victim, "SIGKILL"))
	for _, id := range ids[1:] {
		must.NoError(t, docker.ContainerUnpause(context.Background(), id))
	}
	t.Logf("killed map container %.12s (alloc %.8s) with %d running", victim, frozen[victim], len(ids))

	sum := j.wait("container killed")
	must.Eq(t, "map", sum.Phases[0].Phase)
	must.Eq(t, 1, sum.Phases[0].Failed, must.Sprintf("the killed container %.12s", victim))
	must.Eq(t, sum.Phases[0].Tasks+1, sum.Phases[0].Attempts)
	must.Zero(t, sum.Phases[1].Failed, must.Sprint("reduce"))
	j.checkOutput(sum)
	clustertest.WaitNoContainers(t, docker, sum.ID, "")

	nodes := map[string]bool{}
	allocs, _, err := c.API.Allocations().List(nil)
	must.NoError(t, err)
	for _, a := range allocs {
		if strings.HasSuffix(a.JobID, "-map") {
			nodes[a.NodeID] = true
		}
	}
	must.MapLen(t, 2, nodes, must.Sprintf("map tasks on both clients: %s", clustertest.NomadState(c)))
}

// freezePhase pauses the containers of the phase kind on the cluster's
// nodes as soon as they run, and returns their allocation IDs by
// container ID. It looks often, as a reduce may take well under a second,
// and waits for one per client (or per task, if fewer); once one is
// frozen, the others get othersTimeout to appear, for one may have ended
// unseen. Containers of other clusters on the same daemon are left alone.
func freezePhase(t *testing.T, c *devcluster.Cluster, docker *client.Client, kind string) map[string]string {
	t.Helper()
	tasks := map[string]int{"map": teraMaps, "reduce": teraReduces}[kind]
	want := min(tasks, len(c.Clients()))
	deadline := time.Now().Add(phaseTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	frozen := map[string]string{}
	for range tick.C {
		for _, ct := range runningOfKind(t, c, docker, kind) {
			// One that has just exited cannot be paused; it needs no care.
			if _, ok := frozen[ct.ID]; !ok && docker.ContainerPause(context.Background(), ct.ID) == nil {
				frozen[ct.ID] = ct.Labels[clustertest.LabelAllocID]
				if len(frozen) == 1 {
					deadline = time.Now().Add(othersTimeout)
				}
			}
		}
		if len(frozen) >= want || time.Now().After(deadline) {
			break
		}
	}
	if len(frozen) == 0 {
		t.Fatalf("no running %s container within %s\nNomad:\n%s", kind, phaseTimeout, clustertest.NomadState(c))
	}
	return frozen
}

// waitTasksRunning waits until Nomad sees the frozen allocations' tasks
// running: a container may be caught before the plugin has handed its
// handle to the agent, and a plugin killed then leaves the agent nothing
// to recover.
func waitTasksRunning(t *testing.T, c *devcluster.Cluster, frozen map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), phaseTimeout)
	defer cancel()
	for _, alloc := range frozen {
		err := devcluster.Poll(ctx, fmt.Sprintf("allocation %.8s's task to run", alloc), func() (bool, string, error) {
			a, _, err := c.API.Allocations().Info(alloc, nil)
			if err != nil {
				return false, err.Error(), nil
			}
			for _, ts := range a.TaskStates {
				if ts.State != taskStateRunning {
					return false, ts.State, nil
				}
			}
			return len(a.TaskStates) > 0, fmt.Sprint(len(a.TaskStates), " tasks"), nil
		})
		if err != nil {
			t.Fatalf("%v\nNomad:\n%s", err, clustertest.NomadState(c))
		}
	}
}

// taskStateRunning is the state of a task whose driver has started it
// (Nomad's structs.TaskStateRunning; the api package has no name for it).
const taskStateRunning = "running"

// othersTimeout bounds the wait for the rest of a phase's containers once
// one is frozen.
const othersTimeout = 30 * time.Second

// runningOfKind lists the running containers of the cluster's tasks of
// the given kind.
func runningOfKind(t *testing.T, c *devcluster.Cluster, docker *client.Client, kind string) []container.Summary {
	t.Helper()
	var out []container.Summary
	for _, node := range c.NodeIDs() {
		args := clustertest.NodeFilter(node)
		args.Add("label", clustertest.LabelTaskKind+"="+kind)
		list, err := docker.ContainerList(context.Background(), container.ListOptions{Filters: args})
		must.NoError(t, err)
		out = append(out, list...)
	}
	return out
}

// killPlugins sends SIGKILL to the cluster's dockmr-driver processes, only
// those the agent with PID parent started unless parent is 0, and
// returns how many there were.
func killPlugins(t *testing.T, c *devcluster.Cluster, parent int) int {
	t.Helper()
	n := 0
	for _, pid := range clustertest.PluginPIDs(t, c, parent) {
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}

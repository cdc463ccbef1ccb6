package faults

import (
	"context"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
)

// serverDown is how long the tests keep the server down: several of the
// runner's retries (0.5 s, 1 s, 2 s, ...), so that the command following
// the job has met the outage whatever the restart's own time.
const serverDown = 3 * time.Second

// TestTerasortSurvivesAServerRestart stops the Nomad server while the map
// tasks run, and starts it again a few seconds later. The dockmr command
// following the job finds Nomad unreachable, waits through the outage
// and follows the job to its end once the server is back: the exact
// answer, every task in its first allocation.
//
// The maps are frozen (docker pause) from before the stop until the server
// is back, so that the outage falls inside the map phase however fast the
// machine is.
func TestTerasortSurvivesAServerRestart(t *testing.T) {
	c := clustertest.Start(t, devcluster.Options{Clients: 2, LogFile: "nomad.log"})
	docker := clustertest.SharedDocker(t)
	j := newTeraJob(t, c)
	j.start()

	frozen := freezePhase(t, c, docker, "map")
	waitTasksRunning(t, c, frozen)
	must.NoError(t, c.StopServer())
	time.Sleep(serverDown)
	must.NoError(t, c.RestartServer(context.Background()))
	unpause(t, docker, frozen)
	t.Logf("server stopped for %s with %d map containers running", serverDown, len(frozen))

	sum := j.wait("server restart")
	j.checkOutput(sum)
	for _, p := range sum.Phases {
		must.Eq(t, p.Tasks, p.Attempts, must.Sprintf("%s: no task lost with the server", p.Phase))
		must.Zero(t, p.Failed, must.Sprint(p.Phase))
	}
	clustertest.WaitNoContainers(t, docker, sum.ID, "")
}

// TestTerasortFailsWhenNomadStaysDown stops the Nomad server while the map
// tasks run, and keeps it down longer than --nomad-outage-wait: the dockmr
// command fails, saying since when Nomad has been unreachable.
func TestTerasortFailsWhenNomadStaysDown(t *testing.T) {
	c := clustertest.Start(t, devcluster.Options{Clients: 2, LogFile: "nomad.log"})
	docker := clustertest.SharedDocker(t)
	j := newTeraJob(t, c)
	j.start("--nomad-outage-wait", "2s")

	frozen := freezePhase(t, c, docker, "map")
	waitTasksRunning(t, c, frozen)
	must.NoError(t, c.StopServer())
	// A bound for a command that never ends, not a timing assertion.
	timer := time.AfterFunc(teraTimeout, func() { _ = j.cmd.Process.Kill() })
	err := j.cmd.Wait()
	must.True(t, timer.Stop(), must.Sprintf("dockmr terasort did not end within %s\nstderr:\n%s", teraTimeout, j.stderr.String()))
	must.Error(t, err, must.Sprint("the job cannot succeed without its server"))
	must.StrContains(t, j.stderr.String(), "Nomad unreachable since ")
	must.StrContains(t, j.stderr.String(), "nomad server members")
	t.Logf("dockmr terasort: %v\nstderr:\n%s", err, j.stderr.String())

	// The server back, the cluster's Close stops the job the command
	// could not stop.
	must.NoError(t, c.RestartServer(context.Background()))
	unpause(t, docker, frozen)
}

// unpause thaws the containers freezePhase froze.
func unpause(t *testing.T, docker *client.Client, frozen map[string]string) {
	t.Helper()
	for id := range frozen {
		must.NoError(t, docker.ContainerUnpause(context.Background(), id))
	}
}

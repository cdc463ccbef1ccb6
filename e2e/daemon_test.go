package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/google/uuid"
	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// While the Docker daemon is unreachable the driver is unhealthy, with a
// message saying so, and healthy again once it is back. A daemon that dies
// while a task starts fails that task with a clear message. Through it all
// the plugin process survives, and so does a task started before.
func TestDaemonOutage(t *testing.T) {
	t.Parallel()
	proxy, err := nomadtest.StartDockerProxy(t.TempDir())
	must.NoError(t, err)
	t.Cleanup(func() { proxy.Close() })
	c := nomadtest.StartT(t, nomadtest.Options{DriverConfig: fmt.Sprintf("endpoint = %q", proxy.Endpoint())})

	before := runScript(t, c, termScript, nil)
	before = waitRunning(t, c, before.ID)
	waitStdout(t, c, before.ID, "ready\n")
	pluginPID, err := c.PluginPID(contract.DriverName)
	must.NoError(t, err)

	t.Run("dies during start", func(t *testing.T) {
		proxy.DropRequests(func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/containers/create")
		})
		defer proxy.DropRequests(nil)
		alloc, err := c.WaitClientStatus(t.Context(), runScript(t, c, "echo never", nil).ID, api.AllocClientStatusFailed, api.AllocClientStatusComplete)
		must.NoError(t, err)
		must.Eq(t, api.AllocClientStatusFailed, alloc.ClientStatus, must.Sprint(describe(alloc)))
		must.StrContains(t, event(t, alloc, api.TaskDriverFailure).DisplayMessage, "create container")
	})

	must.NoError(t, proxy.Down())
	info, err := c.WaitDriver(t.Context(), contract.DriverName, false)
	must.NoError(t, err)
	must.StrContains(t, info.HealthDescription, "unreachable")
	must.StrContains(t, info.HealthDescription, proxy.Endpoint())

	// With the driver unhealthy, a new job is not placed on the node.
	job, err := c.ParseJobFile("testdata/sh.nomad.hcl", map[string]string{"image": image, "script": "echo later"})
	must.NoError(t, err)
	nomadtest.Unique(job, t.Name())
	_, err = c.Register(job)
	must.NoError(t, err)
	err = nomadtest.Poll(t.Context(), "the job to be blocked on the driver", func() (bool, string, error) {
		evals, _, err := c.API.Jobs().Evaluations(*job.ID, nil)
		if err != nil {
			return false, err.Error(), nil
		}
		for _, e := range evals {
			for _, m := range e.FailedTGAllocs {
				if m.ConstraintFiltered["missing drivers"] > 0 {
					return true, "", nil
				}
			}
		}
		return false, fmt.Sprintf("%d evaluations", len(evals)), nil
	})
	must.NoError(t, err)

	must.NoError(t, proxy.Up())
	_, err = c.WaitDriver(t.Context(), contract.DriverName, true)
	must.NoError(t, err)
	now, err := c.PluginPID(contract.DriverName)
	must.NoError(t, err)
	must.Eq(t, pluginPID, now, must.Sprint("the plugin process was replaced"))
	must.True(t, c.ClientRunning())

	// Nomad does not retry a job blocked on a driver whose health comes
	// back without a change of node attributes; an operator re-evaluates it.
	_, _, err = c.API.Jobs().ForceEvaluate(*job.ID, nil)
	must.NoError(t, err)
	allocs, err := c.WaitAllocations(t.Context(), *job.ID, 1)
	must.NoError(t, err)
	later := waitDead(t, c, allocs[0].ID)
	must.Eq(t, 0, terminated(t, later).ExitCode, must.Sprint(describe(later)))
	requireStdout(t, c, later.ID, "later\n")

	// The task from before the outage is still tracked and stops cleanly.
	must.NoError(t, c.StopAlloc(before.ID))
	before = waitDead(t, c, before.ID)
	must.Eq(t, 0, terminated(t, before).ExitCode, must.Sprint(describe(before)))
	requireStdout(t, c, before.ID, "ready\nbye\n")
}

// The dangling-container reconciler removes, after the grace period, a
// container labelled for this node that no allocation of the driver owns. It
// leaves alone a container labelled for another node on the same daemon, an
// unlabelled container, and the containers of running tasks.
func TestDanglingContainers(t *testing.T) {
	t.Parallel()
	c := nomadtest.StartT(t, nomadtest.Options{DriverConfig: `gc {
      dangling_containers {
        enabled        = true
        period         = "1s"
        creation_grace = "2s"
      }
    }`})
	running := runScript(t, c, termScript, nil)
	running = waitRunning(t, c, running.ID)

	cli, err := testimage.NewClient()
	must.NoError(t, err)
	defer cli.Close()
	create := func(name string, labels map[string]string) string {
		t.Helper()
		resp, err := cli.ContainerCreate(context.Background(),
			&container.Config{Image: image, Cmd: []string{"sleep", "600"}, Labels: labels},
			&container.HostConfig{NetworkMode: "host"}, nil, nil, name)
		must.NoError(t, err)
		t.Cleanup(func() { _ = cli.ContainerRemove(context.Background(), resp.ID, container.RemoveOptions{Force: true}) })
		must.NoError(t, cli.ContainerStart(context.Background(), resp.ID, container.StartOptions{}))
		return resp.ID
	}
	labels := func(node string) map[string]string {
		alloc := uuid.NewString()
		return map[string]string{
			"com.dockmr.alloc_id": alloc, "com.dockmr.node_id": node, "com.dockmr.job": "gone",
			"com.dockmr.task_group": "g", "com.dockmr.task": "main",
		}
	}
	suffix := strings.ToLower(t.Name())[:4] + "-" + uuid.NewString()[:8]
	dangling := create("dangling-"+suffix, labels(c.NodeID))
	otherNode := create("other-node-"+suffix, labels(uuid.NewString()))
	unlabelled := create("unlabelled-"+suffix, nil)

	err = nomadtest.Poll(t.Context(), "the dangling container to be removed", func() (bool, string, error) {
		_, err := cli.ContainerInspect(context.Background(), dangling)
		return err != nil, "still there", nil
	})
	must.NoError(t, err)

	// Another full period passes before the survivors are checked.
	time.Sleep(2 * time.Second)
	for name, id := range map[string]string{"other node's": otherNode, "unlabelled": unlabelled, "running task's": started(t, running).Details["container_id"]} {
		info, err := cli.ContainerInspect(context.Background(), id)
		must.NoError(t, err, must.Sprintf("%s container was removed", name))
		must.True(t, info.State.Running, must.Sprintf("%s container was stopped", name))
	}
	alloc, err := c.Allocation(running.ID)
	must.NoError(t, err)
	must.Eq(t, api.AllocClientStatusRunning, alloc.ClientStatus)
}

package nomadtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/internal/testimage"
)

// TestClusterLifecycle drives Nomad's built-in docker driver through the
// harness, so the harness is proven independently of dockmr-driver: job
// files, logs, exec, signals, stats, processes, a kill -9 and restart of the
// client agent, and a cleanup that leaves nothing behind.
func TestClusterLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Nomad agent and Docker containers")
	}
	image := testimage.EnsureT(t)
	ctx := context.Background()

	c, err := Start(ctx, Options{WaitDrivers: []string{"docker", contract.DriverName}})
	must.NoError(t, err)
	closed := false
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Nomad log:\n%s", c.LogSince(0))
		}
		if !closed {
			c.Close()
		}
	})

	job, err := c.ParseJobFile("testdata/docker-sleep.nomad.hcl", map[string]string{"image": image})
	must.NoError(t, err)
	Unique(job, t.Name())
	alloc, err := c.RunJob(ctx, job)
	must.NoError(t, err)
	_, err = c.WaitTaskState(ctx, alloc.ID, "main", "running")
	must.NoError(t, err)

	_, err = c.WaitLogs(ctx, alloc.ID, "main", "stdout", func(b []byte) bool { return string(b) == "started\n" })
	must.NoError(t, err)

	res, err := c.Exec(ctx, alloc.ID, "main", strings.NewReader("from stdin\n"), "sh", "-c", "cat; echo oops >&2; exit 3")
	must.NoError(t, err)
	must.Eq(t, ExecResult{ExitCode: 3, Stdout: "from stdin\n", Stderr: "oops\n"}, res)

	must.NoError(t, c.Signal(alloc.ID, "main", "SIGUSR1"))
	_, err = c.WaitLogs(ctx, alloc.ID, "main", "stdout", func(b []byte) bool { return strings.Contains(string(b), "got USR1\n") })
	must.NoError(t, err)

	usage, err := c.WaitStats(ctx, alloc.ID, "main", func(u *api.TaskResourceUsage) bool {
		return u.ResourceUsage != nil && u.ResourceUsage.MemoryStats != nil && u.ResourceUsage.MemoryStats.Usage > 0
	})
	must.NoError(t, err)
	must.Positive(t, usage.Timestamp)

	procs, err := c.Processes()
	must.NoError(t, err)
	must.True(t, hasProcess(procs, c.ClientPID(), "nomad", "agent"), must.Sprintf("client agent missing from %v", procs))
	must.True(t, hasProcess(procs, 0, "nomad", "docker_logger"), must.Sprintf("docker_logger missing from %v", procs))
	pid, err := c.PluginPID(contract.DriverName)
	must.NoError(t, err)
	must.Positive(t, pid)

	// A killed client agent leaves the task running; the restarted agent
	// (same data directory and node) picks it up again.
	oldPID := c.ClientPID()
	must.NoError(t, c.KillClient())
	must.NoError(t, c.RestartClient(ctx))
	must.NotEq(t, oldPID, c.ClientPID())
	must.NoError(t, c.Signal(alloc.ID, "main", "SIGUSR1"))
	_, err = c.WaitLogs(ctx, alloc.ID, "main", "stdout", func(b []byte) bool { return strings.Count(string(b), "got USR1\n") == 2 })
	must.NoError(t, err)

	must.NoError(t, c.StopAlloc(alloc.ID))
	alloc, err = c.WaitTaskState(ctx, alloc.ID, "main", "dead")
	must.NoError(t, err)
	must.NotNil(t, FindEvent(alloc, "main", api.TaskKilled), must.Sprint(DescribeAlloc(alloc)))

	// A second job stays running so Close has a live task to clean up.
	job2, err := c.ParseJobFile("testdata/docker-sleep.nomad.hcl", map[string]string{"image": image})
	must.NoError(t, err)
	Unique(job2, t.Name())
	alloc2, err := c.RunJob(ctx, job2)
	must.NoError(t, err)
	_, err = c.WaitTaskState(ctx, alloc2.ID, "main", "running")
	must.NoError(t, err)

	dir := c.Dir()
	closed = true
	must.NoError(t, c.Close())
	procs, err = c.Processes()
	must.NoError(t, err)
	for _, p := range procs {
		must.True(t, p.IsFIFOKeeper(), must.Sprintf("process %d %v outlived the cluster", p.PID, p.Args))
	}
	_, err = os.Stat(dir)
	must.True(t, os.IsNotExist(err), must.Sprintf("agent directory %s not removed: %v", dir, err))
	must.Zero(t, countContainers(t, alloc.ID)+countContainers(t, alloc2.ID))
}

func hasProcess(procs []Process, pid int, name, arg string) bool {
	for _, p := range procs {
		if (pid == 0 || p.PID == pid) && p.Name() == name && len(p.Args) > 1 && p.Args[1] == arg {
			return true
		}
	}
	return false
}

// labelNomadAlloc is the label Nomad's docker driver puts on its containers
// with the ID of their allocation.
const labelNomadAlloc = "com.hashicorp.nomad.alloc_id"

func countContainers(t *testing.T, allocID string) int {
	t.Helper()
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	defer cli.Close()
	list, err := cli.ContainerList(context.Background(), container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", fmt.Sprintf("%s=%s", labelNomadAlloc, allocID))),
	})
	must.NoError(t, err)
	return len(list)
}

package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// task is the task name in every job file under testdata.
const task = "main"

// shared returns the shared cluster, making a failing test print its log.
func shared(t *testing.T) *nomadtest.Cluster {
	t.Helper()
	cluster.Watch(t)
	return cluster
}

// runFile registers the job file with image set, plus vars, under an ID
// unique to the test, and returns its first allocation.
func runFile(t *testing.T, c *nomadtest.Cluster, file string, vars map[string]string) *api.Allocation {
	t.Helper()
	all := map[string]string{"image": image}
	for k, v := range vars {
		all[k] = v
	}
	job, err := c.ParseJobFile("testdata/"+file, all)
	must.NoError(t, err)
	nomadtest.Unique(job, t.Name())
	alloc, err := c.RunJob(t.Context(), job)
	must.NoError(t, err)
	return alloc
}

// runScript runs a shell script as a dockmr-driver task (testdata/sh.nomad.hcl).
func runScript(t *testing.T, c *nomadtest.Cluster, script string, vars map[string]string) *api.Allocation {
	t.Helper()
	all := map[string]string{"script": script}
	for k, v := range vars {
		all[k] = v
	}
	return runFile(t, c, "sh.nomad.hcl", all)
}

func waitRunning(t *testing.T, c *nomadtest.Cluster, allocID string) *api.Allocation {
	t.Helper()
	alloc, err := c.WaitTaskState(t.Context(), allocID, task, "running")
	must.NoError(t, err)
	return alloc
}

func waitDead(t *testing.T, c *nomadtest.Cluster, allocID string) *api.Allocation {
	t.Helper()
	alloc, err := c.WaitTaskState(t.Context(), allocID, task, "dead")
	must.NoError(t, err)
	return alloc
}

// started returns the driver's "Started container" event of the task.
func started(t *testing.T, alloc *api.Allocation) *api.TaskEvent {
	t.Helper()
	for _, e := range nomadtest.FindEvents(alloc, task, api.TaskDriverMessage) {
		if strings.HasPrefix(e.DriverMessage, "Started container ") {
			return e
		}
	}
	t.Fatalf("no driver event \"Started container ...\":\n%s", nomadtest.DescribeAlloc(alloc))
	return nil
}

// startedPID returns the container init PID the driver reported on start.
func startedPID(t *testing.T, alloc *api.Allocation) int {
	t.Helper()
	ev := started(t, alloc)
	pid, err := strconv.Atoi(ev.Details["pid"])
	must.NoError(t, err, must.Sprintf("pid detail of %v", ev.Details))
	must.Positive(t, pid)
	return pid
}

// terminated returns the task's Terminated event: its exit code, signal and
// OOM flag are what the driver's Wait reported.
func terminated(t *testing.T, alloc *api.Allocation) *api.TaskEvent {
	t.Helper()
	ev := nomadtest.FindEvent(alloc, task, api.TaskTerminated)
	must.NotNil(t, ev, must.Sprint(nomadtest.DescribeAlloc(alloc)))
	return ev
}

// requireStdout checks that the task's stdout is exactly want. The task is
// dead by then and the driver has delivered every line, but Nomad's log
// collector copies them into the log file a moment later: wait for it.
func requireStdout(t *testing.T, c *nomadtest.Cluster, allocID, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	got, _ := c.WaitLogs(ctx, allocID, task, "stdout", func(b []byte) bool { return string(b) == want })
	must.Eq(t, want, string(got))
}

// waitStdout waits until the task's stdout contains want.
func waitStdout(t *testing.T, c *nomadtest.Cluster, allocID, want string) string {
	t.Helper()
	b, err := c.WaitLogs(t.Context(), allocID, task, "stdout", func(b []byte) bool {
		return strings.Contains(string(b), want)
	})
	must.NoError(t, err)
	return string(b)
}

// inspect returns Docker's view of the container the driver started for alloc.
func inspect(t *testing.T, alloc *api.Allocation) container.InspectResponse {
	t.Helper()
	id := started(t, alloc).Details["container_id"]
	must.NotEq(t, "", id)
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	defer cli.Close()
	info, err := cli.ContainerInspect(context.Background(), id)
	must.NoError(t, err)
	return info
}

// requireHealthy checks that the plugin process pid still runs and the node
// still reports the driver healthy: bad input must not take either down.
func requireHealthy(t *testing.T, c *nomadtest.Cluster, pid int) {
	t.Helper()
	now, err := c.PluginPID(contract.DriverName)
	must.NoError(t, err)
	must.Eq(t, pid, now, must.Sprint("the plugin process was replaced"))
	info, err := c.Driver(contract.DriverName)
	must.NoError(t, err)
	must.True(t, info.Healthy, must.Sprintf("driver unhealthy: %q", info.HealthDescription))
	must.True(t, c.ClientRunning())
}

// describe renders an allocation for a failure message.
func describe(alloc *api.Allocation) string { return nomadtest.DescribeAlloc(alloc) }

// event returns the task's first event of a type, failing without one.
func event(t *testing.T, alloc *api.Allocation, eventType string) *api.TaskEvent {
	t.Helper()
	ev := nomadtest.FindEvent(alloc, task, eventType)
	must.NotNil(t, ev, must.Sprintf("no %s event:\n%s", eventType, describe(alloc)))
	return ev
}

// Package scale runs hundreds of tasks on a development cluster and
// measures what each costs dockmr-driver: goroutines, descriptors, heap
// and CPU, and that the plugin is back to its baseline once they are
// gone. The 1,000-map teragen runs only when DOCKMR_SCALE is set.
package scale

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
	"github.com/dockmr/dockmr/internal/procstat"
	"github.com/dockmr/dockmr/internal/testimage"
)

// burstTasks is how many tasks TestScaleBurstOnOneClient runs at once.
const burstTasks = 200

// maxHeapPerTask bounds the plugin's live heap per running task, in
// bytes; 84 KiB is what it takes (the log stream's 32 KiB read buffer,
// HTTP and gRPC buffers of its streams).
const maxHeapPerTask = 160 << 10

// scaleClientConfig lets a client take hundreds of tiny tasks at once: its
// fingerprinted CPU and memory would fit far fewer at Nomad's smallest
// asks, and the tasks idle anyway.
const scaleClientConfig = `client {
  cpu_total_compute = 100000
  memory_total_mb   = 100000
}
`

// TestScaleBurstOnOneClient runs 200 tasks at once on one client. Every
// container waits until all 200 run (a barrier file the test creates
// then), so the peak is really 200 running containers, not a guess on
// start times. All tasks complete successfully, and once Nomad has
// collected them and their containers are gone the plugin is back to its
// baseline of goroutines, file descriptors and live heap.
func TestScaleBurstOnOneClient(t *testing.T) {
	image := testimage.EnsureT(t)
	probe := &pluginProbe{sockDir: debugEnvT(t)}
	c := startScaleT(t, 1, scaleClientConfig)
	probe.c = c
	cl := c.Clients()[0]

	// One task first, so that what the plugin sets up once (its Docker
	// connections, the FIFO keeper's) is in the baseline.
	warm := barrierJob("warmup", image, c.DataDir(), 1, "true")
	runToCompletion(t, c, warm, 1, 3*time.Minute)
	collectGarbage(t, c, 2*time.Minute)
	before := probe.baseline(t, cl)
	t.Logf("before:  %s", before)

	release := filepath.Join(c.DataDir(), "release")
	job := barrierJob("burst", image, c.DataDir(), burstTasks, release)
	start := time.Now()
	_, _, err := c.API.Jobs().Register(job, nil)
	must.NoError(t, err)
	waitAllRunning(t, c, *job.ID, burstTasks, 8*time.Minute)
	t.Logf("%d tasks running after %.1f s", burstTasks, time.Since(start).Seconds())
	peak := probe.sampleT(t, cl)
	t.Logf("peak:    %s", peak)
	idle := measureIdle(t, probe, cl, peak, 10*time.Second)

	must.NoError(t, os.WriteFile(release, nil, 0o644))
	waitComplete(t, c, *job.ID, burstTasks, 5*time.Minute)
	t.Logf("%d tasks complete after %.1f s", burstTasks, time.Since(start).Seconds())
	collectGarbage(t, c, 3*time.Minute)
	after := probe.waitSettled(t, cl, before, 3*time.Minute)
	t.Logf("after:   %s", after)

	per, err := procstat.Cost(before, peak, after, burstTasks)
	must.NoError(t, err)
	t.Logf("%s", per)
	// A task's log buffer once took 256 KiB of heap for its whole life.
	must.Less(t, maxHeapPerTask, per.HeapAlloc, must.Sprintf("plugin heap per running task: %.0f KiB", per.HeapAlloc/1024))
	t.Logf("plugin CPU while the %d tasks idled: %.2f ms per task per second", burstTasks, idle)
}

// startScaleT starts a cluster whose clients have clientConfig (their
// capacity) and remove each task's container when Nomad collects it.
func startScaleT(t *testing.T, clients int, clientConfig string) *devcluster.Cluster {
	t.Helper()
	return clustertest.Start(t, devcluster.Options{
		Clients:      clients,
		DriverConfig: "gc {\n      container = true\n    }",
		ClientConfig: clientConfig,
	})
}

// barrierJob is a batch job of n tiny tasks that each wait for the file
// release to appear, then exit 0; after ten minutes without it they give
// up and fail. release "true" makes the tasks exit at once.
func barrierJob(id, image, dataDir string, n int, release string) *api.Job {
	script := fmt.Sprintf(`i=0; while [ ! -e %[1]s ] && [ $i -lt 600 ]; do sleep 1; i=$((i+1)); done; [ -e %[1]s ]`, release)
	if release == "true" {
		script = "true"
	}
	job := clustertest.SleeperJob(image, dataDir, script)
	job.ID, job.Name = &id, &id
	job.TaskGroups[0].Count = &n
	cpu, mem := 10, 16
	job.TaskGroups[0].Tasks[0].Resources = &api.Resources{CPU: &cpu, MemoryMB: &mem}
	return job
}

// runToCompletion registers job and waits until its n allocations have
// completed successfully.
func runToCompletion(t *testing.T, c *devcluster.Cluster, job *api.Job, n int, timeout time.Duration) {
	t.Helper()
	_, _, err := c.API.Jobs().Register(job, nil)
	must.NoError(t, err)
	waitComplete(t, c, *job.ID, n, timeout)
}

// allocStates counts a job's allocations by client status, failing on
// any failed one.
func allocStates(c *devcluster.Cluster, jobID string) (map[string]int, error) {
	allocs, _, err := c.API.Jobs().Allocations(jobID, true, nil)
	if err != nil {
		return nil, err
	}
	states := map[string]int{}
	for _, a := range allocs {
		if a.ClientStatus == api.AllocClientStatusFailed || a.ClientStatus == api.AllocClientStatusLost {
			return nil, fmt.Errorf("allocation %.8s %s: %s", a.ID, a.ClientStatus, describeTaskStates(a.TaskStates))
		}
		states[a.ClientStatus]++
	}
	return states, nil
}

func describeTaskStates(states map[string]*api.TaskState) string {
	var s string
	for name, st := range states {
		s += fmt.Sprintf("%s %s:", name, st.State)
		for _, e := range st.Events {
			s += " " + e.Type + " " + e.DisplayMessage + ";"
		}
	}
	return s
}

// waitAllRunning waits until Nomad reports n running allocations of the
// job and Docker n running containers on the cluster's nodes.
func waitAllRunning(t *testing.T, c *devcluster.Cluster, jobID string, n int, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := devcluster.PollEvery(ctx, time.Second, fmt.Sprintf("%d running tasks", n), func() (bool, string, error) {
		states, err := allocStates(c, jobID)
		if err != nil {
			return false, "", err
		}
		if states[api.AllocClientStatusRunning] < n {
			return false, fmt.Sprintf("allocations %v", states), nil
		}
		containers, err := clustertest.ContainerStates(ctx, c.NodeIDs()...)
		if err != nil {
			return false, "", err
		}
		return containers["running"] == n, fmt.Sprintf("containers %v", containers), nil
	})
	must.NoError(t, err)
}

// waitComplete waits until the job's n allocations have all completed.
func waitComplete(t *testing.T, c *devcluster.Cluster, jobID string, n int, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := devcluster.PollEvery(ctx, time.Second, fmt.Sprintf("%d complete tasks", n), func() (bool, string, error) {
		states, err := allocStates(c, jobID)
		if err != nil {
			return false, "", err
		}
		return states[api.AllocClientStatusComplete] == n, fmt.Sprintf("allocations %v", states), nil
	})
	must.NoError(t, err)
}

// collectGarbage has every client collect its finished allocations, which
// destroys their tasks and so removes their containers, and waits until
// no container of the cluster is left.
func collectGarbage(t *testing.T, c *devcluster.Cluster, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, cl := range c.Clients() {
		// The API package's Nodes().GC fails to decode the empty answer.
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, cl.Address()+"/v1/client/gc", nil)
		must.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		must.NoError(t, err)
		resp.Body.Close()
		must.Eq(t, http.StatusOK, resp.StatusCode, must.Sprintf("garbage collection on %s", cl.Name()))
	}
	err := devcluster.PollEvery(ctx, time.Second, "the containers to be removed", func() (bool, string, error) {
		containers, err := clustertest.ContainerStates(ctx, c.NodeIDs()...)
		if err != nil {
			return false, "", err
		}
		return len(containers) == 0, fmt.Sprintf("containers %v", containers), nil
	})
	must.NoError(t, err)
}

// measureIdle returns the plugin's CPU time per running task per second
// over a window while the tasks run and do nothing: what following them
// (stats, logs, waits) costs.
func measureIdle(t *testing.T, probe *pluginProbe, cl *devcluster.Client, from procstat.Sample, window time.Duration) float64 {
	t.Helper()
	start := time.Now()
	<-time.After(window)
	s := probe.sampleT(t, cl)
	must.Eq(t, from.PID, s.PID, must.Sprint("the plugin was restarted"))
	elapsed := time.Since(start).Seconds()
	return float64(s.CPU-from.CPU) / float64(time.Millisecond) / elapsed / burstTasks
}

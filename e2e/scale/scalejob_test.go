package scale

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
	"github.com/dockmr/dockmr/internal/procstat"
)

// scaleEnv turns on the scale tests too long for every run of the suite;
// bench/scale.sh sets it.
const scaleEnv = "DOCKMR_SCALE"

// Settings of TestScaleThousandMaps. Each client takes at most
// maxTasksPerClient tasks at once (its memory, in the tasks' reservations),
// as a real cluster is finite: the rest wait in Nomad's queue.
const (
	thousandMaps      = 1000
	thousandMapsRows  = "1m" // 100 MB, 100 KB per map
	scaleTaskMemoryMB = 32
	maxTasksPerClient = 40
)

// TestScaleThousandMaps runs teragen with 1,000 map tasks through the
// dockmr CLI and Nomad on a three-client cluster. The output's checksum is
// the one teragen gives for as many rows on the local runner, the maps are
// spread over the three clients, and each client's plugin, sampled while
// the job runs, is back to its baseline once the tasks are collected.
func TestScaleThousandMaps(t *testing.T) {
	if os.Getenv(scaleEnv) == "" {
		t.Skipf("runs 1,000 containers for several minutes; set %s=1 (bench/scale.sh does)", scaleEnv)
	}
	clustertest.RequireImage(t, clustertest.ExampleImage)
	probe := &pluginProbe{sockDir: debugEnvT(t)}
	c := startScaleT(t, 3, fmt.Sprintf("client {\n  cpu_total_compute = 100000\n  memory_total_mb = %d\n}\n", maxTasksPerClient*scaleTaskMemoryMB))
	probe.c = c
	dockmr := clustertest.DockmrBinary(t)
	clients := c.Clients()

	// A small job first, so that what each plugin sets up once is in its
	// baseline.
	teragen(t, c, dockmr, "warmup", "6", "3k")
	collectGarbage(t, c, 2*time.Minute)
	before := make([]procstat.Sample, len(clients))
	for i, cl := range clients {
		before[i] = probe.baseline(t, cl)
		t.Logf("%s before: %s", cl.Name(), before[i])
	}

	ctx, stopWatch := context.WithCancel(context.Background())
	peaks := watchPeaks(ctx, probe, clients)
	start := time.Now()
	res := teragen(t, c, dockmr, "tera", fmt.Sprint(thousandMaps), thousandMapsRows)
	must.Len(t, 1, res.Phases)
	stopWatch()
	elapsed := time.Since(start)
	peak := peaks()
	t.Logf("teragen %s rows, %d maps: %.1f s, checksum %s, %d failed attempts (retried)",
		thousandMapsRows, thousandMaps, elapsed.Seconds(), res.Checksum, res.Phases[0].Failed)

	local := filepath.Join(t.TempDir(), "local")
	want := clustertest.RunJSON(t, exec.Command(dockmr, "teragen", "--local", "--json", thousandMapsRows, local))
	must.Eq(t, want.Checksum, res.Checksum, must.Sprint("the checksum of as many rows on the local runner"))
	parts, err := filepath.Glob(filepath.Join(c.DataDir(), "tera", "part-m-*"))
	must.NoError(t, err)
	must.Len(t, thousandMaps, parts)
	must.Eq(t, thousandMaps, res.Phases[0].Tasks)

	perNode := mapsPerNode(t, c, "dockmr-"+res.ID+"-map")
	t.Logf("map allocations per client: %v", perNode)
	for i, id := range c.NodeIDs() {
		must.Positive(t, perNode[id], must.Sprintf("maps on %s", clients[i].Name()))
	}

	collectGarbage(t, c, 5*time.Minute)
	for i, cl := range clients {
		after := probe.waitSettled(t, cl, before[i], 3*time.Minute)
		p := peak[i]
		t.Logf("%s peak (%d tasks running): %s", cl.Name(), p.running, p.sample)
		t.Logf("%s after: %s", cl.Name(), after)
		t.Logf("%s: %d map allocations, plugin CPU %.1f ms per task; at the peak %.1f goroutines, %.1f fds, %.0f KiB PSS per running task",
			cl.Name(), perNode[c.NodeIDs()[i]], float64(after.CPU-before[i].CPU)/float64(time.Millisecond)/float64(perNode[c.NodeIDs()[i]]),
			perRunning(before[i].Goroutines, p.sample.Goroutines, p.running), perRunning(before[i].FDs, p.sample.FDs, p.running),
			perRunning(int(before[i].PSS), int(p.sample.PSS), p.running)/1024)
	}
}

func perRunning(before, peak, running int) float64 {
	if running == 0 {
		return 0
	}
	return float64(peak-before) / float64(running)
}

// teragen runs `dockmr teragen` on the cluster with the tasks' smallest
// resources, writing into dir under the data directory.
func teragen(t *testing.T, c *devcluster.Cluster, dockmr, dir, maps, rows string) clustertest.Summary {
	t.Helper()
	cmd := exec.Command(dockmr, "teragen", "--json", "--data-dir", c.DataDir(), "--maps", maps,
		"--cpu", "20", "--memory", fmt.Sprint(scaleTaskMemoryMB), rows, filepath.Join(c.DataDir(), dir))
	cmd.Env = append(os.Environ(), "NOMAD_ADDR="+c.Address())
	return clustertest.RunJSON(t, cmd)
}

// mapsPerNode counts the allocations of a phase's Nomad job per node ID.
func mapsPerNode(t *testing.T, c *devcluster.Cluster, jobID string) map[string]int {
	t.Helper()
	allocs, _, err := c.API.Jobs().Allocations(jobID, true, nil)
	must.NoError(t, err)
	must.SliceNotEmpty(t, allocs, must.Sprintf("allocations of %s", jobID))
	out := map[string]int{}
	for _, a := range allocs {
		out[a.NodeID]++
	}
	return out
}

// peakSample is a plugin's sample at the time it had the most goroutines,
// and how many tasks its node was running then.
type peakSample struct {
	sample  procstat.Sample
	running int
}

// watchPeaks samples each client's plugin every two seconds (from /proc
// and its goroutine count, which costs the plugin no garbage collection)
// until ctx ends; the function it returns waits for that and gives each
// client's peak.
func watchPeaks(ctx context.Context, probe *pluginProbe, clients []*devcluster.Client) func() []peakSample {
	peaks := make([]peakSample, len(clients))
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			for i, cl := range clients {
				s, running, err := probe.quickSample(ctx, cl)
				if err == nil && s.Goroutines > peaks[i].sample.Goroutines {
					peaks[i] = peakSample{sample: s, running: running}
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
		}
	})
	return func() []peakSample {
		wg.Wait()
		return peaks
	}
}

// quickSample reads the plugin of cl from /proc with its goroutine count,
// and counts the containers running on its node.
func (p *pluginProbe) quickSample(ctx context.Context, cl *devcluster.Client) (procstat.Sample, int, error) {
	pid, err := p.pluginPID(ctx, cl)
	if err != nil {
		return procstat.Sample{}, 0, err
	}
	s, err := procstat.Read("/proc", pid)
	if err != nil {
		return procstat.Sample{}, 0, err
	}
	if s.Goroutines, err = procstat.Goroutines(ctx, "unix:"+p.socket(pid)); err != nil {
		return procstat.Sample{}, 0, err
	}
	states, err := clustertest.ContainerStates(ctx, cl.NodeID())
	if err != nil {
		return procstat.Sample{}, 0, err
	}
	return s, states["running"], nil
}

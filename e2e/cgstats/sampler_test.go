// Package cgstats_test samples a real container's cgroup with
// driver/cgstats: CPU, memory and every process of the container, on the
// shared Docker daemon, and benchmarks a sample against Docker's one-shot
// stats call.
package cgstats_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/driver/cgstats"
	"github.com/dockmr/dockmr/internal/testimage"
)

// hostCompute stands in for the agent's view of this machine.
var hostCompute = cpustats.Compute{TotalCompute: 2500 * 2, NumCores: 2}

// dockerClient connects to the local daemon and fails the test, rather than
// skipping it, when the daemon does not answer. Only -short skips.
func dockerClient(t testing.TB) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Docker daemon; not run with -short")
	}
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		t.Fatalf("the Docker daemon at %s does not answer (start it, e.g. with deploy/docker-up.sh): %v", cli.DaemonHost(), err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// busyScript holds about 16 MB in a shell variable, starts a sleeping child
// and then burns CPU.
const busyScript = `x=$(head -c 16000000 /dev/zero | tr '\000' a); sleep 600 & while :; do :; done`

// idleScript leaves an init process and a child asleep, for benchmarks whose
// own CPU a busy container would share.
const idleScript = `sleep 600 & wait`

// startContainer runs script with sh in a test image container and returns
// the container id and the host pid of its init process.
func startContainer(t testing.TB, cli *client.Client, script string) (string, int) {
	t.Helper()
	ctx := context.Background()
	ref := testimage.EnsureT(t)
	created, err := cli.ContainerCreate(ctx,
		&container.Config{Image: ref, Cmd: []string{"sh", "-c", script}, Labels: map[string]string{"com.dockmr.test": "cgstats"}},
		&container.HostConfig{NetworkMode: "host"}, nil, nil, "")
	must.NoError(t, err)
	t.Cleanup(func() {
		_ = cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true})
	})
	must.NoError(t, cli.ContainerStart(ctx, created.ID, container.StartOptions{}))
	info, err := cli.ContainerInspect(ctx, created.ID)
	must.NoError(t, err)
	must.Positive(t, info.State.Pid, must.Sprintf("container %s has no init pid: %+v", created.ID, info.State))
	return created.ID, info.State.Pid
}

// execSleep starts `sleep` in the container with docker exec and returns its
// host pid.
func execSleep(t *testing.T, cli *client.Client, id string) int {
	t.Helper()
	ctx := context.Background()
	ex, err := cli.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: []string{"sleep", "600"}})
	must.NoError(t, err)
	must.NoError(t, cli.ContainerExecStart(ctx, ex.ID, container.ExecStartOptions{Detach: true}))
	var pid int
	waitFor(t, "the exec'd sleep to run", func() bool {
		in, err := cli.ContainerExecInspect(ctx, ex.ID)
		must.NoError(t, err)
		pid = in.Pid
		return in.Running && pid > 0
	})
	return pid
}

// children lists the children of pid as the kernel reports them.
func children(t *testing.T, pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	must.NoError(t, err)
	return strings.Fields(string(b))
}

// waitFor polls cond until it holds, failing the test after a minute; the
// limit only bounds a broken run, nothing is asserted about timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSampler_RealContainer(t *testing.T) {
	cli := dockerClient(t)
	id, initPID := startContainer(t, cli, busyScript)
	execPID := execSleep(t, cli, id)

	// The shell's first children run the command substitution; the sleep
	// comes after it.
	var child string
	waitFor(t, "the init process to start its sleeping child", func() bool {
		for _, c := range children(t, initPID) {
			if comm, _ := os.ReadFile("/proc/" + c + "/comm"); string(comm) == "sleep\n" {
				child = c
				return true
			}
		}
		return false
	})

	s, err := cgstats.NewSampler("/", initPID, hostCompute)
	must.NoError(t, err)
	defer s.Close()
	t.Logf("cgroup v%d at %s", s.Dirs().Version, s.Dirs().Memory)

	// Sample until the busy loop shows: the first samples may come before the
	// shell has filled its variable.
	var u *drivers.TaskResourceUsage
	waitFor(t, "CPU and memory use to show in the samples", func() bool {
		u, err = s.Sample(time.Now())
		must.NoError(t, err)
		init := u.Pids[strconv.Itoa(initPID)]
		return u.ResourceUsage.CpuStats.Percent > 0 && init != nil && init.CpuStats.Percent > 0 &&
			init.MemoryStats.RSS > 16_000_000
	})

	cs, ms := u.ResourceUsage.CpuStats, u.ResourceUsage.MemoryStats
	t.Logf("cpu %.1f%% (user %.1f%%, system %.1f%%, %.0f MHz); memory usage %d, rss %d, max %d",
		cs.Percent, cs.UserMode, cs.SystemMode, cs.TotalTicks, ms.Usage, ms.RSS, ms.MaxUsage)
	must.Positive(t, cs.UserMode)
	must.Positive(t, cs.TotalTicks)
	must.SliceContainsSubset(t, cs.Measured, []string{"Percent", "User Mode", "System Mode"}, must.Sprint("Measured lists the CPU fields"))
	must.Greater(t, 16_000_000, ms.Usage)
	must.Greater(t, 16_000_000, ms.RSS)
	must.SliceContainsSubset(t, ms.Measured, []string{"RSS", "Cache", "Usage"})
	if s.Dirs().Version == cgstats.V1 {
		must.GreaterEq(t, ms.Usage, ms.MaxUsage)
	}

	// The init process, its child and the exec'd process are all reported.
	for _, pid := range []string{strconv.Itoa(initPID), child, strconv.Itoa(execPID)} {
		must.MapContainsKey(t, u.Pids, pid)
		must.Positive(t, u.Pids[pid].MemoryStats.RSS, must.Sprintf("pid %s", pid))
	}
	must.MapLen(t, 3, u.Pids)
	pids, err := s.Pids()
	must.NoError(t, err)
	must.SliceLen(t, 3, pids)
	must.SliceContains(t, pids, execPID)

	// A process that exits disappears from the next sample, however soon
	// it comes.
	must.NoError(t, syscall.Kill(execPID, syscall.SIGKILL))
	waitFor(t, "the killed process to be reaped", func() bool {
		_, err := os.Stat(fmt.Sprintf("/proc/%d", execPID))
		return errors.Is(err, fs.ErrNotExist)
	})
	u, err = s.Sample(time.Now())
	must.NoError(t, err)
	must.MapNotContainsKey(t, u.Pids, strconv.Itoa(execPID))
	must.MapLen(t, 2, u.Pids)
	pids, err = s.Pids()
	must.NoError(t, err)
	must.SliceNotContains(t, pids, execPID)

	// Once the container is gone, so is its cgroup, and sampling says so.
	must.NoError(t, cli.ContainerRemove(context.Background(), id, container.RemoveOptions{Force: true}))
	waitFor(t, "sampling to report the removed container", func() bool {
		_, err := s.Sample(time.Now())
		return errors.Is(err, cgstats.ErrGone)
	})
	_, err = cgstats.NewSampler("/", initPID, hostCompute)
	must.ErrorIs(t, err, cgstats.ErrGone)
}

func BenchmarkSample_RealContainer(b *testing.B) {
	cli := dockerClient(b)
	_, initPID := startContainer(b, cli, idleScript)
	s, err := cgstats.NewSampler("/", initPID, cpustats.Compute{TotalCompute: 5000, NumCores: runtime.NumCPU()})
	must.NoError(b, err)
	defer s.Close()
	// A clock a second per sample ahead keeps every sample computing rates,
	// as at Nomad's interval.
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		if _, err := s.Sample(now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDockerStatsOneShot is the alternative Sample replaces on hosts
// where the cgroup files are readable: one one-shot stats call to the daemon
// per sample, converted with FromDockerStats. Compare its ns/op with
// BenchmarkSample_RealContainer's.
func BenchmarkDockerStatsOneShot(b *testing.B) {
	cli := dockerClient(b)
	id, _ := startContainer(b, cli, idleScript)
	ctx := context.Background()
	var prev *container.StatsResponse
	b.ReportAllocs()
	for b.Loop() {
		resp, err := cli.ContainerStatsOneShot(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		var cur container.StatsResponse
		err = json.NewDecoder(resp.Body).Decode(&cur)
		_ = resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		_ = cgstats.FromDockerStats(&cur, prev, hostCompute)
		prev = &cur
	}
}

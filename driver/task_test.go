package driver

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
)

func TestStartTask_HostNetworkMountsEnvAndExitCode(t *testing.T) {
	td := newTestDriver(t, nil)
	task := newTask(t, TaskConfig{
		Command: "sh",
		Args:    []string{"-c", `readlink /proc/self/ns/net; test -d /alloc && test -d /local && test -d /secrets && echo dirs-ok; echo "env=$DOCKMR_TEST"; exit 3`},
	})
	td.start(t, task)

	res := td.wait(t, task.ID, time.Minute)
	must.Eq(t, 3, res.ExitCode)
	must.Eq(t, 0, res.Signal)
	must.False(t, res.OOMKilled)

	hostNS, err := os.Readlink("/proc/self/ns/net")
	must.NoError(t, err)
	var out string
	eventually(t, 10*time.Second, "the task's output", func() bool {
		out = readLog(t, task, "stdout")
		return strings.Contains(out, "env=")
	})
	must.StrContains(t, out, hostNS+"\n", must.Sprint("container must share the host's network namespace"))
	must.StrContains(t, out, "dirs-ok\n")
	must.StrContains(t, out, "env="+t.Name()+"\n")

	h, ok := td.impl.tasks.Get(task.ID)
	must.True(t, ok)
	c, err := td.docker.ContainerInspect(context.Background(), h.containerID)
	must.NoError(t, err)
	must.Eq(t, "host", string(c.HostConfig.NetworkMode))
	must.Eq(t, containerName(task), strings.TrimPrefix(c.Name, "/"))
	must.Eq(t, int64(128<<20), c.HostConfig.Memory)
	must.Eq(t, int64(200), c.HostConfig.CPUShares)
	must.Eq(t, task.AllocID, c.Config.Labels[labelAllocID])
	must.Eq(t, task.NodeID, c.Config.Labels[labelNodeID])
	must.Eq(t, task.JobName, c.Config.Labels[labelJob])
	must.Eq(t, task.TaskGroupName, c.Config.Labels[labelTaskGroup])
	must.Eq(t, task.Name, c.Config.Labels[labelTask])
}

func TestStartTask_ReportsPIDInEventStateAndStats(t *testing.T) {
	td := newTestDriver(t, nil)
	events, err := td.TaskEvents(context.Background())
	must.NoError(t, err)

	task := newTask(t, TaskConfig{
		Command: "sh",
		Args:    []string{"-c", "sleep 300 & sleep 300 & while :; do :; done"},
	})
	handle := td.start(t, task)

	var state TaskState
	must.NoError(t, handle.GetDriverState(&state))
	must.Positive(t, state.PID)

	started := waitEvent(t, events, task.ID, "Started container")
	must.Eq(t, strconv.Itoa(state.PID), started.Annotations["pid"])
	must.Eq(t, state.ContainerID, started.Annotations["container_id"])

	status, err := td.InspectTask(task.ID)
	must.NoError(t, err)
	must.Eq(t, drivers.TaskStateRunning, status.State)
	must.Eq(t, strconv.Itoa(state.PID), status.DriverAttributes["pid"])

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stats, err := td.TaskStats(ctx, task.ID, 200*time.Millisecond)
	must.NoError(t, err)
	var last *drivers.TaskResourceUsage
	deadline := time.After(time.Minute)
	for last == nil || last.ResourceUsage.CpuStats.Percent <= 0 || len(last.Pids) < 3 {
		select {
		case u, ok := <-stats:
			must.True(t, ok, must.Sprint("stats stream closed early"))
			last = u
		case <-deadline:
			t.Fatalf("no stats with CPU use and 3 processes; last: %+v", last)
		}
	}
	must.Positive(t, last.ResourceUsage.MemoryStats.Usage)
	must.Positive(t, last.ResourceUsage.MemoryStats.RSS)
	must.MapContainsKey(t, last.Pids, strconv.Itoa(state.PID))
}

func waitEvent(t *testing.T, events <-chan *drivers.TaskEvent, taskID, prefix string) *drivers.TaskEvent {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case ev := <-events:
			if ev.TaskID == taskID && strings.HasPrefix(ev.Message, prefix) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %q event for task %s", prefix, taskID)
		}
	}
}

func TestLogs_ContainerExitingAtOnceLosesNothing(t *testing.T) {
	td := newTestDriver(t, nil)
	task := newTask(t, TaskConfig{Command: "sh", Args: []string{"-c", "seq 1 10000; seq 1 50 >&2"}})
	td.start(t, task)
	res := td.wait(t, task.ID, time.Minute)
	must.Eq(t, 0, res.ExitCode)

	// logmon writes asynchronously after the FIFO; give it a moment.
	want := seqLines(1, 10000)
	eventually(t, 10*time.Second, "all 10,000 stdout lines", func() bool { return readLog(t, task, "stdout") == want })
	eventually(t, 10*time.Second, "all 50 stderr lines", func() bool { return readLog(t, task, "stderr") == seqLines(1, 50) })
}

func seqLines(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\n')
	}
	return b.String()
}

func TestWait_OOMKilledComesFromInspect(t *testing.T) {
	td := newTestDriver(t, nil)
	task := newTask(t, TaskConfig{Command: "tail", Args: []string{"/dev/zero"}})
	task.Resources.NomadResources.Memory.MemoryMB = 16
	task.Resources.LinuxResources.MemoryLimitBytes = 16 << 20
	td.start(t, task)

	res := td.wait(t, task.ID, 2*time.Minute)
	must.True(t, res.OOMKilled, must.Sprintf("result: %+v", res))
	must.Eq(t, 137, res.ExitCode)
}

func TestStopTask_SignalThenKillAfterTimeout(t *testing.T) {
	td := newTestDriver(t, nil)

	// A task that exits on TERM stops with its own exit code.
	graceful := newTask(t, TaskConfig{Command: "sh", Args: []string{"-c", `trap "echo stopping; exit 7" TERM; while :; do sleep 0.1; done`}})
	td.start(t, graceful)
	waitRunningShell(t, td, graceful)
	must.NoError(t, td.StopTask(graceful.ID, 30*time.Second, "SIGTERM"))
	res := td.wait(t, graceful.ID, time.Minute)
	must.Eq(t, 7, res.ExitCode)

	// A task ignoring TERM is killed once the kill timeout passes.
	stubborn := newTask(t, TaskConfig{Command: "sh", Args: []string{"-c", `trap "echo ignoring" TERM; while :; do sleep 0.1; done`}})
	td.start(t, stubborn)
	waitRunningShell(t, td, stubborn)
	must.NoError(t, td.StopTask(stubborn.ID, time.Second, "SIGTERM"))
	res = td.wait(t, stubborn.ID, time.Minute)
	must.Eq(t, 137, res.ExitCode)
	must.Eq(t, 9, res.Signal)
	eventually(t, 10*time.Second, "the TERM trap's output", func() bool {
		return strings.Contains(readLog(t, stubborn, "stdout"), "ignoring")
	})
}

// waitRunningShell waits until the container's shell has set its traps, by
// running a command next to it.
func waitRunningShell(t *testing.T, td *testDriver, task *drivers.TaskConfig) {
	t.Helper()
	eventually(t, 30*time.Second, "the task to run", func() bool {
		res, err := td.ExecTask(task.ID, []string{"true"}, 10*time.Second)
		return err == nil && res.ExitResult.ExitCode == 0
	})
	time.Sleep(200 * time.Millisecond)
}

func TestSignalTask(t *testing.T) {
	td := newTestDriver(t, nil)
	task := newTask(t, TaskConfig{Command: "sh", Args: []string{"-c", `trap "echo got-hup" HUP; while :; do sleep 0.1; done`}})
	td.start(t, task)
	waitRunningShell(t, td, task)

	must.NoError(t, td.SignalTask(task.ID, "SIGHUP"))
	eventually(t, 30*time.Second, "the HUP trap's output", func() bool {
		return strings.Contains(readLog(t, task, "stdout"), "got-hup")
	})
	must.Error(t, td.SignalTask(task.ID, ""))
}

func TestExecTask(t *testing.T) {
	td := newTestDriver(t, nil)
	task := newTask(t, TaskConfig{Command: "sleep", Args: []string{"300"}})
	td.start(t, task)
	waitRunningShell(t, td, task)

	res, err := td.ExecTask(task.ID, []string{"sh", "-c", "echo out; echo err >&2; exit 5"}, 30*time.Second)
	must.NoError(t, err)
	must.Eq(t, "out\n", string(res.Stdout))
	must.Eq(t, "err\n", string(res.Stderr))
	must.Eq(t, 5, res.ExitResult.ExitCode)

	_, err = td.ExecTask(task.ID, nil, 30*time.Second)
	must.ErrorContains(t, err, "command")
}

func TestExecTaskStreaming_InteractiveWithStdin(t *testing.T) {
	td := newTestDriver(t, nil)
	task := newTask(t, TaskConfig{Command: "sleep", Args: []string{"300"}})
	td.start(t, task)
	waitRunningShell(t, td, task)

	for _, tty := range []bool{false, true} {
		stdinR, stdinW := io.Pipe()
		var out lockedBuffer
		go func() {
			_, _ = stdinW.Write([]byte("echo hello-from-stdin\nexit 6\n"))
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := td.impl.ExecTaskStreaming(ctx, task.ID, &drivers.ExecOptions{
			Command: []string{"sh"},
			Tty:     tty,
			Stdin:   stdinR,
			Stdout:  nopWriteCloser{&out},
			Stderr:  nopWriteCloser{&out},
		})
		cancel()
		_ = stdinW.Close()
		must.NoError(t, err, must.Sprintf("tty=%v", tty))
		must.Eq(t, 6, res.ExitCode, must.Sprintf("tty=%v", tty))
		must.StrContains(t, out.String(), "hello-from-stdin", must.Sprintf("tty=%v", tty))
	}
}

func TestDestroyTask_RemovesContainer(t *testing.T) {
	td := newTestDriver(t, &PluginConfig{GC: GCConfig{Container: true}})
	task := newTask(t, TaskConfig{Command: "sleep", Args: []string{"300"}})
	td.start(t, task)
	h, _ := td.impl.tasks.Get(task.ID)
	id := h.containerID

	must.Error(t, td.DestroyTask(task.ID, false), must.Sprint("a running task needs force"))
	must.NoError(t, td.DestroyTask(task.ID, true))
	_, err := td.docker.ContainerInspect(context.Background(), id)
	must.Error(t, err, must.Sprint("container must be gone"))
	_, err = td.InspectTask(task.ID)
	must.ErrorContains(t, err, drivers.ErrTaskNotFound.Error())
}

func TestStartTask_MountsTaskRuntimeReadOnly(t *testing.T) {
	td := newTestDriver(t, &PluginConfig{TaskRuntime: "/bin/busybox"})
	task := newTask(t, TaskConfig{Command: "sh", Args: []string{"-c",
		"test -x " + contract.RuntimePath + " || exit 2; touch " + contract.RuntimePath + " 2>/dev/null && exit 3; exit 0"}})
	td.start(t, task)
	must.Eq(t, 0, td.wait(t, task.ID, time.Minute).ExitCode, must.Sprint("runtime must be present, executable and read-only"))
}

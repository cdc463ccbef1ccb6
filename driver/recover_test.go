package driver

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

// crash stops every goroutine of a driver's tasks without touching their
// containers, as a killed plugin process would.
func crash(td *testDriver) {
	td.impl.tasks.each(func(h *taskHandle) {
		h.detach()
		<-h.logs.done
	})
}

func TestRecoverTask_RunningTaskKeepsLogsWaitAndStop(t *testing.T) {
	first := newTestDriver(t, nil)
	task := newTask(t, TaskConfig{Command: "sh", Args: []string{"-c",
		`i=1; while [ $i -le 40 ]; do echo out-$i; echo err-$i >&2; i=$((i+1)); sleep 0.05; done; exit 4`}})
	handle := first.start(t, task)
	eventually(t, 30*time.Second, "some output before the crash", func() bool {
		return strings.Contains(readLog(t, task, "stdout"), "out-5\n")
	})
	crash(first)

	second := newTestDriver(t, nil)
	must.NoError(t, second.RecoverTask(handle))
	must.NoError(t, second.RecoverTask(handle), must.Sprint("recovering twice is harmless"))
	res := second.wait(t, task.ID, time.Minute)
	must.Eq(t, 4, res.ExitCode)

	eventually(t, 10*time.Second, "every line exactly once", func() bool {
		return readLog(t, task, "stdout") == prefixedLines("out-", 40) &&
			readLog(t, task, "stderr") == prefixedLines("err-", 40)
	})
	must.NoError(t, second.DestroyTask(task.ID, true))
}

func TestRecoverTask_ExitedMeanwhileReportsRealExitCode(t *testing.T) {
	first := newTestDriver(t, nil)
	task := newTask(t, TaskConfig{Command: "sleep", Args: []string{"300"}})
	handle := first.start(t, task)
	waitRunningShell(t, first, task)
	crash(first)

	// The task exits while no plugin watches it.
	h, _ := first.impl.tasks.Get(task.ID)
	must.NoError(t, h.kill("SIGKILL"))
	eventually(t, 30*time.Second, "the container to exit", func() bool {
		c, err := first.docker.ContainerInspect(t.Context(), h.containerID)
		return err == nil && !c.State.Running
	})

	second := newTestDriver(t, nil)
	must.NoError(t, second.RecoverTask(handle))
	res := second.wait(t, task.ID, time.Minute)
	must.Eq(t, 137, res.ExitCode)
	must.Eq(t, 9, res.Signal)
	must.NoError(t, second.DestroyTask(task.ID, true))
}

func TestRecoverTask_MissingContainerIsAnError(t *testing.T) {
	td := newTestDriver(t, nil)
	task := newTask(t, TaskConfig{})
	handle := drivers.NewTaskHandle(taskHandleVersion)
	handle.Config = task
	must.NoError(t, handle.SetDriverState(&TaskState{TaskConfig: task, ContainerID: "0123456789abcdef-gone"}))
	must.ErrorContains(t, td.RecoverTask(handle), "inspect container")
	must.ErrorContains(t, td.impl.RecoverTask(nil), "no task handle")
}

func prefixedLines(prefix string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(prefix)
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\n')
	}
	return b.String()
}

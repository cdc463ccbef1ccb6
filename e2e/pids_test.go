package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

// The driver reports the container's init PID in the started event, and it
// and its children in the allocation stats, as host PIDs of processes that
// really run in the task's container.
func TestPIDsReported(t *testing.T) {
	c := shared(t)
	alloc := runScript(t, c, "sleep 600 & sleep 601 & echo ready; wait", nil)
	alloc = waitRunning(t, c, alloc.ID)
	waitStdout(t, c, alloc.ID, "ready\n")

	pid := startedPID(t, alloc)
	info := inspect(t, alloc)
	must.Eq(t, info.State.Pid, pid)
	ev := started(t, alloc)
	must.Eq(t, info.ID, ev.Details["container_id"])
	must.Eq(t, strings.TrimPrefix(info.Name, "/"), ev.Details["container_name"])
	must.Eq(t, image, ev.Details["image"])
	// Nomad's resources become the container's limits (sh.nomad.hcl: cpu
	// 100, memory 64 MB).
	must.Eq(t, int64(100), info.HostConfig.CPUShares)
	must.Eq(t, int64(64<<20), info.HostConfig.Memory)

	children := childPIDs(t, pid)
	must.SliceLen(t, 2, children, must.Sprintf("children of %d", pid))
	for _, p := range append([]int{pid}, children...) {
		cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", p))
		must.NoError(t, err)
		must.StrContains(t, string(cg), info.ID, must.Sprintf("pid %d is not in the container's cgroup", p))
	}

	usage, err := c.WaitStats(t.Context(), alloc.ID, task, func(u *api.TaskResourceUsage) bool {
		return len(u.Pids) >= 3
	})
	must.NoError(t, err)
	for _, p := range append([]int{pid}, children...) {
		must.MapContainsKey(t, usage.Pids, strconv.Itoa(p))
	}
	must.NoError(t, c.StopAlloc(alloc.ID))
}

// childPIDs lists the host PIDs whose parent is pid.
func childPIDs(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	must.NoError(t, err)
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

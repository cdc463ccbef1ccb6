package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// counterScript prints 1, 2, 3... one line every 10 ms until the file
// /alloc/data/go appears, then prints "end" and exits 7.
const counterScript = `i=1; while [ ! -e /alloc/data/go ]; do echo $i; i=$((i+1)); sleep 0.01; done; echo end; exit 7`

// termScript runs until SIGTERM, then says so and exits 0.
const termScript = `trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 0.1; done`

// Killing the plugin process with SIGKILL mid-task loses nothing: Nomad
// starts a new plugin, which reattaches to the running containers; logs go on
// without a gap or a doubled line, and wait, stats, exec and stop keep working.
func TestPluginKilledMidTask(t *testing.T) {
	c := shared(t)
	counter := runScript(t, c, counterScript, nil)
	other := runScript(t, c, termScript, nil)
	waitRunning(t, c, counter.ID)
	other = waitRunning(t, c, other.ID)
	waitStdout(t, c, other.ID, "ready\n")
	lines := waitLines(t, c, counter.ID, 50)

	oldPID, err := c.KillPlugin(contract.DriverName)
	must.NoError(t, err)
	newPID := waitNewPlugin(t, c, oldPID)
	t.Logf("plugin %d killed after %d lines; new plugin %d", oldPID, lines, newPID)

	// The counter keeps logging through the new plugin.
	waitLines(t, c, counter.ID, lines+50)
	must.NoError(t, os.WriteFile(filepath.Join(c.AllocDir(counter.ID), "alloc", "data", "go"), nil, 0o644))
	counter = waitDead(t, c, counter.ID)
	must.Eq(t, 7, terminated(t, counter).ExitCode)
	requireCounter(t, waitStdout(t, c, counter.ID, "\nend\n"))

	// The other task is still tracked: stats, exec and stop work.
	pid := startedPID(t, other)
	_, err = c.WaitStats(t.Context(), other.ID, task, func(u *api.TaskResourceUsage) bool {
		_, ok := u.Pids[strconv.Itoa(pid)]
		return ok
	})
	must.NoError(t, err)
	res, err := c.Exec(t.Context(), other.ID, task, nil, "echo", "exec after recovery")
	must.NoError(t, err)
	must.Eq(t, "exec after recovery\n", res.Stdout)
	must.NoError(t, c.StopAlloc(other.ID))
	other = waitDead(t, c, other.ID)
	must.Eq(t, 0, terminated(t, other).ExitCode)
	requireStdout(t, c, other.ID, "ready\nbye\n")
}

// A restarted client agent recovers its tasks: one that exited while the
// agent was down reports its real exit code and complete logs, and one still
// running keeps working, after both a crash (SIGKILL) and a clean shutdown.
func TestClientAgentRestart(t *testing.T) {
	t.Parallel()
	c := nomadtest.StartT(t, nomadtest.Options{})
	ctx := t.Context()

	exits := runScript(t, c, `echo before; while [ ! -e /alloc/data/go ]; do sleep 0.1; done; echo after; exit 9`, nil)
	stays := runScript(t, c, termScript, nil)
	exits = waitRunning(t, c, exits.ID)
	stays = waitRunning(t, c, stays.ID)
	waitStdout(t, c, exits.ID, "before\n")
	waitStdout(t, c, stays.ID, "ready\n")

	must.NoError(t, c.KillClient())
	must.NoError(t, os.WriteFile(filepath.Join(c.AllocDir(exits.ID), "alloc", "data", "go"), nil, 0o644))
	waitContainerExit(t, started(t, exits).Details["container_id"])
	must.NoError(t, c.RestartClient(ctx))

	exits = waitDead(t, c, exits.ID)
	must.Eq(t, 9, terminated(t, exits).ExitCode, must.Sprint(describe(exits)))
	requireStdout(t, c, exits.ID, "before\nafter\n")

	for round, restart := range []func() error{c.KillClient, c.StopClient} {
		if round > 0 {
			must.NoError(t, restart())
			must.NoError(t, c.RestartClient(ctx))
		}
		res, err := c.Exec(ctx, stays.ID, task, nil, "echo", fmt.Sprintf("round %d", round))
		must.NoError(t, err)
		must.Eq(t, fmt.Sprintf("round %d\n", round), res.Stdout)
		pid := startedPID(t, stays)
		_, err = c.WaitStats(ctx, stays.ID, task, func(u *api.TaskResourceUsage) bool {
			_, ok := u.Pids[strconv.Itoa(pid)]
			return ok
		})
		must.NoError(t, err)
	}
	must.NoError(t, c.StopAlloc(stays.ID))
	stays = waitDead(t, c, stays.ID)
	must.Eq(t, 0, terminated(t, stays).ExitCode)
	requireStdout(t, c, stays.ID, "ready\nbye\n")
}

// waitLines waits until the counter task has logged at least n lines and
// returns how many it had.
func waitLines(t *testing.T, c *nomadtest.Cluster, allocID string, n int) int {
	t.Helper()
	var got int
	_, err := c.WaitLogs(t.Context(), allocID, task, "stdout", func(b []byte) bool {
		got = strings.Count(string(b), "\n")
		return got >= n
	})
	must.NoError(t, err)
	return got
}

// requireCounter checks the counter's output is exactly 1..k then "end".
func requireCounter(t *testing.T, out string) {
	t.Helper()
	must.StrHasSuffix(t, "\nend\n", out)
	body := strings.TrimSuffix(out, "end\n")
	k := strings.Count(body, "\n")
	requireLines(t, numbered(1, k), body, "counter stdout")
}

// waitNewPlugin waits until a plugin process other than old runs.
func waitNewPlugin(t *testing.T, c *nomadtest.Cluster, old int) int {
	t.Helper()
	var pid int
	_, err := c.WaitDriver(t.Context(), contract.DriverName, true)
	must.NoError(t, err)
	err = nomadtest.Poll(t.Context(), "a new plugin process", func() (bool, string, error) {
		p, err := c.PluginPID(contract.DriverName)
		if err != nil {
			return false, err.Error(), nil
		}
		pid = p
		return p != old, fmt.Sprintf("pid %d", p), nil
	})
	must.NoError(t, err)
	return pid
}

// waitContainerExit waits until Docker reports the container stopped.
func waitContainerExit(t *testing.T, id string) {
	t.Helper()
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	defer cli.Close()
	err = nomadtest.Poll(t.Context(), "container "+id+" to exit", func() (bool, string, error) {
		info, err := cli.ContainerInspect(context.Background(), id)
		if err != nil {
			return false, "", err
		}
		return !info.State.Running, info.State.Status, nil
	})
	must.NoError(t, err)
}

// waitContainerGone waits until Docker no longer knows the container.
func waitContainerGone(t *testing.T, id string) {
	t.Helper()
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	defer cli.Close()
	err = nomadtest.Poll(t.Context(), "container "+id+" to be removed", func() (bool, string, error) {
		info, err := cli.ContainerInspect(context.Background(), id)
		if cerrdefs.IsNotFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, err.Error(), nil
		}
		return false, info.State.Status, nil
	})
	must.NoError(t, err)
}

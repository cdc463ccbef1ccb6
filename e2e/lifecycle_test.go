package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

// Wait reports the container's real exit code, and the signal that killed
// it, which Nomad shows in the Terminated event and the allocation status.
func TestExitCodes(t *testing.T) {
	c := shared(t)
	cases := []struct {
		name, script   string
		code, signal   int
		clientStatus   string
		wantOOMDetails string
	}{
		{"success", "exit 0", 0, 0, api.AllocClientStatusComplete, "false"},
		{"failure", "exit 3", 3, 0, api.AllocClientStatusFailed, "false"},
		// The container's init cannot be killed from inside its own PID
		// namespace, so a child is; the shell exits with its status the
		// way Docker reports a killed container, 128+9. (The trailing exit
		// keeps ash from exec'ing the child in its place.)
		{"killed", "sh -c 'kill -KILL $$'; exit $?", 137, 9, api.AllocClientStatusFailed, "false"},
	}
	// Start all jobs first so they run side by side.
	allocs := make([]*api.Allocation, len(cases))
	for i, tc := range cases {
		allocs[i] = runScript(t, c, tc.script, nil)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			alloc, err := c.WaitClientStatus(t.Context(), allocs[i].ID, api.AllocClientStatusComplete, api.AllocClientStatusFailed)
			must.NoError(t, err)
			must.Eq(t, tc.clientStatus, alloc.ClientStatus)
			ev := terminated(t, alloc)
			must.Eq(t, tc.code, ev.ExitCode)
			must.Eq(t, tc.signal, ev.Signal)
			must.Eq(t, tc.wantOOMDetails, ev.Details["oom_killed"])
		})
	}
}

// A container that outgrows its memory limit is reported OOM-killed: the
// flag comes from Docker's state, not from exit code 137.
func TestOOMKilled(t *testing.T) {
	c := shared(t)
	// tail buffers the endless, newline-free /dev/zero until the limit hits.
	alloc := runScript(t, c, "tail /dev/zero", map[string]string{"memory": "16"})
	alloc = waitDead(t, c, alloc.ID)
	ev := terminated(t, alloc)
	must.Eq(t, "true", ev.Details["oom_killed"], must.Sprint(describe(alloc)))
	must.Eq(t, 137, ev.ExitCode)
}

// SignalTask delivers the signal to the container's init process.
func TestSignal(t *testing.T) {
	c := shared(t)
	alloc := runScript(t, c, "trap 'echo got USR1' USR1; trap 'echo got HUP' HUP; echo ready; while true; do sleep 0.1; done", nil)
	waitRunning(t, c, alloc.ID)
	waitStdout(t, c, alloc.ID, "ready\n")

	must.NoError(t, c.Signal(alloc.ID, task, "SIGUSR1"))
	waitStdout(t, c, alloc.ID, "got USR1\n")
	must.NoError(t, c.Signal(alloc.ID, task, "SIGHUP"))
	out := waitStdout(t, c, alloc.ID, "got HUP\n")
	must.Eq(t, "ready\ngot USR1\ngot HUP\n", out)

	err := c.Signal(alloc.ID, task, "SIGNOPE")
	must.Error(t, err)
	must.StrContains(t, err.Error(), "SIGNOPE")
	must.NoError(t, c.StopAlloc(alloc.ID))
}

// Stopping sends the kill signal and the task may exit on its own: its exit
// code is its own.
func TestStopGraceful(t *testing.T) {
	c := shared(t)
	alloc := runScript(t, c, "trap 'echo got TERM; exit 0' TERM; echo ready; while true; do sleep 0.1; done", nil)
	waitRunning(t, c, alloc.ID)
	waitStdout(t, c, alloc.ID, "ready\n")

	must.NoError(t, c.StopAlloc(alloc.ID))
	alloc = waitDead(t, c, alloc.ID)
	ev := terminated(t, alloc)
	must.Eq(t, 0, ev.ExitCode)
	must.Eq(t, 0, ev.Signal)
	requireStdout(t, c, alloc.ID, "ready\ngot TERM\n")
}

// A task that ignores the kill signal is killed once the kill timeout has
// passed, not before.
func TestStopKillTimeout(t *testing.T) {
	c := shared(t)
	const killTimeout = 3 * time.Second
	alloc := runScript(t, c, "trap 'echo got TERM' TERM; echo ready; while true; do sleep 0.1; done",
		map[string]string{"kill_timeout": killTimeout.String()})
	waitRunning(t, c, alloc.ID)
	waitStdout(t, c, alloc.ID, "ready\n")

	must.NoError(t, c.StopAlloc(alloc.ID))
	alloc = waitDead(t, c, alloc.ID)
	ev := terminated(t, alloc)
	must.Eq(t, 137, ev.ExitCode)
	must.Eq(t, 9, ev.Signal)
	waitStdout(t, c, alloc.ID, "got TERM\n")

	// The SIGKILL must not come early. Only a lower bound is checked: a
	// slow machine can make the gap longer, never shorter.
	killing := event(t, alloc, api.TaskKilling)
	gap := time.Duration(ev.Time - killing.Time)
	must.GreaterEq(t, killTimeout-100*time.Millisecond, gap, must.Sprintf("killed %s after the kill signal", gap))
}

// Exec runs a command inside the task's container with the task's
// environment, passing stdin, stdout, stderr and the exit code through.
func TestExec(t *testing.T) {
	c := shared(t)
	alloc := runScript(t, c, "echo ready; exec sleep 600", nil)
	waitRunning(t, c, alloc.ID)
	waitStdout(t, c, alloc.ID, "ready\n")

	res, err := c.Exec(t.Context(), alloc.ID, task, strings.NewReader("from stdin\n"),
		"sh", "-c", `echo "$NOMAD_TASK_NAME $NOMAD_ALLOC_ID"; cat; echo to-stderr >&2; exit 4`)
	must.NoError(t, err)
	must.Eq(t, 4, res.ExitCode)
	must.Eq(t, "main "+alloc.ID+"\nfrom stdin\n", res.Stdout)
	must.Eq(t, "to-stderr\n", res.Stderr)

	t.Run("interactive", func(t *testing.T) {
		res, err := c.ExecTTY(t.Context(), alloc.ID, task, strings.NewReader("echo tty-$((40+2))\nexit 5\n"), "sh")
		must.NoError(t, err)
		must.Eq(t, 5, res.ExitCode)
		// The terminal echoes the input; only the shell's evaluation says 42.
		must.StrContains(t, res.Stdout, "tty-42")
	})

	t.Run("missing command", func(t *testing.T) {
		res, err := c.Exec(t.Context(), alloc.ID, task, nil, "/no/such/command")
		if err == nil {
			must.NotEq(t, 0, res.ExitCode)
		} else {
			must.StrContains(t, err.Error(), "/no/such/command")
		}
		// The task is unaffected.
		res, err = c.Exec(t.Context(), alloc.ID, task, nil, "echo", "still here")
		must.NoError(t, err)
		must.Eq(t, "still here\n", res.Stdout)
	})
	must.NoError(t, c.StopAlloc(alloc.ID))
}

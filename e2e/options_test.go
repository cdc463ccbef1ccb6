package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// The task's user, environment, entrypoint, command, working directory and
// labels reach the container; Nomad's task directories are mounted, the
// alloc directory shared with the host; the container carries the driver's
// labels and a name made of task and allocation.
func TestTaskOptions(t *testing.T) {
	c := shared(t)
	alloc := runFile(t, c, "options.nomad.hcl", nil)
	alloc = waitRunning(t, c, alloc.ID)
	out := waitStdout(t, c, alloc.ID, "ready\n")

	must.Eq(t, strings.Join([]string{
		"65534",
		"/tmp",
		"hello from env main " + alloc.ID,
		"/alloc", "/local", "/secrets",
		"ready",
	}, "\n")+"\n", out)
	fromTask, err := os.ReadFile(filepath.Join(c.AllocDir(alloc.ID), "alloc", "data", "from-task"))
	must.NoError(t, err)
	must.Eq(t, "shared\n", string(fromTask))

	info := inspect(t, alloc)
	must.Eq(t, "nobody", info.Config.User)
	must.Eq(t, "/tmp", info.Config.WorkingDir)
	must.StrContains(t, info.Name, alloc.ID)
	must.StrContains(t, info.Name, task)
	for k, v := range map[string]string{
		"team":                  "e2e",
		"com.dockmr.alloc_id":   alloc.ID,
		"com.dockmr.job":        alloc.JobID,
		"com.dockmr.task_group": alloc.TaskGroup,
		"com.dockmr.task":       task,
		"com.dockmr.node_id":    c.NodeID,
	} {
		must.Eq(t, v, info.Config.Labels[k], must.Sprintf("label %s", k))
	}
	must.NoError(t, c.StopAlloc(alloc.ID))
}

// Destroying a finished task removes its container.
func TestDestroyRemovesContainer(t *testing.T) {
	c := shared(t)
	alloc := waitDead(t, c, runScript(t, c, "exit 0", nil).ID)
	id := started(t, alloc).Details["container_id"]
	must.NotEq(t, "", id)
	waitContainerGone(t, id)
}

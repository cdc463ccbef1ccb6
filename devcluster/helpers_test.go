package devcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/internal/testimage"
)

// The labels dockmr-driver puts on a task's container besides the job's.
const (
	labelTaskKind = "com.dockmr.task"
	labelJobID    = "dockmr_job_id"
)

// sharedDocker is a client of the machine's shared Docker daemon.
func sharedDocker(t *testing.T) *client.Client {
	t.Helper()
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	return cli
}

// waitForContainer waits for a running container of a dockmr job's task
// of the given kind, on the given node unless node is empty, and returns
// its ID.
func waitForContainer(t *testing.T, docker *client.Client, kind, node string) string {
	t.Helper()
	args := nodeFilter(node)
	args.Add("label", labelTaskKind+"="+kind)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		list, err := docker.ContainerList(ctx, container.ListOptions{Filters: args})
		if err == nil && len(list) > 0 {
			return list[0].ID
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no %s container of the job started on node %q: %v", kind, node, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// nodeFilter selects the containers of dockmr jobs, on the given node
// unless node is empty.
func nodeFilter(node string) filters.Args {
	args := filters.NewArgs(filters.Arg("label", labelJobID))
	if node != "" {
		args.Add("label", labelNode+"="+node)
	}
	return args
}

// jobContainers lists the containers, running or not, of the dockmr job
// id, on the given node unless node is empty.
func jobContainers(t *testing.T, docker *client.Client, id, node string) []container.Summary {
	t.Helper()
	args := filters.NewArgs(filters.Arg("label", labelJobID+"="+id))
	if node != "" {
		args.Add("label", labelNode+"="+node)
	}
	list, err := docker.ContainerList(context.Background(), container.ListOptions{All: true, Filters: args})
	must.NoError(t, err)
	return list
}

// waitNoContainers waits until no container of the dockmr job id is left
// on the daemon, on the given node unless node is empty: a client removes
// a task's container once the task has ended. The bound is for a
// container that is never removed, not a timing assertion.
func waitNoContainers(t *testing.T, docker *client.Client, id, node string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := Poll(ctx, "the job's containers to be removed", func() (bool, string, error) {
		list := jobContainers(t, docker, id, node)
		var seen []string
		for _, c := range list {
			seen = append(seen, fmt.Sprintf("%.12s %s (%s)", c.ID, c.State, c.Labels[labelTaskKind]))
		}
		return len(list) == 0, strings.Join(seen, ", "), nil
	})
	must.NoError(t, err)
}

// killPlugins sends SIGKILL to the cluster's dockmr-driver processes, only
// those the agent with PID parent started unless parent is 0, and
// returns how many there were.
func killPlugins(t *testing.T, c *Cluster, parent int) int {
	t.Helper()
	n := 0
	for _, pid := range pluginPIDs(t, c, parent) {
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}

// pluginPIDs are the cluster's dockmr-driver processes, only those whose
// parent is parent unless parent is 0.
func pluginPIDs(t *testing.T, c *Cluster, parent int) []int {
	t.Helper()
	pids, err := Processes(c.marker)
	must.NoError(t, err)
	var out []int
	for _, pid := range pids {
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil || filepath.Base(exe) != contract.DriverName {
			continue
		}
		if parent == 0 || parentOf(pid) == parent {
			out = append(out, pid)
		}
	}
	return out
}

// parentOf reads a process's parent ID from /proc, 0 if it is gone.
func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields start
	// after its closing parenthesis ("state ppid ...").
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

package hosts

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
)

// The labels dockmr-driver puts on a task's container.
const (
	labelTaskKind = "com.dockmr.task"
	labelJobID    = "dockmr_job_id"
	labelAllocID  = "com.dockmr.alloc_id"
)

// docker returns a client of the host's Docker daemon.
func docker(t *testing.T, h *devcluster.Host) *client.Client {
	t.Helper()
	cli, err := h.Docker()
	must.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	return cli
}

// running lists the running containers of dockmr jobs' tasks of the kind
// (map, reduce, am) on the host.
func running(t *testing.T, h *devcluster.Host, kind string) []container.Summary {
	t.Helper()
	args := filters.NewArgs(filters.Arg("label", labelJobID), filters.Arg("label", labelTaskKind+"="+kind))
	list, err := docker(t, h).ContainerList(context.Background(), container.ListOptions{Filters: args})
	must.NoError(t, err)
	return list
}

// freezeOnAHost waits for running containers of the kind on one of the
// cluster's hosts that are not lost, pauses them (docker pause) so that
// whatever happens next hits them mid-task, and returns the host and the
// frozen containers' IDs.
func freezeOnAHost(t *testing.T, c *devcluster.Cluster, kind string) (*devcluster.Host, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var host *devcluster.Host
	var frozen []string
	err := devcluster.PollEvery(ctx, 20*time.Millisecond, fmt.Sprintf("a running %s container", kind), func() (bool, string, error) {
		for _, h := range c.Hosts() {
			if h.Lost() {
				continue
			}
			frozen = pause(t, h, running(t, h, kind))
			if len(frozen) > 0 {
				host = h
				return true, "", nil
			}
		}
		return false, "", nil
	})
	must.NoError(t, err)
	return host, frozen
}

// freezeAll pauses the running containers of the kind on every host that
// is not lost, once there is one, and returns them by host.
func freezeAll(t *testing.T, c *devcluster.Cluster, kind string) map[*devcluster.Host][]string {
	t.Helper()
	first, ids := freezeOnAHost(t, c, kind)
	out := map[*devcluster.Host][]string{first: ids}
	for _, h := range c.Hosts() {
		if h.Name() != first.Name() && !h.Lost() {
			out[h] = pause(t, h, running(t, h, kind))
		}
	}
	return out
}

// pause freezes the containers and returns the IDs of those it froze:
// one that has just exited cannot be paused, and needs no care.
func pause(t *testing.T, h *devcluster.Host, list []container.Summary) []string {
	t.Helper()
	var out []string
	for _, ct := range list {
		if docker(t, h).ContainerPause(context.Background(), ct.ID) == nil {
			out = append(out, ct.ID)
		}
	}
	return out
}

// unpause lets frozen containers run on; one that is gone meanwhile (its
// task stopped) is passed over.
func unpause(t *testing.T, h *devcluster.Host, ids []string) {
	t.Helper()
	for _, id := range ids {
		_ = docker(t, h).ContainerUnpause(context.Background(), id)
	}
}

// jobContainers lists the containers, running or not, of the dockmr job
// id on the host.
func jobContainers(t *testing.T, h *devcluster.Host, id string) []container.Summary {
	t.Helper()
	args := filters.NewArgs(filters.Arg("label", labelJobID+"="+id))
	list, err := docker(t, h).ContainerList(context.Background(), container.ListOptions{All: true, Filters: args})
	must.NoError(t, err)
	return list
}

// waitNoContainers waits until no container of the dockmr job id is left
// on any host that is not lost: a client removes a task's container once
// the task has ended. The bound is for a container that is never removed,
// not a timing assertion.
func waitNoContainers(t *testing.T, c *devcluster.Cluster, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := devcluster.Poll(ctx, "the job's containers to be removed", func() (bool, string, error) {
		var seen []string
		for _, h := range c.Hosts() {
			if h.Lost() {
				continue
			}
			for _, ct := range jobContainers(t, h, id) {
				seen = append(seen, fmt.Sprintf("%s: %.12s %s (%s)", h.Name(), ct.ID, ct.State, ct.Labels[labelTaskKind]))
			}
		}
		return len(seen) == 0, strings.Join(seen, ", "), nil
	})
	must.NoError(t, err)
}

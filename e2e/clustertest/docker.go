package clustertest

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
	"github.com/dockmr/dockmr/internal/testimage"
)

// The labels the tests find containers by: dockmr-driver puts the node,
// the allocation and the task's kind on each, the job runner the dockmr
// job's ID.
const (
	LabelNode     = "com.dockmr.node_id"
	LabelAllocID  = "com.dockmr.alloc_id"
	LabelTaskKind = "com.dockmr.task"
	LabelJobID    = "dockmr_job_id"
)

// ExampleImage is the image dockmr's commands run by default, built by
// `make image`.
const ExampleImage = "dockmr/examples:dev"

// RequireImage fails the test unless the shared daemon has the image ref.
func RequireImage(t testing.TB, ref string) {
	t.Helper()
	if ok, err := devcluster.HasImage(context.Background(), ref); err != nil || !ok {
		t.Fatalf("the image %s is missing (%v): run make image", ref, err)
	}
}

// SharedDocker is a client of the machine's shared Docker daemon.
func SharedDocker(t testing.TB) *client.Client {
	t.Helper()
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	return cli
}

// NodeFilter selects the containers of dockmr jobs, on the given node
// unless node is empty.
func NodeFilter(node string) filters.Args {
	args := filters.NewArgs(filters.Arg("label", LabelJobID))
	if node != "" {
		args.Add("label", LabelNode+"="+node)
	}
	return args
}

// JobContainers lists the containers, running or not, of the dockmr job
// id, on the given node unless node is empty.
func JobContainers(t testing.TB, docker *client.Client, id, node string) []container.Summary {
	t.Helper()
	args := filters.NewArgs(filters.Arg("label", LabelJobID+"="+id))
	if node != "" {
		args.Add("label", LabelNode+"="+node)
	}
	list, err := docker.ContainerList(context.Background(), container.ListOptions{All: true, Filters: args})
	must.NoError(t, err)
	return list
}

// WaitForContainer waits for a running container of a dockmr job's task
// of the given kind, on the given node unless node is empty, and returns
// its ID.
func WaitForContainer(t testing.TB, docker *client.Client, kind, node string) string {
	t.Helper()
	args := NodeFilter(node)
	args.Add("label", LabelTaskKind+"="+kind)
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

// WaitNoContainers waits until no container of the dockmr job id is left
// on the daemon, on the given node unless node is empty: a client removes
// a task's container once the task has ended. The bound is for a
// container that is never removed, not a timing assertion.
func WaitNoContainers(t testing.TB, docker *client.Client, id, node string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := devcluster.Poll(ctx, "the job's containers to be removed", func() (bool, string, error) {
		list := JobContainers(t, docker, id, node)
		var seen []string
		for _, c := range list {
			seen = append(seen, fmt.Sprintf("%.12s %s (%s)", c.ID, c.State, c.Labels[LabelTaskKind]))
		}
		return len(list) == 0, strings.Join(seen, ", "), nil
	})
	must.NoError(t, err)
}

// ContainerStates counts the containers of the given nodes on the shared
// daemon by state (running, exited, ...).
func ContainerStates(ctx context.Context, nodeIDs ...string) (map[string]int, error) {
	docker, err := testimage.NewClient()
	if err != nil {
		return nil, err
	}
	defer docker.Close()
	out := map[string]int{}
	for _, id := range nodeIDs {
		list, err := docker.ContainerList(ctx, container.ListOptions{
			All:     true,
			Filters: filters.NewArgs(filters.Arg("label", LabelNode+"="+id)),
		})
		if err != nil {
			return nil, fmt.Errorf("list containers: %w", err)
		}
		for _, c := range list {
			out[c.State]++
		}
	}
	return out, nil
}

package driver

import (
	"context"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/hashicorp/nomad/helper/uuid"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/internal/testimage"
)

func TestDanglingContainers_Selection(t *testing.T) {
	now := time.Unix(10_000, 0)
	old, young := now.Add(-time.Hour).Unix(), now.Add(-time.Second).Unix()
	mine := map[string]string{labelNodeID: "n1", labelAllocID: "a"}
	list := []container.Summary{
		{ID: "dangling", Created: old, Labels: mine},
		{ID: "tracked", Created: old, Labels: mine},
		{ID: "young", Created: young, Labels: mine},
		{ID: "other-node", Created: old, Labels: map[string]string{labelNodeID: "n2", labelAllocID: "a"}},
		{ID: "unlabelled", Created: old},
		{ID: "no-alloc", Created: old, Labels: map[string]string{labelNodeID: "n1"}},
	}
	got := danglingContainers(list, map[string]bool{"tracked": true}, "n1", now, time.Minute)
	must.SliceLen(t, 1, got)
	must.Eq(t, "dangling", got[0].ID)
}

func TestReconciler_RemovesOnlyThisNodesUntrackedContainers(t *testing.T) {
	td := newTestDriver(t, nil)
	ctx := context.Background()

	tracked := newTask(t, TaskConfig{Command: "sleep", Args: []string{"300"}})
	td.start(t, tracked) // teaches the driver its node ID
	node := tracked.NodeID

	create := func(labels map[string]string) string {
		resp, err := td.docker.ContainerCreate(ctx, &container.Config{Image: testimage.Ref, Cmd: []string{"sleep", "300"}, Labels: labels},
			&container.HostConfig{NetworkMode: "host"}, nil, nil, "dockmr-reconcile-"+uuid.Short())
		must.NoError(t, err)
		t.Cleanup(func() { _ = td.docker.ContainerRemove(ctx, resp.ID, container.RemoveOptions{Force: true}) })
		return resp.ID
	}
	dangling := create(map[string]string{labelNodeID: node, labelAllocID: uuid.Generate()})
	otherNode := create(map[string]string{labelNodeID: "another-node", labelAllocID: uuid.Generate()})
	unlabelled := create(nil)

	r := newReconciler(td.impl, td.docker, DanglingConfig{Enabled: true, period: time.Minute, creationGrace: time.Minute})

	// Within the grace period nothing is removed.
	must.NoError(t, r.once(ctx, time.Now()))
	exists(t, td, dangling, true)

	must.NoError(t, r.once(ctx, time.Now().Add(time.Hour)))
	exists(t, td, dangling, false)
	exists(t, td, otherNode, true)
	exists(t, td, unlabelled, true)
	h, _ := td.impl.tasks.Get(tracked.ID)
	exists(t, td, h.containerID, true)
}

func exists(t *testing.T, td *testDriver, id string, want bool) {
	t.Helper()
	_, err := td.docker.ContainerInspect(context.Background(), id)
	if want {
		must.NoError(t, err)
	} else {
		must.True(t, cerrdefs.IsNotFound(err), must.Sprintf("container %.12s should be gone, got %v", id, err))
	}
}

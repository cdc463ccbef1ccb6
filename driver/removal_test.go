package driver

import (
	"context"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/internal/dockerdtest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// A task destroyed while the Docker daemon is down still has its container
// removed, once the daemon is back.
func TestDestroyTask_RemovesContainerOnceDaemonIsBack(t *testing.T) {
	shared := requireDocker(t)
	testimage.EnsureT(t)
	daemon := dockerdtest.StartT(t, dockerdtest.Options{})
	ctx := context.Background()
	must.NoError(t, daemon.LoadImage(ctx, shared, testimage.Ref))
	private, err := daemon.Client()
	must.NoError(t, err)
	defer private.Close()

	td := newTestDriver(t, &PluginConfig{Endpoint: daemon.Endpoint()})
	task := newTask(t, TaskConfig{Command: "true"})
	td.start(t, task)
	must.Eq(t, 0, td.wait(t, task.ID, time.Minute).ExitCode)
	h, ok := td.impl.tasks.Get(task.ID)
	must.True(t, ok)
	id := h.containerID

	must.NoError(t, daemon.Stop())
	must.NoError(t, td.impl.DestroyTask(task.ID, true))
	must.NoError(t, daemon.Start(ctx))

	eventually(t, time.Minute, "the container to be removed", func() bool {
		_, err := private.ContainerInspect(ctx, id)
		return cerrdefs.IsNotFound(err)
	})
}

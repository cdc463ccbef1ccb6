// Package helpers_test tries the test helpers that run something of their
// own against the real thing: internal/dockerdtest's private Docker
// daemon and internal/testimage's image builds.
package helpers_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/internal/dockerdtest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// TestRestartKillsContainers runs a container on a private daemon without
// live-restore and restarts the daemon: the container is stopped, its
// image and the container itself are still there, and the daemon's
// directory is gone after Close.
func TestRestartKillsContainers(t *testing.T) {
	d := dockerdtest.StartT(t, dockerdtest.Options{})
	cli := loadedClient(t, d)
	id := runSleeper(t, cli)

	must.NoError(t, d.Restart(context.Background()))
	must.True(t, d.Running())
	c, err := cli.ContainerInspect(context.Background(), id)
	must.NoError(t, err)
	must.False(t, c.State.Running, must.Sprint("a restart without live-restore stops the container"))

	must.NoError(t, d.Close())
	must.False(t, d.Running())
	_, err = os.Stat(d.Dir())
	must.True(t, os.IsNotExist(err), must.Sprintf("%s removed", d.Dir()))
}

// TestLiveRestoreKeepsContainers restarts a daemon with live-restore: the
// container runs on, as the same process.
func TestLiveRestoreKeepsContainers(t *testing.T) {
	d := dockerdtest.StartT(t, dockerdtest.Options{LiveRestore: true})
	cli := loadedClient(t, d)
	id := runSleeper(t, cli)
	before, err := cli.ContainerInspect(context.Background(), id)
	must.NoError(t, err)

	must.NoError(t, d.Restart(context.Background()))
	after, err := cli.ContainerInspect(context.Background(), id)
	must.NoError(t, err)
	must.True(t, after.State.Running)
	must.Eq(t, before.State.Pid, after.State.Pid)
	must.NoError(t, cli.ContainerRemove(context.Background(), id, container.RemoveOptions{Force: true}))
}

func TestStartErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Docker daemon")
	}
	missing := filepath.Join(t.TempDir(), "dockerd")
	_, err := dockerdtest.Start(context.Background(), dockerdtest.Options{Binary: missing})
	must.ErrorContains(t, err, "start "+missing)

	d := dockerdtest.StartT(t, dockerdtest.Options{})
	must.ErrorContains(t, d.Start(context.Background()), "it is running already")
}

// loadedClient returns a client of d, which holds the test image.
func loadedClient(t *testing.T, d *dockerdtest.Daemon) *client.Client {
	t.Helper()
	ref := testimage.EnsureT(t)
	shared, err := testimage.NewClient()
	must.NoError(t, err)
	defer shared.Close()
	must.NoError(t, d.LoadImage(context.Background(), shared, ref))
	cli, err := d.Client()
	must.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	return cli
}

// runSleeper starts a host-networked container that sleeps.
func runSleeper(t *testing.T, cli *client.Client) string {
	t.Helper()
	ctx := context.Background()
	c, err := cli.ContainerCreate(ctx, &container.Config{Image: testimage.Ref, Cmd: []string{"sleep", "300"}},
		&container.HostConfig{NetworkMode: "host"}, nil, nil, "")
	must.NoError(t, err)
	must.NoError(t, cli.ContainerStart(ctx, c.ID, container.StartOptions{}))
	return c.ID
}

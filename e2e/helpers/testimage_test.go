package helpers_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/internal/testimage"
)

// dockerClient returns a client for the local daemon. Without -short the
// daemon is required: a missing daemon fails the test rather than hiding it.
func dockerClient(t *testing.T) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Docker daemon")
	}
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		t.Fatalf("Docker daemon not reachable (start one with deploy/docker-up.sh): %v", err)
	}
	return cli
}

// run runs cmd in a new container of ref, removes the container and returns
// its exit code and stdout.
func run(t *testing.T, cli *client.Client, ref string, cmd ...string) (int64, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	created, err := cli.ContainerCreate(ctx, &container.Config{Image: ref, Cmd: cmd}, &container.HostConfig{NetworkMode: "host"}, nil, nil, "")
	must.NoError(t, err)
	defer func() {
		_ = cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true})
	}()

	waitC, errC := cli.ContainerWait(ctx, created.ID, container.WaitConditionNextExit)
	must.NoError(t, cli.ContainerStart(ctx, created.ID, container.StartOptions{}))
	var code int64
	select {
	case res := <-waitC:
		code = res.StatusCode
	case err := <-errC:
		t.Fatalf("wait for container: %v", err)
	}

	logs, err := cli.ContainerLogs(ctx, created.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	must.NoError(t, err)
	defer logs.Close()
	var stdout, stderr bytes.Buffer
	_, err = stdcopy.StdCopy(&stdout, &stderr, logs)
	must.NoError(t, err)
	if stderr.Len() > 0 {
		t.Logf("stderr of %v: %s", cmd, stderr.String())
	}
	return code, stdout.String()
}

func TestEnsureBuildsRunnableImage(t *testing.T) {
	cli := dockerClient(t)
	ref := testimage.EnsureT(t)
	must.Eq(t, testimage.Ref, ref)

	code, out := run(t, cli, ref, "sh", "-c", `echo hello; seq 3 | tail -n 1; readlink /proc/1/ns/net >/dev/null && echo ns; trap 'exit 7' TERM; kill -TERM $$; sleep 5`)
	must.Eq(t, int64(7), code)
	must.Eq(t, "hello\n3\nns\n", out)

	code, out = run(t, cli, ref, "id", "-un")
	must.Zero(t, code)
	must.Eq(t, "root\n", out)

	again, err := testimage.Ensure(context.Background())
	must.NoError(t, err)
	must.Eq(t, testimage.Ref, again)
}

func TestBuildExtraFilesAndSkipsUnchanged(t *testing.T) {
	cli := dockerClient(t)
	ctx := context.Background()
	ref := fmt.Sprintf("dockmr/testimage-extra:%d", os.Getpid())
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
	})

	files := []testimage.File{
		{Path: "/etc/dockmr/greeting", Data: []byte("from the test\n")},
		{Path: "/usr/local/bin/greet", Mode: 0o755, Data: []byte("#!/bin/sh\ncat /etc/dockmr/greeting\n")},
	}
	must.NoError(t, testimage.Build(ctx, ref, files...))
	first, err := cli.ImageInspect(ctx, ref)
	must.NoError(t, err)

	code, out := run(t, cli, ref, "greet")
	must.Zero(t, code)
	must.Eq(t, "from the test\n", out)

	must.NoError(t, testimage.Build(ctx, ref, files...))
	second, err := cli.ImageInspect(ctx, ref)
	must.NoError(t, err)
	must.Eq(t, first.ID, second.ID, must.Sprint("same content must not be built again"))

	files[0].Data = []byte("changed\n")
	must.NoError(t, testimage.Build(ctx, ref, files...))
	third, err := cli.ImageInspect(ctx, ref)
	must.NoError(t, err)
	must.NotEq(t, first.ID, third.ID)
	_, out = run(t, cli, ref, "greet")
	must.Eq(t, "changed\n", out)
	// The image replaced by the rebuild is left dangling; remove it too.
	_, _ = cli.ImageRemove(ctx, first.ID, image.RemoveOptions{Force: true}) // clean-up, not under test
}

package nomadtest

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/internal/testimage"
)

func proxyClient(t *testing.T) (*DockerProxy, *client.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Docker daemon")
	}
	p, err := StartDockerProxy(t.TempDir())
	must.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	cli, err := client.NewClientWithOpts(client.WithHost(p.Endpoint()), client.WithAPIVersionNegotiation())
	must.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	return p, cli
}

func ping(cli *client.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := cli.Ping(ctx)
	return err
}

func TestDockerProxyDownAndUp(t *testing.T) {
	p, cli := proxyClient(t)
	must.NoError(t, ping(cli))
	must.NoError(t, p.Down())
	must.Error(t, ping(cli))
	must.NoError(t, p.Up())
	must.NoError(t, ping(cli))
}

func TestDockerProxyDropsMatchingRequests(t *testing.T) {
	p, cli := proxyClient(t)
	cli.NegotiateAPIVersion(context.Background())
	p.DropRequests(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/_ping") })
	must.Error(t, ping(cli))
	_, err := cli.ServerVersion(context.Background())
	must.NoError(t, err)
	p.DropRequests(nil)
	must.NoError(t, ping(cli))
}

// Attach streams (hijacked connections) and log follows pass through.
func TestDockerProxyStreams(t *testing.T) {
	_, cli := proxyClient(t)
	ref := testimage.EnsureT(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	created, err := cli.ContainerCreate(ctx, &container.Config{
		Image: ref, Cmd: []string{"sh", "-c", "cat; echo done"}, OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true,
	}, &container.HostConfig{NetworkMode: "host"}, nil, nil, "")
	must.NoError(t, err)
	defer func() {
		_ = cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true})
	}()

	att, err := cli.ContainerAttach(ctx, created.ID, container.AttachOptions{Stream: true, Stdin: true, Stdout: true})
	must.NoError(t, err)
	defer att.Close()
	must.NoError(t, cli.ContainerStart(ctx, created.ID, container.StartOptions{}))
	_, err = att.Conn.Write([]byte("through the proxy\n"))
	must.NoError(t, err)
	must.NoError(t, att.CloseWrite())

	var out bytes.Buffer
	_, err = stdcopy.StdCopy(&out, &out, att.Reader)
	must.NoError(t, err)
	must.Eq(t, "through the proxy\ndone\n", out.String())

	logs, err := cli.ContainerLogs(ctx, created.ID, container.LogsOptions{ShowStdout: true, Follow: true})
	must.NoError(t, err)
	defer logs.Close()
	out.Reset()
	_, err = stdcopy.StdCopy(&out, &out, logs)
	must.NoError(t, err)
	must.Eq(t, "through the proxy\ndone\n", out.String())
}

package nomadtest

import (
	"context"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"github.com/shoenig/test/must"
)

func TestDockerProxyDownAndUp(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Docker daemon")
	}
	p, err := StartDockerProxy(t.TempDir())
	must.NoError(t, err)
	defer p.Close()

	cli, err := client.NewClientWithOpts(client.WithHost(p.Endpoint()), client.WithAPIVersionNegotiation())
	must.NoError(t, err)
	defer cli.Close()
	ping := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := cli.Ping(ctx)
		return err
	}

	must.NoError(t, ping())
	must.NoError(t, p.Down())
	must.Error(t, ping())
	must.NoError(t, p.Up())
	must.NoError(t, ping())
}

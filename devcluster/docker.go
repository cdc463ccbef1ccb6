package devcluster

import (
	"context"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"
)

// dockerPingTimeout bounds the check that a Docker daemon answers.
const dockerPingTimeout = 10 * time.Second

// dockerClient is a client of the daemon at endpoint, or of the one that
// DOCKER_HOST (or Docker's default socket) names when endpoint is empty.
func dockerClient(endpoint string) (*client.Client, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if endpoint != "" {
		opts = append(opts, client.WithHost(endpoint))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("Docker client: %w", err)
	}
	return cli, nil
}

// checkDocker makes sure the Docker daemon the clients will use answers,
// so that a missing daemon is reported at once rather than as a driver
// that never turns healthy.
func checkDocker(ctx context.Context, endpoint string) error {
	cli, err := dockerClient(endpoint)
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, dockerPingTimeout)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		return fmt.Errorf("no Docker daemon answers at %s: %w; start one (`make deps` does) or set DOCKER_HOST", cli.DaemonHost(), err)
	}
	return nil
}

// HasImage reports whether the local Docker daemon has the image ref.
func HasImage(ctx context.Context, ref string) (bool, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return false, fmt.Errorf("Docker client: %w", err)
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(ctx, ref); err != nil {
		if cerrdefs.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("inspect image %s: %w", ref, err)
	}
	return true, nil
}

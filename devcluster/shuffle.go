package devcluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/dockmr/dockmr/jobs/nomad"
)

// defaultShuffleImage is the image the shuffle servers run in unless
// Options.ShuffleImage says otherwise: the one `make image` builds.
const defaultShuffleImage = "dockmr/examples:dev"

// shuffleDir creates a client's shuffle directory, open to the tasks'
// user, and picks its shuffle server's address.
func (c *Cluster) shuffleDir(client string) (dir, addr string, err error) {
	dir = filepath.Join(c.stateDir, "shuffle", client)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("create shuffle directory of %s: %w", client, err)
	}
	if taskUser() == "" { // tasks and servers run as nobody
		if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
			return "", "", fmt.Errorf("open shuffle directory %s to the tasks' user: %w", dir, err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", fmt.Errorf("find a free port for %s's shuffle server: %w", client, err)
	}
	defer l.Close()
	return dir, l.Addr().String(), nil
}

// startShuffle runs the shuffle servers' system job and waits until one
// runs on every client.
func (c *Cluster) startShuffle(ctx context.Context) error {
	image := c.opts.ShuffleImage
	if image == "" {
		image = defaultShuffleImage
	}
	nodes, err := nomad.StartShuffle(ctx, c.API, nomad.ShuffleOptions{Image: image}, true)
	if err != nil {
		return fmt.Errorf("start the shuffle servers: %w", err)
	}
	if len(nodes) != len(c.clients) {
		return fmt.Errorf("shuffle servers run on %d nodes, want one on each of the %d clients", len(nodes), len(c.clients))
	}
	return nil
}

// ShuffleDirs returns the clients' shuffle directories, in client order,
// when the cluster was started with Options.Shuffle.
func (c *Cluster) ShuffleDirs() []string {
	if !c.opts.Shuffle {
		return nil
	}
	dirs := make([]string, len(c.clients))
	for i, a := range c.clients {
		dirs[i] = filepath.Join(c.stateDir, "shuffle", a.name)
	}
	return dirs
}

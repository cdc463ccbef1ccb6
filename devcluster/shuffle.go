package devcluster

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// shufflePort is the shuffle servers' port on hosts of their own: the
// Hadoop ShuffleHandler's, as on real machines.
const shufflePort = 13562

// shuffleDir creates a client's shuffle directory, open to the tasks'
// user, and picks its shuffle server's address: on a host of its own the
// host's address and shufflePort, on 127.0.0.1 a free port.
func (c *Cluster) shuffleDir(client, hostAddr string) (dir, addr string, err error) {
	dir = filepath.Join(c.stateDir, "shuffle", client)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("create shuffle directory of %s: %w", client, err)
	}
	if taskUser() == "" { // tasks and servers run as nobody
		if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
			return "", "", fmt.Errorf("open shuffle directory %s to the tasks' user: %w", dir, err)
		}
	}
	if c.hosts != nil {
		return dir, net.JoinHostPort(hostAddr, strconv.Itoa(shufflePort)), nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", fmt.Errorf("find a free port for %s's shuffle server: %w", client, err)
	}
	defer l.Close()
	return dir, l.Addr().String(), nil
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

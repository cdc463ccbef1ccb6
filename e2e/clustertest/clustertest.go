// Package clustertest is what the system tests on a development cluster
// share (e2e/devcluster, e2e/faults, e2e/scale, e2e/examples): the built
// binaries, a data directory every task can reach, a cluster on free
// ports, the containers of a job on the shared Docker daemon, the
// cluster's plugin processes, and teragen and terasort through the dockmr
// command with the checks of their output. Only tests import it.
package clustertest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/internal/testbin"
)

// Binaries returns the programs `make build nomad` made, in $DOCKMR_BIN
// or the repository's bin/. Tests that need them fail, rather than skip,
// when they are missing.
func Binaries(t testing.TB) devcluster.Binaries {
	t.Helper()
	b, err := nomadtest.FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BinDir is the directory of the built binaries Binaries found.
func BinDir(t testing.TB) string {
	t.Helper()
	return filepath.Dir(Binaries(t).Nomad)
}

// DockmrBinary returns $DOCKMR_BIN/dockmr when `make build` made it, else
// builds cmd/dockmr into a temporary directory.
func DockmrBinary(t testing.TB) string {
	t.Helper()
	path, err := testbin.Build(t.TempDir(), "github.com/dockmr/dockmr/cmd/dockmr", "dockmr")
	must.NoError(t, err)
	return path
}

// DataDir returns a new data directory that the cluster's tasks can reach
// whoever they run as: t.TempDir's parent is closed to other users.
func DataDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dockmr-dev-data-")
	must.NoError(t, err)
	must.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// FreeHTTPPort finds a port p with p+1 and p+2 free as well, for a test
// cluster's server (HTTP, RPC and Serf), so that tests do not take
// Nomad's default ports.
func FreeHTTPPort(t testing.TB) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must.NoError(t, err)
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if p+2 <= 65535 && portsFree(p, p+1, p+2) {
			return p
		}
	}
	t.Fatal("no three consecutive free ports found")
	return 0
}

// portsFree reports whether every port can be bound on 127.0.0.1.
func portsFree(ports ...int) bool {
	for _, p := range ports {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

// Start starts a cluster for a test with opts, closed when the test ends.
// An empty DataDir, HTTPPort or Binaries takes a new data directory, a
// free port and the built binaries. Under -short it skips the test.
func Start(t testing.TB, opts devcluster.Options) *devcluster.Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Nomad agents")
	}
	if opts.DataDir == "" {
		opts.DataDir = DataDir(t)
	}
	if opts.HTTPPort == 0 {
		opts.HTTPPort = FreeHTTPPort(t)
	}
	if opts.Binaries == (devcluster.Binaries{}) {
		opts.Binaries = Binaries(t)
	}
	c, err := devcluster.Start(context.Background(), opts)
	must.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

package devcluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

// TestStartWithoutDocker fails at once, saying which daemon and what to do,
// and starts nothing.
func TestStartWithoutDocker(t *testing.T) {
	_, bins := fakeBinaries(t)
	sock := filepath.Join(t.TempDir(), "docker.sock")
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	dataDir := filepath.Join(t.TempDir(), "data")
	_, err := Start(context.Background(), Options{DataDir: dataDir, HTTPPort: 1, Binaries: bins})
	must.ErrorContains(t, err, "no Docker daemon answers at unix://"+sock)
	must.ErrorContains(t, err, "start one (`make deps` does) or set DOCKER_HOST")
	_, err = os.Stat(dataDir)
	must.True(t, os.IsNotExist(err), must.Sprint("nothing is created"))
}

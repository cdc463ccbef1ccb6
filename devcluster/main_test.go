package devcluster

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/shoenig/test/must"
)

// binEnv names the directory of the built binaries; `make test` sets it.
// Without it the repository's bin/ is used.
const binEnv = "DOCKMR_BIN"

// realBinaries returns the binaries `make build nomad` made. Tests that
// need them fail, rather than skip, when they are missing.
func realBinaries(t testing.TB) Binaries {
	t.Helper()
	dir := os.Getenv(binEnv)
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "bin")
	}
	b, err := FindBinaries(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newDataDir returns a new data directory that the cluster's tasks can reach
// whoever they run as: t.TempDir's parent is closed to other users.
func newDataDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dockmr-dev-data-")
	must.NoError(t, err)
	must.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

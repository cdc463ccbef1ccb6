package nomadtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockmr/dockmr/devcluster"
)

// BinEnv names the environment variable holding the directory of the built
// binaries; `make test` sets it. Without it the repository's bin/ is used.
const BinEnv = "DOCKMR_BIN"

// Binaries locates the programs an end-to-end test runs.
type Binaries = devcluster.Binaries

// FindBinaries locates the Nomad agent, the driver plugin and dockmr-task in
// $DOCKMR_BIN, else in the bin/ directory of the repository holding the
// working directory. It fails rather than letting tests skip when they have
// not been built.
func FindBinaries() (Binaries, error) {
	dir := os.Getenv(BinEnv)
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			return Binaries{}, fmt.Errorf("%s is not set and %w", BinEnv, err)
		}
		dir = filepath.Join(root, "bin")
	}
	b, err := devcluster.FindBinaries(dir)
	if err != nil {
		return Binaries{}, fmt.Errorf("%w (or point %s at the directory holding them)", err, BinEnv)
	}
	return b, nil
}

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("get working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory")
		}
		dir = parent
	}
}

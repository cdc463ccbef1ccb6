package nomadtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// BinEnv names the environment variable holding the directory of the built
// binaries; `make test` sets it. Without it the repository's bin/ is used.
const BinEnv = "DOCKMR_BIN"

// DriverName is the name of the dockmr task driver, which is also the file
// name of its plugin binary.
const DriverName = "dockmr-driver"

// Binaries locates the programs an end-to-end test runs.
type Binaries struct {
	// Nomad is the agent built from this module (bin/nomad).
	Nomad string
	// PluginDir is the agent's plugin_dir, holding the driver plugin.
	PluginDir string
}

// Driver returns the path of the dockmr-driver plugin binary.
func (b Binaries) Driver() string { return filepath.Join(b.PluginDir, DriverName) }

// FindBinaries locates the Nomad agent and the driver plugin in $DOCKMR_BIN,
// else in the bin/ directory of the repository holding the working directory.
// It fails rather than letting tests skip when they have not been built.
func FindBinaries() (Binaries, error) {
	dir := os.Getenv(BinEnv)
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			return Binaries{}, fmt.Errorf("%s is not set and %w", BinEnv, err)
		}
		dir = filepath.Join(root, "bin")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return Binaries{}, fmt.Errorf("binary directory %q: %w", dir, err)
	}
	b := Binaries{Nomad: filepath.Join(dir, "nomad"), PluginDir: filepath.Join(dir, "plugins")}
	for _, p := range []string{b.Nomad, b.Driver()} {
		if err := checkExecutable(p); err != nil {
			return Binaries{}, fmt.Errorf("%w: run `make build nomad` first (or point %s at the directory holding nomad and plugins/%s)",
				err, BinEnv, DriverName)
		}
	}
	return b, nil
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("binary %s not found", path)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
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

// Package testbin builds dockmr's programs for tests that run them as
// processes.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build builds the main package pkg (an import path) as a static binary
// named name in dir and returns its path. When DOCKMR_BIN names a
// directory that holds a binary of that name, as `make test` arranges, it
// returns that one instead.
func Build(dir, pkg, name string) (string, error) {
	if bin := os.Getenv("DOCKMR_BIN"); bin != "" {
		path := filepath.Join(bin, name)
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
	}
	path := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", path, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", pkg, err, out)
	}
	return path, nil
}

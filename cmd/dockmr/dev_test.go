package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// TestDevCommandMissingBinaries checks the error when nothing is built.
func TestDevCommandMissingBinaries(t *testing.T) {
	empty := t.TempDir()
	alone := filepath.Join(empty, "dockmr")
	b, err := os.ReadFile(dockmr)
	must.NoError(t, err)
	must.NoError(t, os.WriteFile(alone, b, 0o755))
	cmd := exec.Command(alone, "dev", "--bin-dir", empty, "--data-dir", t.TempDir())
	cmd.Env = append(os.Environ(), "PATH="+empty, "DOCKMR_BIN=")
	out, err := cmd.CombinedOutput()
	must.Error(t, err)
	must.Eq(t, 1, cmd.ProcessState.ExitCode())
	must.StrContains(t, string(out), "nomad, plugins/dockmr-driver, dockmr-task not found in "+empty)
	must.StrContains(t, string(out), "run `make build nomad`")
}

// TestDevCommandBadFlags checks the usage errors of `dockmr dev`.
func TestDevCommandBadFlags(t *testing.T) {
	for args, want := range map[string]string{
		"--clients 0":       "dev: --clients 0 is out of range; want 1 to 16",
		"--http-port 65534": "dev: --http-port 65534 is out of range",
		"--log-level LOUD":  `dev: --log-level "LOUD"; want TRACE`,
		"--clients x":       "dev: invalid value",
		"extra":             `dev: unexpected argument "extra"`,
		"--data-dir= --x=1": "flag provided but not defined: -x",
	} {
		cmd := exec.Command(dockmr, append([]string{"dev"}, strings.Fields(args)...)...)
		out, err := cmd.CombinedOutput()
		must.Error(t, err, must.Sprint(args))
		must.Eq(t, 2, cmd.ProcessState.ExitCode(), must.Sprintf("%s: %s", args, out))
		must.StrContains(t, string(out), want)
	}
}

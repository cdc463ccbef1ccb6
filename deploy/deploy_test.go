package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// binEnv names the directory of the built binaries, as `make test` sets it.
const binEnv = "DOCKMR_BIN"

// output is what a finished program printed, and how it ended.
type output struct {
	stdout, stderr string
	code           int // exit status; -1 when it did not run or was killed
}

func (o output) String() string {
	return fmt.Sprintf("exit status %d\nstdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
}

// show annotates a failed assertion with the output. The assertion library
// formats annotations once more, so '%' is doubled to print as itself.
func (o output) show() must.Setting {
	return must.Sprint(strings.ReplaceAll(o.String(), "%", "%%"))
}

// run runs a program to its end with the given environment and returns
// what it printed. Only a failure to start it stops the test.
func run(t *testing.T, env []string, name string, args ...string) output {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := output{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		out.code = exit.ExitCode()
	default:
		t.Fatalf("run %s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// cleanEnv is this process's environment without the variables the
// scripts and the Vagrantfile read, plus extra ("NAME=value"), so that a
// setting of the machine running the tests cannot change what they check.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DOCKMR_") && !strings.HasPrefix(kv, "VAGRANT_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// requireTool returns the path of a program the checks run; a missing one
// fails the test rather than skipping it. Only -short skips it.
func requireTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("needs %s; not run with -short", name)
	}
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run deploy/setup.sh as root (it installs Debian's %s package): %v", name, debianPackage, err)
	}
	return path
}

// scriptNeeds checks that a program a script under test runs is on the
// PATH. A missing one skips the test under -short, whose tests need no
// Debian package, and fails it otherwise, naming the package to install.
func scriptNeeds(t *testing.T, name, debianPackage string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	if testing.Short() {
		t.Skipf("-short: the script runs %s, which is missing (Debian's %s package)", name, debianPackage)
	}
	t.Fatalf("the script runs %s, which is missing: run deploy/setup.sh as root (it installs Debian's %s package)", name, debianPackage)
}

// nomadBinary returns the Nomad agent built from this module. Only -short
// skips a test that needs it.
func nomadBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the Nomad agent (make nomad); not run with -short")
	}
	dir := os.Getenv(binEnv)
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "bin")
	}
	path := filepath.Join(dir, "nomad")
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("no Nomad agent at %s: run `make nomad` (or point %s at the directory holding it)", path, binEnv)
	}
	return path
}

// repoRoot is the repository holding this package: the tests run in deploy/.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod: %v", root, err)
	}
	return root
}

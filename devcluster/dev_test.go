package devcluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoenig/test/must"
)

// dockmrBinary returns $DOCKMR_BIN/dockmr when `make build` made it, else
// builds cmd/dockmr into a temporary directory.
func dockmrBinary(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv(binEnv); dir != "" {
		if p := filepath.Join(dir, "dockmr"); checkExecutable(p) == nil {
			return p
		}
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("no caller to find the source directory by")
	}
	out := filepath.Join(t.TempDir(), "dockmr")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/dockmr")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build dockmr: %v\n%s", err, b)
	}
	return out
}

// TestDevCommand runs `dockmr dev` as a user would: it waits for the ready
// line, checks the ready file, interrupts it as Ctrl-C does, and expects
// exit status 0 with no process of the cluster left and its state removed.
func TestDevCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Nomad agents")
	}
	bins := realBinaries(t)
	dataDir := filepath.Join(newDataDir(t), "data")
	readyFile := filepath.Join(t.TempDir(), "dev.env")
	port := freeHTTPPort(t)
	// Every process of the run inherits this, whatever starts it.
	mark := "DOCKMR_DEV_TEST=" + randomID()

	cmd := exec.Command(dockmrBinary(t), "dev", "--bin-dir", filepath.Dir(bins.Nomad),
		"--data-dir", dataDir, "--http-port", fmt.Sprint(port), "--ready-file", readyFile)
	cmd.Env = append(os.Environ(), mark)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	must.NoError(t, err)
	must.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // it may have exited

	lines := bufio.NewScanner(stdout)
	var printed []string
	ready := false
	for !ready && lines.Scan() {
		printed = append(printed, lines.Text())
		ready = lines.Text() == "dockmr dev: ready"
	}
	must.True(t, ready, must.Sprintf("no ready line in:\n%s", strings.Join(printed, "\n")))
	out := strings.Join(printed, "\n")
	must.StrContains(t, out, fmt.Sprintf("export NOMAD_ADDR=http://127.0.0.1:%d DOCKMR_DATA_DIR=%s", port, dataDir))

	env, err := os.ReadFile(readyFile)
	must.NoError(t, err)
	must.Eq(t, fmt.Sprintf("NOMAD_ADDR=http://127.0.0.1:%d\nDOCKMR_DATA_DIR=%s\n", port, dataDir), string(env))
	pids, err := Processes(mark)
	must.NoError(t, err)
	must.Greater(t, 3, len(pids), must.Sprint("dockmr, two agents and a plugin at least"))
	stateDir := stateDirOf(t, out)

	must.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	for lines.Scan() {
		printed = append(printed, lines.Text())
	}
	must.NoError(t, cmd.Wait(), must.Sprintf("output:\n%s", strings.Join(printed, "\n")))
	must.Eq(t, "dockmr dev: stopped", printed[len(printed)-1])

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Processes that were exiting as dockmr returned get a moment to go.
	err = Poll(ctx, "the cluster's processes to end", func() (bool, string, error) {
		pids, err := Processes(mark)
		return len(pids) == 0, fmt.Sprint(pids), err
	})
	must.NoError(t, err)
	_, err = os.Stat(readyFile)
	must.True(t, os.IsNotExist(err), must.Sprint("ready file removed"))
	_, err = os.Stat(stateDir)
	must.True(t, os.IsNotExist(err), must.Sprintf("state directory %s removed", stateDir))
	_, err = os.Stat(dataDir)
	must.NoError(t, err, must.Sprint("data directory kept"))
}

// TestDevCommandMissingBinaries checks the error when nothing is built.
func TestDevCommandMissingBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds dockmr")
	}
	bin := dockmrBinary(t)
	empty := t.TempDir()
	alone := filepath.Join(empty, "dockmr")
	b, err := os.ReadFile(bin)
	must.NoError(t, err)
	must.NoError(t, os.WriteFile(alone, b, 0o755))
	cmd := exec.Command(alone, "dev", "--bin-dir", empty, "--data-dir", t.TempDir())
	cmd.Env = append(os.Environ(), "PATH="+empty, binEnv+"=")
	out, err := cmd.CombinedOutput()
	must.Error(t, err)
	must.Eq(t, 1, cmd.ProcessState.ExitCode())
	must.StrContains(t, string(out), "nomad, plugins/dockmr-driver, dockmr-task not found in "+empty)
	must.StrContains(t, string(out), "run `make build nomad`")
}

func TestDevCommandBadFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds dockmr")
	}
	bin := dockmrBinary(t)
	for args, want := range map[string]string{
		"--clients 0":       "dev: --clients 0 is out of range; want 1 to 16",
		"--http-port 65534": "dev: --http-port 65534 is out of range",
		"--log-level LOUD":  `dev: --log-level "LOUD"; want TRACE`,
		"--clients x":       "dev: invalid value",
		"extra":             `dev: unexpected argument "extra"`,
		"--data-dir= --x=1": "flag provided but not defined: -x",
	} {
		cmd := exec.Command(bin, append([]string{"dev"}, strings.Fields(args)...)...)
		out, err := cmd.CombinedOutput()
		must.Error(t, err, must.Sprint(args))
		must.Eq(t, 2, cmd.ProcessState.ExitCode(), must.Sprintf("%s: %s", args, out))
		must.StrContains(t, string(out), want)
	}
}

// stateDirOf finds the agents' state directory in the log paths printed.
func stateDirOf(t *testing.T, out string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == "agent" && f[1] == "logs" {
			return filepath.Dir(f[2])
		}
	}
	t.Fatalf("no agent logs line in:\n%s", out)
	return ""
}

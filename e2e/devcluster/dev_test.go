package devcluster_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
)

// TestDevCommand runs `dockmr dev` as a user would: it waits for the ready
// line, checks the ready file, interrupts it as Ctrl-C does, and expects
// exit status 0 with no process of the cluster left and its state removed.
func TestDevCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Nomad agents")
	}
	bins := clustertest.Binaries(t)
	dataDir := filepath.Join(clustertest.DataDir(t), "data")
	readyFile := filepath.Join(t.TempDir(), "dev.env")
	port := clustertest.FreeHTTPPort(t)
	// Every process of the run inherits this, whatever starts it.
	mark := fmt.Sprintf("DOCKMR_DEV_TEST=%d-%d", os.Getpid(), time.Now().UnixNano())

	cmd := exec.Command(clustertest.DockmrBinary(t), "dev", "--bin-dir", filepath.Dir(bins.Nomad),
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
	pids, err := devcluster.Processes(mark)
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
	err = devcluster.Poll(ctx, "the cluster's processes to end", func() (bool, string, error) {
		pids, err := devcluster.Processes(mark)
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

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/nomadtest"
)

// freePort returns a loopback port nothing listens on, with the two above
// it, which the dev server takes too, most likely free as well.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// With `dockmr dev --acl`, a job submitted without a token is refused with
// a clear message, and with the management token it prints, the job runs,
// detached too (its application master gets the token).
func TestDevACL(t *testing.T) {
	bins, err := nomadtest.FindBinaries()
	must.NoError(t, err)
	binDir := filepath.Dir(bins.Nomad)
	data, err := os.MkdirTemp("", "dockmr-e2e-acl-")
	must.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(data) })
	ready := filepath.Join(t.TempDir(), "dev.env")

	var dev *exec.Cmd
	var out []string
	var lines *bufio.Scanner
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		dev = exec.Command(filepath.Join(binDir, "dockmr"), "dev", "--acl", "--bin-dir", binDir,
			"--data-dir", data, "--http-port", fmt.Sprint(port), "--ready-file", ready)
		stdout, err := dev.StdoutPipe()
		must.NoError(t, err)
		dev.Stderr = dev.Stdout
		must.NoError(t, dev.Start())
		lines = bufio.NewScanner(stdout)
		out = out[:0]
		for lines.Scan() && lines.Text() != "dockmr dev: ready" {
			out = append(out, lines.Text())
		}
		if lines.Text() == "dockmr dev: ready" {
			break
		}
		_ = dev.Wait() // it failed to start: its output says why
		// The port above the free one may have been taken: try again.
		must.Less(t, 2, attempt, must.Sprintf("dockmr dev --acl did not start:\n%s", strings.Join(out, "\n")))
	}
	t.Cleanup(func() {
		_ = dev.Process.Signal(syscall.SIGINT) // it may have exited
		for lines.Scan() {
		}
		_ = dev.Wait() // interrupted: its exit status is the signal's
	})

	printed := strings.Join(out, "\n")
	fi, err := os.Stat(ready)
	must.NoError(t, err)
	must.Eq(t, os.FileMode(0o600), fi.Mode().Perm(), must.Sprint("the ready file holds the management token"))
	envFile, err := os.ReadFile(ready)
	must.NoError(t, err)
	var addr, token string
	for _, l := range strings.Split(string(envFile), "\n") {
		if v, ok := strings.CutPrefix(l, "NOMAD_TOKEN="); ok {
			token = v
		}
		if v, ok := strings.CutPrefix(l, "NOMAD_ADDR="); ok {
			addr = v
		}
	}
	must.NotEq(t, "", token, must.Sprintf("no NOMAD_TOKEN in the ready file:\n%s", envFile))
	must.StrContains(t, printed, "NOMAD_TOKEN="+token, must.Sprint("the export line carries the token"))
	tokenFile := ""
	for _, l := range out {
		if _, rest, ok := strings.Cut(l, "also in "); ok {
			tokenFile = strings.TrimSuffix(rest, ")")
		}
	}
	fi, err = os.Stat(tokenFile)
	must.NoError(t, err, must.Sprintf("token file named in:\n%s", printed))
	must.Eq(t, os.FileMode(0o600), fi.Mode().Perm())

	job := []string{"teragen", "--image", image, "--data-dir", data, "--maps", "1", "1000"}
	env := []string{"NOMAD_ADDR=" + addr, "NOMAD_TOKEN="}
	r := runCLI(t, env, append(job, filepath.Join(data, "refused"))...)
	t.Log(r.stderr)
	must.Eq(t, 1, r.code, must.Sprint(r.stdout, r.stderr))
	// The error is the last line; only warnings (the job's history could
	// not be read either) may come before it.
	stderr := strings.Split(strings.TrimSpace(r.stderr), "\n")
	must.StrHasPrefix(t, "dockmr: Nomad refused the request: permission denied; set NOMAD_TOKEN", stderr[len(stderr)-1])
	for _, l := range stderr[:len(stderr)-1] {
		must.StrHasPrefix(t, "warning: ", l)
	}

	r = runCLI(t, []string{"NOMAD_ADDR=" + addr, "NOMAD_TOKEN=" + token}, append(job, filepath.Join(data, "out"))...)
	must.Eq(t, 0, r.code, must.Sprint(r.stdout, r.stderr))
	_, err = os.Stat(filepath.Join(data, "out", "_SUCCESS"))
	must.NoError(t, err)

	// A detached job's application master submits the phases from
	// inside the cluster, with the token it was handed.
	withToken := []string{"NOMAD_ADDR=" + addr, "NOMAD_TOKEN=" + token}
	r = runCLI(t, withToken, append(append([]string{job[0], "--detach"}, job[1:]...), filepath.Join(data, "detached"))...)
	must.Eq(t, 0, r.code, must.Sprint(r.stdout, r.stderr))
	id := strings.TrimSpace(r.stdout)
	err = devcluster.Poll(t.Context(), "the detached job to end", func() (bool, string, error) {
		st := runCLI(t, withToken, "status", "--json", id)
		if st.code != 0 {
			return false, st.stderr, nil
		}
		var status struct{ State, Error string }
		if err := json.Unmarshal([]byte(st.stdout), &status); err != nil {
			return false, st.stdout, nil
		}
		return status.State != "running" && status.State != "pending", status.State + " " + status.Error, nil
	})
	must.NoError(t, err)
	_, err = os.Stat(filepath.Join(data, "detached", "_SUCCESS"))
	must.NoError(t, err, must.Sprint(runCLI(t, withToken, "status", id).stdout))
}

package hosts

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster/hosts"
)

// TestDevHostsCommand runs `dockmr dev --hosts 1` as a user would, twice.
// The first run is killed with SIGKILL once ready, leaving its network
// behind; the second removes those leftovers as it starts, gives a
// NOMAD_ADDR that dockmr commands reach from this machine's shell
// through the network's own interface, and removes everything it made
// when interrupted as Ctrl-C does.
func TestDevHostsCommand(t *testing.T) {
	data, err := newDataDir()
	must.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(data) })
	binDir := filepath.Dir(bins.Nomad)

	killed := startDev(t, binDir, data)
	must.NoError(t, killed.cmd.Process.Kill())
	_ = killed.cmd.Wait() // killed: the error says so
	record := filepath.Join(hosts.RecordDir, killed.id+".json")
	_, err = os.Stat(record)
	must.NoError(t, err, must.Sprint("a killed run leaves its record"))

	dev := startDev(t, binDir, data)
	must.StrContains(t, dev.out, "removed the leftovers of")
	must.StrContains(t, dev.out, killed.id)
	_, err = os.Stat(record)
	must.True(t, os.IsNotExist(err), must.Sprint("the next run removed the killed run's network"))
	gone, _ := filepath.Glob("/run/netns/dmr-" + killed.id + "-*")
	must.SliceEmpty(t, gone)

	env, err := os.ReadFile(dev.readyFile)
	must.NoError(t, err)
	addr := regexp.MustCompile(`NOMAD_ADDR=http://([0-9.]+):4646\n`).FindStringSubmatch(string(env))
	must.SliceLen(t, 2, addr, must.Sprint(string(env)))
	route, err := exec.Command("ip", "route", "get", addr[1]).CombinedOutput()
	must.NoError(t, err, must.Sprint(string(route)))
	must.StrContains(t, string(route), "dev dmr"+dev.id, must.Sprint("the server is reached through the network's interface"))
	list := exec.Command(dockmr, "list")
	list.Env = append(os.Environ(), strings.Split(strings.TrimSpace(string(env)), "\n")...)
	out, err := list.CombinedOutput()
	must.NoError(t, err, must.Sprint(string(out)))

	must.NoError(t, dev.cmd.Process.Signal(syscall.SIGINT))
	rest, _ := io.ReadAll(dev.stdout)
	must.NoError(t, dev.cmd.Wait(), must.Sprint(string(rest)))
	must.StrContains(t, string(rest), "dockmr dev: stopped")
	must.NoError(t, dev.left.check())
}

// devRun is a `dockmr dev --hosts 1` that has said it is ready.
type devRun struct {
	cmd       *exec.Cmd
	stdout    io.Reader
	out       string // what it printed up to its ready line
	readyFile string
	id        string // its network's ID
	left      leftovers
}

// startDev starts `dockmr dev --hosts 1` and waits for its ready line.
func startDev(t *testing.T, binDir, data string) *devRun {
	t.Helper()
	r := &devRun{readyFile: filepath.Join(t.TempDir(), "dev.env")}
	r.cmd = exec.Command(dockmr, "dev", "--hosts", "1", "--bin-dir", binDir, "--data-dir", data, "--ready-file", r.readyFile)
	stdout, err := r.cmd.StdoutPipe()
	must.NoError(t, err)
	r.cmd.Stderr = r.cmd.Stdout
	must.NoError(t, r.cmd.Start())
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Signal(syscall.SIGINT) // a test that failed: it is stopped, its end does not matter
			_ = r.cmd.Wait()
		}
	})
	lines := bufio.NewScanner(stdout)
	var printed []string
	for lines.Scan() && lines.Text() != "dockmr dev: ready" {
		printed = append(printed, lines.Text())
	}
	r.out = strings.Join(printed, "\n")
	must.Eq(t, "dockmr dev: ready", lines.Text(), must.Sprint(r.out))
	// The ready line is the last until the run is stopped.
	r.stdout = stdout
	m := regexp.MustCompile(`on (dmr([0-9a-f]{6}))\n`).FindStringSubmatch(r.out + "\n")
	must.SliceLen(t, 3, m, must.Sprintf("the network's interface in:\n%s", r.out))
	r.id = m[2]
	r.left = leftoversOf(r.id)
	return r
}

// TestDevHostsNeedsRoot runs `dockmr dev --hosts 1` as nobody: it says
// that hosts need root, and what to use instead, and makes nothing.
func TestDevHostsNeedsRoot(t *testing.T) {
	cmd := exec.Command(dockmr, "dev", "--hosts", "1", "--data-dir", t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	must.Error(t, err)
	must.StrContains(t, string(out), "--hosts needs root")
	must.StrContains(t, string(out), "--clients 1 for clients on 127.0.0.1")
}

package scale

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
	"github.com/dockmr/dockmr/internal/procstat"
)

// debugAddrEnv is dockmr-driver's opt-in pprof listener (plugin/debug.go).
const debugAddrEnv = "DOCKMR_DRIVER_DEBUG_ADDR"

// leakSlack is how far above its baseline a plugin may settle once its
// tasks are gone: a few pooled Docker API connections (two goroutines and
// a descriptor each) and the runtime's bookkeeping. A leak of one
// goroutine or descriptor per task is far above it.
var leakSlack = procstat.Slack{Goroutines: 12, FDs: 6, HeapAlloc: 4 << 20}

// pluginProbe samples the dockmr-driver process of each client agent
// through /proc and the pprof listener every plugin of the cluster opens
// on a socket named after its PID.
type pluginProbe struct {
	c       *devcluster.Cluster
	sockDir string
}

// debugEnvT makes every plugin the test's clusters start serve pprof on a
// socket in a new directory, and returns that directory. Plugins inherit
// the environment of the agents, which inherit the test's.
func debugEnvT(t *testing.T) string {
	t.Helper()
	// Short, as a socket path must fit in 107 bytes.
	dir, err := os.MkdirTemp("", "dmr-dbg-")
	must.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv(debugAddrEnv, "unix:"+filepath.Join(dir, "driver-{pid}.sock"))
	return dir
}

// pluginPID returns the PID of the dockmr-driver process the client agent
// runs, waiting for it to come up (the agent restarts a plugin that died).
func (p *pluginProbe) pluginPID(ctx context.Context, cl *devcluster.Client) (int, error) {
	var pid int
	err := devcluster.Poll(ctx, "the dockmr-driver plugin of "+cl.Name(), func() (bool, string, error) {
		pids, err := devcluster.Processes(p.c.Marker())
		if err != nil {
			return false, "", err
		}
		var found []int
		for _, candidate := range pids {
			exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", candidate))
			if err != nil || filepath.Base(exe) != contract.DriverName || clustertest.ParentPID(candidate) != cl.PID() {
				continue
			}
			found = append(found, candidate)
		}
		if len(found) != 1 {
			return false, fmt.Sprintf("plugin processes %v", found), nil
		}
		pid = found[0]
		_, err = os.Stat(p.socket(pid))
		return err == nil, fmt.Sprintf("pid %d, socket: %v", pid, err), nil
	})
	return pid, err
}

func (p *pluginProbe) socket(pid int) string {
	return filepath.Join(p.sockDir, fmt.Sprintf("driver-%d.sock", pid))
}

// sample reads the plugin of client cl.
func (p *pluginProbe) sample(ctx context.Context, cl *devcluster.Client) (procstat.Sample, error) {
	pid, err := p.pluginPID(ctx, cl)
	if err != nil {
		return procstat.Sample{}, err
	}
	return procstat.Take(ctx, pid, "unix:"+p.socket(pid))
}

func (p *pluginProbe) sampleT(t *testing.T, cl *devcluster.Client) procstat.Sample {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := p.sample(ctx, cl)
	must.NoError(t, err)
	return s
}

// baseline samples the plugin of cl once it is quiet: two samples a
// second apart with the same goroutines and descriptors, so that the
// streams of tasks just collected have ended.
func (p *pluginProbe) baseline(t *testing.T, cl *devcluster.Client) procstat.Sample {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var prev, last procstat.Sample
	err := devcluster.PollEvery(ctx, time.Second, "the plugin of "+cl.Name()+" to be quiet", func() (bool, string, error) {
		s, err := p.sample(ctx, cl)
		if err != nil {
			return false, err.Error(), nil
		}
		prev, last = last, s
		quiet := prev.PID == s.PID && prev.Goroutines == s.Goroutines && prev.FDs == s.FDs
		return quiet, fmt.Sprintf("%s, then %s", prev, s), nil
	})
	must.NoError(t, err)
	return last
}

// waitSettled polls the plugin of cl until it is back within leakSlack of
// base, and returns the settled sample. The plugin must be the same
// process: a restarted plugin would hide a leak.
func (p *pluginProbe) waitSettled(t *testing.T, cl *devcluster.Client, base procstat.Sample, timeout time.Duration) procstat.Sample {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last procstat.Sample
	err := devcluster.PollEvery(ctx, time.Second, "the plugin of "+cl.Name()+" to settle", func() (bool, string, error) {
		s, err := p.sample(ctx, cl)
		if err != nil {
			return false, err.Error(), nil
		}
		if s.PID != base.PID {
			return false, "", fmt.Errorf("the plugin was restarted (pid %d, then %d)", base.PID, s.PID)
		}
		last = s
		excess := procstat.Excess(base, s, leakSlack)
		return excess == "", excess, nil
	})
	must.NoError(t, err)
	return last
}

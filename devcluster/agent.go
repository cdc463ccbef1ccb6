package devcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/hashicorp/nomad/api"
)

// agentStopTimeout is how long a stopping agent may take before it is
// killed. A client drains nothing on shutdown, so this is plenty.
const agentStopTimeout = 30 * time.Second

// agent is one Nomad agent process of the cluster.
type agent struct {
	name    string // the agent's node name, also its role in messages
	nomad   string
	cfgPath string
	// extraPath is a second configuration file, loaded after cfgPath;
	// empty when there is none.
	extraPath string
	logPath   string
	env       []string
	ports     ports
	// addr is the address the agent listens on.
	addr string
	// netns, when set, is the network namespace the agent runs in (a
	// host's), entered with nsenter.
	netns string
	api   *api.Client // of the agent's own HTTP API

	cmd    *exec.Cmd
	exited chan struct{}
}

// start launches the agent, its output going to its log file.
func (a *agent) start() error {
	logFile, err := os.OpenFile(a.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s log: %w", a.name, err)
	}
	defer logFile.Close()

	args := []string{"agent", "-config", a.cfgPath}
	if a.extraPath != "" {
		args = append(args, "-config", a.extraPath)
	}
	cmd := exec.Command(a.nomad, args...)
	if a.netns != "" {
		// nsenter execs the agent: the process is the agent itself.
		cmd = exec.Command("nsenter", append([]string{"--net=" + a.netns, "--", a.nomad}, args...)...)
	}
	cmd.Env = append(os.Environ(), a.env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group keeps a terminal's Ctrl-C from reaching
		// the agent directly: the cluster stops its jobs first, then the
		// agents in order.
		Setpgid: true,
		// The agent must not outlive a dockmr that is killed outright.
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s agent %s: %w", a.name, a.nomad, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // how it ended is in cmd.ProcessState
		close(exited)
	}()
	a.cmd, a.exited = cmd, exited
	return nil
}

// running reports whether the agent process is alive.
func (a *agent) running() bool {
	if a == nil || a.cmd == nil {
		return false
	}
	select {
	case <-a.exited:
		return false
	default:
		return true
	}
}

// exitError describes how the agent ended.
func (a *agent) exitError() error {
	return fmt.Errorf("%s agent exited (%s); see %s", a.name, a.cmd.ProcessState, a.logPath)
}

// stop interrupts the agent, as Ctrl-C would, and waits for it to exit; it
// kills the agent if it takes longer than agentStopTimeout.
func (a *agent) stop() error {
	if !a.running() {
		return nil
	}
	if err := a.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("interrupt %s agent: %w", a.name, err)
	}
	select {
	case <-a.exited:
		return nil
	case <-time.After(agentStopTimeout):
	}
	if err := a.kill(); err != nil {
		return err
	}
	return fmt.Errorf("%s agent did not stop within %s and was killed", a.name, agentStopTimeout)
}

// kill kills the agent with SIGKILL, as a crash would, and waits until it
// is gone. The plugins and tasks it started keep running.
func (a *agent) kill() error {
	if !a.running() {
		return nil
	}
	if err := a.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s agent: %w", a.name, err)
	}
	<-a.exited
	return nil
}

// address is the agent's HTTP address.
func (a *agent) address() string { return fmt.Sprintf("http://%s:%d", a.addr, a.ports.HTTP) }

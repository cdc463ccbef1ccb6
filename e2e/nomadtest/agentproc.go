package nomadtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// agentProc is one Nomad agent process (server or client) of a cluster.
type agentProc struct {
	role    string
	nomad   string
	cfgPath string
	logPath string
	marker  string

	cmd    *exec.Cmd
	exited chan struct{}
}

// start launches the agent; its output is appended to the cluster's log.
func (p *agentProc) start() error {
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open agent log: %w", err)
	}
	defer logFile.Close()

	cmd := exec.Command(p.nomad, "agent", "-config", p.cfgPath)
	cmd.Env = append(os.Environ(), p.marker)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// The agent must not outlive a test binary that dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s agent %s: %w", p.role, p.nomad, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	p.cmd, p.exited = cmd, exited
	return nil
}

func (p *agentProc) running() bool {
	if p == nil || p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// exitError describes how the agent ended, for a readiness wait to report.
func (p *agentProc) exitError() error {
	return fmt.Errorf("%s agent exited: %s", p.role, p.cmd.ProcessState)
}

// stop interrupts the agent, as Ctrl-C would, and waits for it to exit,
// killing it if it takes more than a minute.
func (p *agentProc) stop() error {
	if !p.running() {
		return nil
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("interrupt %s agent: %w", p.role, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(time.Minute):
		return p.kill()
	}
}

// kill kills the agent with SIGKILL and waits until it is gone.
func (p *agentProc) kill() error {
	if !p.running() {
		return nil
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s agent: %w", p.role, err)
	}
	<-p.exited
	return nil
}

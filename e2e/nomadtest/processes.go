package nomadtest

import (
	"fmt"
	"syscall"
)

// Processes lists every live process the cluster started, directly or not:
// both agents, the plugins and the log collectors, including plugins left
// running by a client agent that was killed. Container processes are started
// by Docker and are not among them.
func (c *Cluster) Processes() ([]Process, error) {
	return processesWithEnv(c.marker)
}

// PluginPID returns the PID of the running plugin process whose binary is
// named name (e.g. "dockmr-driver").
func (c *Cluster) PluginPID(name string) (int, error) {
	procs, err := c.Processes()
	if err != nil {
		return 0, err
	}
	var found []int
	for _, p := range procs {
		if p.Name() == name {
			found = append(found, p.PID)
		}
	}
	switch len(found) {
	case 0:
		return 0, fmt.Errorf("no %s process of cluster %s is running", name, c.name)
	case 1:
		return found[0], nil
	default:
		return 0, fmt.Errorf("cluster %s has %d %s processes: %v", c.name, len(found), name, found)
	}
}

// KillPlugin kills the named plugin process with SIGKILL, as a crash would,
// and returns the PID it had.
func (c *Cluster) KillPlugin(name string) (int, error) {
	pid, err := c.PluginPID(name)
	if err != nil {
		return 0, err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return 0, fmt.Errorf("kill %s (pid %d): %w", name, pid, err)
	}
	return pid, nil
}

// killLeftovers kills the processes the cluster started that outlived its agents.
func (c *Cluster) killLeftovers() error {
	procs, err := c.Processes()
	if err != nil {
		return err
	}
	for _, p := range procs {
		syscall.Kill(p.PID, syscall.SIGKILL)
	}
	return nil
}

package nomadtest

import (
	"fmt"
	"syscall"
)

// keeperEnv is set in the environment of dockmr-driver's FIFO keeper: one
// process per machine, shared by every agent there, which the first plugin
// to need it starts (so it inherits that cluster's marker).
const keeperEnv = "DOCKMR_FIFO_KEEPER_SOCKET"

// IsFIFOKeeper reports whether p is dockmr-driver's machine-wide FIFO keeper.
func (p Process) IsFIFOKeeper() bool { return p.Getenv(keeperEnv) != "" }

// FIFOKeepers lists the FIFO keeper processes running on the machine,
// whichever cluster's plugin started them.
func FIFOKeepers() ([]Process, error) {
	return processesWithEnvKey(keeperEnv)
}

// Processes lists every live process the cluster started, directly or not:
// both agents, the plugins and the log collectors, including plugins left
// running by a client agent that was killed, and the FIFO keeper if this
// cluster's plugin started it. Container processes are started by Docker and
// are not among them.
func (c *Cluster) Processes() ([]Process, error) {
	return processesWithEnv(c.dev.Marker())
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
		if p.Name() == name && !p.IsFIFOKeeper() {
			found = append(found, p.PID)
		}
	}
	switch len(found) {
	case 0:
		return 0, fmt.Errorf("no %s process of the cluster in %s is running", name, c.Dir())
	case 1:
		return found[0], nil
	default:
		return 0, fmt.Errorf("the cluster in %s has %d %s processes: %v", c.Dir(), len(found), name, found)
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

package devcluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// markerEnv is set in the agents' environment with a value unique to the
// cluster. Plugins, log collectors and executors inherit it, which is how
// the processes of this cluster are found after its agents are gone.
const markerEnv = "DOCKMR_DEV_CLUSTER"

// fifoKeeperEnv marks dockmr-driver's FIFO keeper: one process per machine
// that every plugin there shares, which exits by itself once idle.
const fifoKeeperEnv = "DOCKMR_FIFO_KEEPER_SOCKET"

// Processes returns the IDs of the live processes whose environment holds
// env exactly ("KEY=value"), leaving out dockmr-driver's FIFO keeper.
func Processes(env string) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		environ, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue // gone, or not ours to read
		}
		if hasEntry(environ, []byte(env)) && !hasKey(environ, fifoKeeperEnv) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// killLeftovers kills what the cluster's agents started and left running:
// plugins and log collectors of tasks the agents no longer track.
func (c *Cluster) killLeftovers() error {
	pids, err := Processes(c.marker)
	if err != nil {
		return err
	}
	var errs []error
	for _, pid := range pids {
		// One that ended meanwhile (ESRCH) needs no kill.
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill leftover process %d: %w", pid, err))
		}
	}
	return errors.Join(errs...)
}

func hasEntry(environ, entry []byte) bool {
	for kv := range bytes.SplitSeq(environ, []byte{0}) {
		if bytes.Equal(kv, entry) {
			return true
		}
	}
	return false
}

func hasKey(environ []byte, key string) bool {
	prefix := []byte(key + "=")
	for kv := range bytes.SplitSeq(environ, []byte{0}) {
		if bytes.HasPrefix(kv, prefix) {
			return true
		}
	}
	return false
}

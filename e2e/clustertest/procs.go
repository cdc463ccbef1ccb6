package clustertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/devcluster"
)

// PluginPIDs are the cluster's dockmr-driver processes, only those whose
// parent is parent unless parent is 0.
func PluginPIDs(t testing.TB, c *devcluster.Cluster, parent int) []int {
	t.Helper()
	pids, err := devcluster.Processes(c.Marker())
	must.NoError(t, err)
	var out []int
	for _, pid := range pids {
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil || filepath.Base(exe) != contract.DriverName {
			continue
		}
		if parent == 0 || ParentPID(pid) == parent {
			out = append(out, pid)
		}
	}
	return out
}

// ParentPID reads a process's parent ID from /proc, 0 if it is gone.
func ParentPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields start
	// after its closing parenthesis ("state ppid ...").
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

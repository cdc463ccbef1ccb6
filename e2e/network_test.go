package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// The container shares the host's network namespace (the driver sets host
// networking itself) but keeps its own PID namespace.
func TestHostNetwork(t *testing.T) {
	c := shared(t)
	alloc := runScript(t, c, "readlink /proc/self/ns/net; readlink /proc/self/ns/pid; echo done; exec sleep 600", nil)
	alloc = waitRunning(t, c, alloc.ID)
	out := waitStdout(t, c, alloc.ID, "done\n")

	lines := strings.Split(strings.TrimSpace(out), "\n")
	must.SliceLen(t, 3, lines)
	hostNet, err := os.Readlink("/proc/self/ns/net")
	must.NoError(t, err)
	hostPID, err := os.Readlink("/proc/self/ns/pid")
	must.NoError(t, err)
	must.Eq(t, hostNet, lines[0], must.Sprint("container network namespace is not the host's"))
	must.NotEq(t, hostPID, lines[1], must.Sprint("container must keep its own PID namespace"))

	must.Eq(t, "host", string(inspect(t, alloc).HostConfig.NetworkMode))
	must.NoError(t, c.StopAlloc(alloc.ID))
}

// The node advertises dockmr-driver with the daemon's versions, so jobs can
// constrain on them.
func TestFingerprintAttributes(t *testing.T) {
	c := shared(t)
	node, _, err := c.API.Nodes().Info(c.NodeID, nil)
	must.NoError(t, err)
	info := node.Drivers["dockmr-driver"]
	must.NotNil(t, info)
	must.True(t, info.Healthy)
	for _, attr := range []string{"version", "api_version", "cgroup_version"} {
		v := info.Attributes["driver.dockmr-driver."+attr]
		must.NotEq(t, "", v, must.Sprintf("attribute %s missing from %v", attr, info.Attributes))
		must.Eq(t, v, node.Attributes["driver.dockmr-driver."+attr])
	}
	must.Eq(t, "1", node.Attributes["driver.dockmr-driver"], must.Sprintf("%v", node.Attributes))
}

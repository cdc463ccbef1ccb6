package hosts

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// addrSpec is a map-only streaming job whose every task prints the IPv4
// addresses it sees, one "interface<TAB>address allocation" line each,
// with its allocation's ID, so that each can be matched with the node
// Nomad ran it on.
const addrSpec = `job "addresses" {
  image  = "dockmr/examples:dev"
  input  = ["input"]
  output = "out"

  map {
    command = ["sh", "-c", "cat >/dev/null; ip -o -4 addr show | awk -v a=\"$NOMAD_ALLOC_ID\" '{ print $2 \"\\t\" $4 \" \" a }'"]
    tasks   = %d
  }
}
`

// TestTaskSeesItsNode runs a task on every host and reads, from inside
// each, the network it sees: its loopback and its own node's address, and
// nothing else (not the machine's interfaces, not another host's).
func TestTaskSeesItsNode(t *testing.T) {
	dir := filepath.Join(cluster.DataDir(), "addresses")
	must.NoError(t, os.MkdirAll(filepath.Join(dir, "input"), 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	var input strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&input, "line %d\n", i)
	}
	must.NoError(t, os.WriteFile(filepath.Join(dir, "input", "lines.txt"), []byte(input.String()), 0o644))
	spec := filepath.Join(dir, "addresses.hcl")
	must.NoError(t, os.WriteFile(spec, fmt.Appendf(nil, addrSpec, clusterHosts), 0o644))

	cmd := exec.Command(dockmr, "run", "--data-dir", cluster.DataDir(), spec)
	cmd.Env = env(cluster)
	out, err := cmd.CombinedOutput()
	must.NoError(t, err, must.Sprint(string(out)))

	addrOf := map[string]string{} // node name → host address
	for _, h := range cluster.Hosts() {
		addrOf[h.Client().Name()] = h.Addr().String()
	}
	parts, err := filepath.Glob(filepath.Join(dir, "out", "part-m-*"))
	must.NoError(t, err)
	must.Len(t, clusterHosts, parts)
	seen := map[string]bool{} // host addresses the tasks saw
	for _, p := range parts {
		b, err := os.ReadFile(p)
		must.NoError(t, err)
		ifaces := map[string]string{}
		var alloc string
		for line := range strings.Lines(strings.TrimSpace(string(b))) {
			iface, rest, ok := strings.Cut(strings.TrimSpace(line), "\t")
			must.True(t, ok, must.Sprintf("%s: %q", p, line))
			addr, id, _ := strings.Cut(rest, " ")
			ifaces[iface], alloc = addr, id
		}
		a, _, err := cluster.API.Allocations().Info(alloc, nil)
		must.NoError(t, err, must.Sprintf("%s: allocation %q", p, alloc))
		want := addrOf[a.NodeName]
		must.NotEq(t, "", want, must.Sprintf("node %s is one of the hosts", a.NodeName))
		must.Eq(t, map[string]string{"lo": "127.0.0.1/8", "eth0": fmt.Sprintf("%s/%d", want, cluster.Network().Subnet().Bits())}, ifaces,
			must.Sprintf("%s, on %s, sees its loopback and its node's address only", p, a.NodeName))
		seen[want] = true
	}
	must.MapLen(t, clusterHosts, seen, must.Sprint("a task ran on every host"))
}

package devcluster_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
)

// TestClientRestart kills a client agent and stops another, then restarts
// both on their state: each comes back as the same node, answering on the
// same address, with the agents still logging to the one shared file.
func TestClientRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Nomad agents")
	}
	c, err := devcluster.Start(context.Background(), devcluster.Options{
		DataDir:      clustertest.DataDir(t),
		Clients:      2,
		HTTPPort:     devcluster.AnyHTTPPort,
		Binaries:     clustertest.Binaries(t),
		ClientConfig: "client {\n  gc_interval = \"1h\"\n}\n",
		LogLevel:     "DEBUG",
		LogFile:      "nomad.log",
	})
	must.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	must.Eq(t, []string{c.LogFile(), c.LogFile(), c.LogFile()}, c.LogPaths())

	clients := c.Clients()
	must.Len(t, 2, clients)
	for i, stop := range []func(*devcluster.Client) error{(*devcluster.Client).Kill, (*devcluster.Client).Stop} {
		cl := clients[i]
		oldPID, node := cl.PID(), cl.NodeID()
		must.Eq(t, c.NodeIDs()[i], node)
		must.NoError(t, stop(cl))
		must.False(t, cl.Running())
		must.NoError(t, cl.Restart(context.Background()))
		must.True(t, cl.Running())
		must.NotEq(t, oldPID, cl.PID())
		must.Eq(t, node, cl.NodeID())
		self, err := cl.API().Agent().Self()
		must.NoError(t, err)
		must.Eq(t, node, self.Stats["client"]["node_id"])
	}
	must.ErrorContains(t, clients[0].Restart(context.Background()), "still running")

	log, err := os.ReadFile(c.LogFile())
	must.NoError(t, err)
	must.StrContains(t, string(log), "[DEBUG]")
	must.Eq(t, 1, strings.Count(string(log), "Server: true"), must.Sprint("the server logs there"))
	must.Eq(t, 4, strings.Count(string(log), "Client: true"), must.Sprint("each client start logs there"))
	_, err = os.Stat(clients[0].DataDir())
	must.NoError(t, err)
}

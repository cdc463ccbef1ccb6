package shuffle

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/history"
	"github.com/dockmr/dockmr/jobs/nomad"
)

// hostsCluster starts a cluster of three client hosts, each in a network
// namespace of its own with its own address, Docker daemon and shuffle
// server, for the test alone.
func hostsCluster(t *testing.T) *devcluster.Cluster {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: every host is a network namespace with its own Docker daemon")
	}
	data, err := os.MkdirTemp("", "dockmr-e2e-shuffle-hosts-")
	must.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(data) })
	must.NoError(t, os.Chmod(data, 0o755))
	b, err := devcluster.FindBinaries(bins)
	must.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := devcluster.Start(ctx, devcluster.Options{
		DataDir: data, Hosts: 3, Images: []string{exampleImage}, Binaries: b, Shuffle: true,
		ServerConfig: "server {\n  heartbeat_grace = \"2s\"\n  min_heartbeat_ttl = \"2s\"\n}\n",
		LogFile:      "nomad.log",
	})
	must.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = nomad.StartShuffle(ctx, c.API, nomad.ShuffleOptions{Image: exampleImage}, true)
	must.NoError(t, err)
	return c
}

// TestAcrossHosts runs terasort with node shuffle on three hosts: the
// reduces fetch across the hosts' network, and read their own host's
// maps in place. Then a host holding a committed map's output is cut off
// before the reduces fetch it: the map runs again on a host left, and
// the job ends with the exact answer, the re-run in its history.
func TestAcrossHosts(t *testing.T) {
	c := hostsCluster(t)
	on := clusterEnv{c}
	in, want := on.teragen(t, "300k")
	s, out, err := on.terasort(t, in)
	must.NoError(t, err)
	must.Eq(t, want, s.Checksum)
	t.Logf("across hosts: %d bytes read in place, %d fetched", s.Reduce.ShuffleLocalBytes, s.Reduce.ShuffleRemoteBytes)
	must.Positive(t, s.Reduce.ShuffleLocalBytes)
	must.Positive(t, s.Reduce.ShuffleRemoteBytes)
	teravalidate(t, out, want)
	on.checkNoShuffleData(t, s.ID)

	t.Run("host cut after its map committed", func(t *testing.T) {
		in2 := filepath.Join(filepath.Dir(in), "cut", "in")
		must.NoError(t, os.MkdirAll(filepath.Dir(in2), 0o755))
		must.NoError(t, os.Rename(in, in2))
		var cut *devcluster.Host
		wait := onFirstMapCommit(t, filepath.Join(filepath.Dir(in2), "out"), func(_ string, m *jobs.Manifest) {
			for _, h := range c.Hosts() {
				if cl := h.Client(); cl != nil && cl.Name() == m.Shuffle.Node {
					cut = h
				}
			}
			if cut != nil {
				if err := cut.Cut(context.Background()); err != nil {
					t.Errorf("cut host %s: %v", cut.Name(), err)
				}
			}
		})
		s, out, err := on.terasort(t, in2)
		must.True(t, wait(), must.Sprint("no map committed while the job ran"))
		must.NotNil(t, cut, must.Sprint("the committed map's host was not found"))
		t.Cleanup(func() { _ = cut.Restore(context.Background()) })
		must.NoError(t, err)
		must.Eq(t, want, s.Checksum)
		teravalidate(t, out, want)
		rec, err := history.Read(filepath.Join(out, jobs.HistoryDir, s.ID+".json"))
		must.NoError(t, err)
		var reruns []string
		for _, ph := range rec.Phases {
			if ph.Reason != "" {
				reruns = append(reruns, string(ph.Kind)+": "+ph.Reason)
			}
		}
		t.Logf("host %s cut; re-runs: %q", cut.Name(), reruns)
		must.SliceNotEmpty(t, reruns, must.Sprint("the cut host's map ran again"))
		must.NoError(t, cut.Restore(context.Background()))
		waitNodeReady(t, c)
	})
}

// waitNodeReady waits until every node is ready again.
func waitNodeReady(t *testing.T, c *devcluster.Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	must.NoError(t, devcluster.Poll(ctx, "every node ready", func() (bool, string, error) {
		nodes, _, err := c.API.Nodes().List(nil)
		if err != nil {
			return false, err.Error(), nil
		}
		for _, n := range nodes {
			if n.Status != api.NodeStatusReady {
				return false, n.Name + " " + n.Status, nil
			}
		}
		return true, "", nil
	}))
}

package hosts

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
)

// TestDetachedJob submits a terasort with --detach: its application
// master, on whichever host Nomad picks, reaches the server across the
// network and drives the phases, which run on the hosts, to the end.
func TestDetachedJob(t *testing.T) {
	j := newTeraJob(t, cluster, "detached")
	j.start("--detach")
	must.NoError(t, j.cmd.Wait(), must.Sprint(j.stderr.String()))
	var submitted struct {
		ID string `json:"id"`
	}
	must.NoError(t, json.Unmarshal(j.stdout.Bytes(), &submitted), must.Sprint(j.stdout.String()))
	id := submitted.ID
	must.NotEq(t, "", id)

	var status struct {
		State  string `json:"state"`
		Error  string `json:"error"`
		Result struct {
			Checksum string `json:"checksum"`
		} `json:"result"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), teraTimeout)
	defer cancel()
	err := devcluster.PollEvery(ctx, 500*time.Millisecond, "the detached job to end", func() (bool, string, error) {
		cmd := exec.Command(dockmr, "status", "--json", id)
		cmd.Env = env(cluster)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return false, fmt.Sprintf("%v: %s", err, out), nil
		}
		if err := json.Unmarshal(out, &status); err != nil {
			return false, string(out), nil
		}
		return status.State != "running" && status.State != "pending", status.State + " " + status.Error, nil
	})
	must.NoError(t, err)
	must.Eq(t, "complete", status.State, must.Sprint(status.Error))
	// The job is complete once its output is committed; its application
	// master then removes the staging directory and exits. The output's
	// layout is checked once it has.
	waitNoContainers(t, cluster, id)
	j.checkOutput(status.Result.Checksum)

	am := jobNodes(t, cluster, id, "am")
	must.MapLen(t, 1, am, must.Sprintf("one application master: %v", am))
	nodes := jobNodes(t, cluster, id, "map", "reduce")
	must.MapLen(t, clusterHosts, nodes, must.Sprintf("the phases ran on every host: %v", nodes))
}

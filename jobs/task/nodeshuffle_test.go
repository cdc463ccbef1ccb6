package task

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/shuffle"
	"github.com/dockmr/dockmr/tera"
)

// testNodes starts n shuffle servers on loopback, each with its own
// shuffle directory.
func testNodes(t *testing.T, n int) []NodeShuffle {
	var nodes []NodeShuffle
	for i := range n {
		dir := t.TempDir()
		srv := httptest.NewServer(&shuffle.Server{Store: shuffle.Store{Dir: dir}})
		t.Cleanup(srv.Close)
		nodes = append(nodes, NodeShuffle{Dir: dir, Addr: strings.TrimPrefix(srv.URL, "http://"), Node: string(rune('a' + i))})
	}
	return nodes
}

func TestNodeShuffleTeraSort(t *testing.T) {
	in, sum := teraInput(t, tera.Binary, 20000, 5000)
	out := filepath.Join(t.TempDir(), "out")
	// A small sort buffer makes reduces spill fetched segments to disk.
	job := teraSortJob(t, in, out, 4, 3, jobs.Settings{Shuffle: jobs.NodeShuffle, SortMB: 1})
	r := &inProcess{t: t, nodes: testNodes(t, 2)}
	res, _, err := runJob(t, r, job)
	if err != nil {
		t.Fatal(err)
	}
	checkTeraSorted(t, out, sum, 20000)
	if !bytes.Equal(readParts(t, out), sortedInput(t, in)) {
		t.Error("output is not the input sorted")
	}
	c := res.Reduce
	if c.ShuffleLocalBytes == 0 || c.ShuffleRemoteBytes == 0 || c.ShuffleLocalBytes+c.ShuffleRemoteBytes != c.ShuffleBytes {
		t.Errorf("shuffle bytes: %d local + %d remote, want both > 0 and adding up to %d", c.ShuffleLocalBytes, c.ShuffleRemoteBytes, c.ShuffleBytes)
	}
}

func TestSlowStartTakesMapsAsTheyCommit(t *testing.T) {
	in, sum := teraInput(t, tera.Binary, 20000, 2500)
	out := filepath.Join(t.TempDir(), "out")
	job := teraSortJob(t, in, out, 8, 3, jobs.Settings{Shuffle: jobs.NodeShuffle, SlowStart: 0.5})
	plan, err := jobs.NewPlan(job)
	if err != nil {
		t.Fatal(err)
	}
	r := &inProcess{t: t, nodes: testNodes(t, 2)}
	res, err := jobs.Run(context.Background(), slowStarting{r}, plan)
	if err != nil {
		t.Fatal(err)
	}
	checkTeraSorted(t, out, sum, 20000)
	if !bytes.Equal(readParts(t, out), sortedInput(t, in)) {
		t.Error("output is not the input sorted")
	}
	if res.Reduce.ShuffleRemoteBytes == 0 {
		t.Error("no map output was fetched")
	}
}

func TestLostMapOutputIsRerun(t *testing.T) {
	in, sum := teraInput(t, tera.Binary, 20000, 5000)
	out := filepath.Join(t.TempDir(), "out")
	job := teraSortJob(t, in, out, 4, 3, jobs.Settings{Shuffle: jobs.NodeShuffle})
	nodes := testNodes(t, 2)
	var lostAttempt string
	r := &inProcess{t: t, nodes: nodes, afterMaps: func(plan *jobs.Plan) {
		// Node a loses its copy of map 0's output.
		m, err := plan.ReadManifest(jobs.MapTask, 0)
		if err != nil {
			t.Fatal(err)
		}
		lostAttempt = m.Attempt
		if err := os.RemoveAll(shuffle.Store{Dir: nodes[0].Dir}.AttemptDir(plan.ID, m.Attempt)); err != nil {
			t.Fatal(err)
		}
	}}
	_, plan, err := runJob(t, r, job)
	if err != nil {
		t.Fatal(err)
	}
	checkTeraSorted(t, out, sum, 20000)
	if !bytes.Equal(readParts(t, out), sortedInput(t, in)) {
		t.Error("output is not the input sorted")
	}
	if r.reruns.Load() != 2 { // the map, then the reduces
		t.Errorf("%d re-runs, want the lost map's and the reduce phase's", r.reruns.Load())
	}
	if lostAttempt == "" || plan == nil {
		t.Fatal("no map output was taken away")
	}
}

func TestLostMapsPlan(t *testing.T) {
	committed := map[int]string{0: "x", 1: "y2", 2: "z"}
	reports := []jobs.LostReport{
		{Maps: []int{2, 0}, Attempts: []string{"z", "x"}},
		{Maps: []int{1, 2}, Attempts: []string{"y", "z"}}, // map 1 re-ran already
	}
	got := jobs.LostMaps(reports, func(m int) string { return committed[m] })
	if len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Errorf("LostMaps = %v, want [0 2]", got)
	}
}

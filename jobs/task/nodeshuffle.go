package task

import (
	"os"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/shuffle"
)

// usesNode reports whether the attempt keeps its data on the node: a job
// with node shuffle and reduces, on a node with a shuffle directory. The
// local runner gives none, so its maps' output stays in their attempt
// directories and the reduces read it in place.
func (a *attempt) usesNode() bool {
	return a.plan.Job.Settings.Shuffle == jobs.NodeShuffle && a.plan.Reduces() > 0 &&
		a.shuffle.Dir != "" && a.plan.Job.Map.Func != jobs.TeraGen
}

// store is the node's shuffle directory.
func (a *attempt) store() shuffle.Store { return shuffle.Store{Dir: a.shuffle.Dir} }

// startLocal makes the attempt's directory on the node's disk, where a
// map's spills and output and a reduce's fetched segments and merges go.
func (a *attempt) startLocal() error {
	if !a.usesNode() {
		return nil
	}
	secret, err := a.plan.ShuffleSecret()
	if err != nil {
		return err
	}
	dir, err := a.store().StartAttempt(a.plan.ID, a.id, secret)
	if err != nil {
		return err
	}
	a.local, a.work = dir, dir
	return nil
}

// dropLocal removes what the attempt left on the node's disk unpublished.
func (a *attempt) dropLocal() {
	if a.local != "" {
		os.RemoveAll(a.local)
		a.local = ""
	}
}

// publishLocal makes a map's output on the node servable and names it in
// the manifest. Output in the attempt directory needs nothing.
func (a *attempt) publishLocal() error {
	if a.local == "" || a.kind != jobs.MapTask {
		return nil
	}
	segs := make([]shuffle.Segment, len(a.manifest.Segments))
	for i, s := range a.manifest.Segments {
		segs[i] = shuffle.Segment{Offset: s.Offset, Length: s.Length}
	}
	if err := a.store().FinishAttempt(a.plan.ID, a.id, a.local, segs); err != nil {
		return err
	}
	a.local = "" // published: it stays until the job ends
	a.manifest.Shuffle = &jobs.ShuffleLocation{Node: a.shuffle.Node, Addr: a.shuffle.Addr}
	return nil
}

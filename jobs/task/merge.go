package task

import (
	"errors"
	"io"
	"os"
)

// merger merges sorted runs with a loser tree: each record costs about
// log2(runs) comparisons, most of them of 8-byte key prefixes. Records with
// equal keys come out in the order of their runs, so merging is stable.
type merger struct {
	runs []*runReader
	// tree[1:] holds the loser of the match at each internal node, tree[0]
	// the overall winner. Run i plays from leaf len(runs)+i.
	tree []int
	// last is the run whose record next returned, advanced on the next call.
	last int
}

// newMerger starts a merge of opened runs; the merger closes them.
func newMerger(runs []*runReader) (*merger, error) {
	m := &merger{runs: runs, tree: make([]int, max(len(runs), 1)), last: -1}
	for i := range m.tree {
		m.tree[i] = -1
	}
	for i, r := range runs {
		if err := r.advance(); err != nil {
			m.close()
			return nil, err
		}
		m.play(i)
	}
	return m, nil
}

// next returns the smallest remaining record, valid until the next call,
// or io.EOF when every run is exhausted.
func (m *merger) next() ([]byte, error) {
	if len(m.runs) == 0 {
		return nil, io.EOF
	}
	if m.last >= 0 {
		if err := m.runs[m.last].advance(); err != nil {
			return nil, err
		}
		m.play(m.last)
	}
	w := m.tree[0]
	m.last = w
	if m.runs[w].rec == nil {
		return nil, io.EOF
	}
	return m.runs[w].rec, nil
}

// play replays the matches from run w's leaf to the root. While the tree
// fills, a node seen for the first time keeps the player and the play stops.
func (m *merger) play(w int) {
	for node := (w + len(m.runs)) / 2; node > 0; node /= 2 {
		if m.tree[node] < 0 {
			m.tree[node] = w
			return
		}
		if m.less(m.tree[node], w) {
			m.tree[node], w = w, m.tree[node]
		}
	}
	m.tree[0] = w
}

// less orders runs by their current records; an exhausted run is last and
// equal keys go by run order.
func (m *merger) less(a, b int) bool {
	ra, rb := m.runs[a], m.runs[b]
	switch {
	case rb.rec == nil:
		return ra.rec != nil || a < b
	case ra.rec == nil:
		return false
	}
	if ra.prefix != rb.prefix {
		return ra.prefix < rb.prefix
	}
	if c := ra.framing.compareKeys(ra.prefix, ra.key, rb.prefix, rb.key); c != 0 {
		return c < 0
	}
	return a < b
}

// close closes the runs and removes those that were intermediate.
func (m *merger) close() error {
	var errs []error
	for _, r := range m.runs {
		r.close()
		if r.temp {
			errs = append(errs, os.Remove(r.path))
		}
	}
	return errors.Join(errs...)
}

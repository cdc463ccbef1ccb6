package task

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs"
)

// spill is a sorted file of map output: one sorted segment per partition,
// in partition order.
type spill struct {
	path string
	segs []jobs.Segment
}

// partitionRuns returns partition p's non-empty segments of spills as runs.
func partitionRuns(spills []spill, p int) []run {
	var runs []run
	for _, s := range spills {
		if seg := s.segs[p]; seg.Length > 0 {
			runs = append(runs, run{path: s.path, offset: seg.Offset, length: seg.Length})
		}
	}
	return runs
}

// finishMapOutput makes the map's output file out of its spills: the only
// spill becomes it as is, several are merged partition by partition.
func (a *attempt) finishMapOutput(spills []spill, f framing, parts int) (err error) {
	merging := a.step("merge", telemetry.Runs.Int(len(spills)))
	defer func() { endStep(merging, err) }()
	final := filepath.Join(a.work, jobs.MapOutputFile)
	a.manifest.Counters.Spills += uint64(len(spills))
	if len(spills) == 1 {
		if err := os.Rename(spills[0].path, final); err != nil {
			return fmt.Errorf("map output: %w", err)
		}
		a.manifest.Segments = spills[0].segs
		return a.publishLocal()
	}
	file, err := os.Create(final)
	if err != nil {
		return fmt.Errorf("map output: %w", err)
	}
	defer file.Close()
	w := bufio.NewWriterSize(file, ioBufSize)
	segs := make([]jobs.Segment, parts)
	var off int64
	for p := range segs {
		m, err := a.openMerge(partitionRuns(spills, p), f)
		if err != nil {
			return err
		}
		n, records, err := a.writeSorted(m.next, w, a.combineMerge(len(spills)))
		if cerr := m.close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("merge spills into map output: %w", err)
		}
		segs[p] = jobs.Segment{Offset: off, Length: n, Records: records}
		off += n
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("map output: %w", err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("map output: %w", err)
	}
	for _, s := range spills {
		os.Remove(s.path)
	}
	a.manifest.Segments = segs
	return a.publishLocal()
}

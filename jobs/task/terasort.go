package task

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/tera"
)

// sortOverhead bounds what tera.SortRecordsTo needs per record besides
// the sorted copy.
const sortOverhead = 4

// sortTeraSplit is the identity map of tera records under an ordered
// partitioner (TeraSort's map). It reads the split through a read-only
// mapping and radix-sorts it, in chunks as large as the memory bound
// allows, straight into spill files, the partitions being consecutive
// ranges of sorted records.
func (a *attempt) sortTeraSplit(split jobs.Split) error {
	read := a.step("read", telemetry.Bytes.Int64(split.Length))
	data, unmap, err := a.readSplit(split)
	endStep(read, err)
	if err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	defer unmap()
	chunk := max(1, a.sortBytes()/(tera.RecordSize+sortOverhead)) * tera.RecordSize
	partition := a.partitioner()
	var spills []spill
	var buf []byte // for file systems that cannot map the spill
	for off := 0; off < len(data); off += chunk {
		src := data[off:min(off+chunk, len(data))]
		s, err := a.sortToSpill(src, partition, &buf)
		if err != nil {
			return fmt.Errorf("spill: %w", err)
		}
		spills = append(spills, s)
		records := uint64(len(src) / tera.RecordSize)
		a.manifest.Counters.RecordsIn += records
		a.manifest.Counters.RecordsOut += records
		a.manifest.Counters.BytesOut += uint64(len(src))
	}
	return a.finishMapOutput(spills, teraFraming, a.plan.Reduces())
}

// sortToSpill sorts records into a new spill file, through a mapping of
// the file or else through buf.
func (a *attempt) sortToSpill(src []byte, partition func([]byte) int, buf *[]byte) (spill, error) {
	s := spill{path: a.tempPath("spill")}
	out, err := createMapped(s.path, len(src))
	switch {
	case err == nil:
		sorting := a.step("sort", telemetry.Records.Int(len(src)/tera.RecordSize))
		err := tera.SortRecordsTo(out.data, src)
		endStep(sorting, err)
		if err != nil {
			out.abandon()
			return spill{}, err
		}
		s.segs = a.sortedSegments(out.data, partition)
		writing := a.step("spill", telemetry.Bytes.Int(len(src)))
		err = out.close()
		endStep(writing, err)
		return s, err
	case !errors.Is(err, errNoMapping):
		return spill{}, err
	}
	if cap(*buf) < len(src) {
		*buf = make([]byte, len(src))
	}
	sorted := (*buf)[:len(src)]
	sorting := a.step("sort", telemetry.Records.Int(len(src)/tera.RecordSize))
	err = tera.SortRecordsTo(sorted, src)
	endStep(sorting, err)
	if err != nil {
		return spill{}, err
	}
	s.segs = a.sortedSegments(sorted, partition)
	writing := a.step("spill", telemetry.Bytes.Int(len(src)))
	err = os.WriteFile(s.path, sorted, 0o644)
	endStep(writing, err)
	return s, err
}

// sortedSegments returns the segment of each partition in sorted records,
// found by binary search.
func (a *attempt) sortedSegments(sorted []byte, partition func([]byte) int) []jobs.Segment {
	n := len(sorted) / tera.RecordSize
	key := func(i int) []byte { return sorted[i*tera.RecordSize : i*tera.RecordSize+tera.KeySize] }
	segs := make([]jobs.Segment, a.plan.Reduces())
	start := 0
	for p := range segs {
		end := n
		if p < len(segs)-1 {
			end = start + sort.Search(n-start, func(i int) bool { return partition(key(start+i)) > p })
		}
		segs[p] = jobs.Segment{
			Offset:  int64(start) * tera.RecordSize,
			Length:  int64(end-start) * tera.RecordSize,
			Records: uint64(end - start),
		}
		start = end
	}
	return segs
}

package task

import (
	"fmt"
	"os"
	"sort"

	"github.com/dockmr/dockmr/examples/tera"
	"github.com/dockmr/dockmr/jobs"
)

// sortOverhead bounds what tera.SortRecordsTo needs per record besides
// the sorted copy.
const sortOverhead = 4

// sortTeraSplit is the identity map of tera records under an ordered
// partitioner (TeraSort's map). It reads the split through a read-only
// mapping, radix-sorts it into a buffer in chunks as large as the memory
// bound allows, and spills each chunk whole, the partitions being
// consecutive ranges of sorted records.
func (a *attempt) sortTeraSplit(split jobs.Split) error {
	data, unmap, err := mapRange(split.Path, split.Offset, split.Length)
	if err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	defer unmap()
	chunkRecords := max(1, a.sortBytes()/(tera.RecordSize+sortOverhead))
	buf := make([]byte, min(len(data), chunkRecords*tera.RecordSize))
	partition := a.partitioner()
	var spills []spill
	for off := 0; off < len(data); off += len(buf) {
		src := data[off:min(off+len(buf), len(data))]
		sorted := buf[:len(src)]
		if err := tera.SortRecordsTo(sorted, src); err != nil {
			return err
		}
		s, err := a.spillSorted(sorted, partition)
		if err != nil {
			return err
		}
		spills = append(spills, s)
		records := uint64(len(src) / tera.RecordSize)
		a.manifest.Counters.RecordsIn += records
		a.manifest.Counters.RecordsOut += records
		a.manifest.Counters.BytesOut += uint64(len(src))
	}
	return a.finishMapOutput(spills, teraFraming, a.plan.Reduces())
}

// spillSorted writes sorted records as a spill, finding where each
// partition starts by binary search.
func (a *attempt) spillSorted(chunk []byte, partition func([]byte) int) (spill, error) {
	n := len(chunk) / tera.RecordSize
	key := func(i int) []byte { return chunk[i*tera.RecordSize : i*tera.RecordSize+tera.KeySize] }
	s := spill{path: a.tempPath("spill"), segs: make([]jobs.Segment, a.plan.Reduces())}
	start := 0
	for p := range s.segs {
		end := n
		if p < len(s.segs)-1 {
			end = start + sort.Search(n-start, func(i int) bool { return partition(key(start+i)) > p })
		}
		s.segs[p] = jobs.Segment{
			Offset:  int64(start) * tera.RecordSize,
			Length:  int64(end-start) * tera.RecordSize,
			Records: uint64(end - start),
		}
		start = end
	}
	if err := os.WriteFile(s.path, chunk, 0o644); err != nil {
		return spill{}, fmt.Errorf("spill: %w", err)
	}
	return s, nil
}

package task

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/dockmr/dockmr/examples/tera"
	"github.com/dockmr/dockmr/jobs"
)

// sortOverhead is what tera.SortRecords needs per record besides the record.
const sortOverhead = 32

// sortTeraSplit is the identity map of tera records under an ordered
// partitioner (TeraSort's map): it reads the split in chunks as large as
// the memory bound allows, radix-sorts each chunk in place, and spills it
// whole, the partitions being consecutive ranges of sorted records.
func (a *attempt) sortTeraSplit(in io.Reader, length int64) error {
	chunkRecords := max(1, a.sortBytes()/(tera.RecordSize+sortOverhead))
	buf := make([]byte, min(length, int64(chunkRecords)*tera.RecordSize))
	partition := a.partitioner()
	var spills []spill
	for left := length; left > 0; {
		chunk := buf[:min(int64(len(buf)), left)]
		if _, err := io.ReadFull(in, chunk); err != nil {
			return fmt.Errorf("read input: %w", err)
		}
		left -= int64(len(chunk))
		tera.SortRecords(chunk)
		s, err := a.spillSorted(chunk, partition)
		if err != nil {
			return err
		}
		spills = append(spills, s)
		records := uint64(len(chunk) / tera.RecordSize)
		a.manifest.Counters.RecordsIn += records
		a.manifest.Counters.RecordsOut += records
		a.manifest.Counters.BytesOut += uint64(len(chunk))
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

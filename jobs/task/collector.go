package task

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"os"
	"slices"
	"unsafe"

	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs"
)

// collector is a map task's sort buffer (Hadoop's MapOutputBuffer): it
// takes the map's output records, partitions them, and when its memory
// bound is reached sorts them by partition and key and spills them.
type collector struct {
	a         *attempt
	framing   framing
	partition func(key []byte) int
	parts     int
	limit     int // bytes of records and entries

	data   []byte
	meta   []entry
	spills []spill
}

// entry locates one buffered record and its key, which starts it.
type entry struct {
	prefix uint64 // key prefix, see keyPrefix
	off    uint32
	n      uint32
	keyLen uint32
	part   uint32
}

const entrySize = int(unsafe.Sizeof(entry{}))

func (a *attempt) newCollector(f framing, partition func([]byte) int, parts int) *collector {
	return &collector{a: a, framing: f, partition: partition, parts: parts, limit: a.sortBytes()}
}

// emit adds one record, spilling first if it would not fit. The record is
// copied.
func (c *collector) emit(rec []byte) error {
	if len(c.meta) > 0 && len(c.data)+len(rec)+(len(c.meta)+1)*entrySize > c.limit {
		if err := c.spill(); err != nil {
			return err
		}
	}
	if c.data == nil {
		// Reserve the whole buffer at once: growing it would copy it,
		// and pages are only touched as records fill them.
		c.data = make([]byte, 0, c.limit)
	}
	off := len(c.data)
	c.data = append(c.data, rec...)
	key := c.framing.key(c.data[off:])
	c.meta = append(c.meta, entry{c.framing.prefix(key), uint32(off), uint32(len(rec)), uint32(len(key)), uint32(c.partition(key))})
	counters := &c.a.manifest.Counters
	counters.RecordsOut++
	counters.BytesOut += uint64(len(rec))
	return nil
}

// spill sorts the buffer and writes it as one spill.
func (c *collector) spill() (err error) {
	sorting := c.a.step("sort", telemetry.Records.Int(len(c.meta)))
	slices.SortFunc(c.meta, c.compare)
	endStep(sorting, nil)
	writing := c.a.step("spill", telemetry.Bytes.Int(len(c.data)))
	defer func() { endStep(writing, err) }()
	s := spill{path: c.a.tempPath("spill"), segs: make([]jobs.Segment, c.parts)}
	file, err := os.Create(s.path)
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	defer file.Close()
	w := bufio.NewWriterSize(file, ioBufSize)
	var off int64
	for start := 0; start < len(c.meta); {
		p := c.meta[start].part
		end := start + 1
		for end < len(c.meta) && c.meta[end].part == p {
			end++
		}
		n, records, err := c.a.writeSorted(entryRecords(c.data, c.meta[start:end]), w, c.a.combining())
		if err != nil {
			return fmt.Errorf("spill: %w", err)
		}
		s.segs[p] = jobs.Segment{Offset: off, Length: n, Records: records}
		off += n
		start = end
	}
	for p := range s.segs { // empty segments sit where they would start
		if s.segs[p].Records == 0 && p > 0 {
			s.segs[p].Offset = s.segs[p-1].Offset + s.segs[p-1].Length
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	c.spills = append(c.spills, s)
	c.data, c.meta = c.data[:0], c.meta[:0]
	return nil
}

// compare orders entries by partition, key, and arrival, so that sorting
// is stable.
func (c *collector) compare(x, y entry) int {
	if x.part != y.part {
		return cmp.Compare(x.part, y.part)
	}
	if c.framing.keys != nil && c.framing.keys.compare != nil {
		return cmp.Or(c.framing.compareKeys(0, c.data[x.off:x.off+x.keyLen], 0, c.data[y.off:y.off+y.keyLen]), cmp.Compare(x.off, y.off))
	}
	if x.prefix != y.prefix {
		return cmp.Compare(x.prefix, y.prefix)
	}
	if r := bytes.Compare(c.data[x.off:x.off+x.keyLen], c.data[y.off:y.off+y.keyLen]); r != 0 {
		return r
	}
	return cmp.Compare(x.off, y.off)
}

// finish spills what is buffered and makes the map output file.
func (c *collector) finish() error {
	if len(c.meta) > 0 || len(c.spills) == 0 {
		if err := c.spill(); err != nil {
			return err
		}
	}
	c.data, c.meta = nil, nil
	return c.a.finishMapOutput(c.spills, c.framing, c.parts)
}

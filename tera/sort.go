package tera

import (
	"fmt"
	"runtime"
	"sync"
)

// Sorting is most significant byte first. A first pass distributes records
// into 256 buckets by one key byte: in place with American flag sort
// (SortRecords), whose 256 write heads each move sequentially through
// memory, or by a stable scatter into a second buffer (SortRecordsTo).
// Buckets are split further the same way until they fit in a core's cache;
// such a bucket is sorted as 16-byte (key, index) entries and its records
// are then gathered through a scratch buffer. Buckets are independent, so
// they are spread over up to GOMAXPROCS goroutines.

// smallRecords is the bucket size, in records, that is sorted through
// entries: the bucket, its scratch copy and entries fit in a 1 MB L2 cache.
const smallRecords = 4096

// parallelMin is the size, in records, from which buckets are sorted in
// parallel.
const parallelMin = 1 << 16

// SortRecords sorts the whole records in buf in place by key (unsigned
// bytes, the order of CompareKeys). The order of records with equal keys
// is unspecified. A trailing partial record is left where it is. Besides
// buf it uses one byte per record and about 0.5 MB per goroutine.
func SortRecords(buf []byte) {
	n := len(buf) / RecordSize
	buf = buf[:n*RecordSize]
	if n <= smallRecords {
		newSorter(n).sort(buf, 0)
		return
	}
	buckets, depth := flagSplit(buf, 0)
	sortBuckets(buf, buckets, depth)
}

// SortRecordsTo writes the whole records of src to dst in key order and
// leaves src unchanged. It is faster than copying and calling SortRecords.
// dst and src must not overlap and dst must hold the whole records of src.
// The order of records with equal keys is unspecified.
func SortRecordsTo(dst, src []byte) error {
	n := len(src) / RecordSize
	if len(dst) < n*RecordSize {
		return fmt.Errorf("sort %d records: destination holds %d bytes, want at least %d", n, len(dst), n*RecordSize)
	}
	src, dst = src[:n*RecordSize], dst[:n*RecordSize]
	if n <= smallRecords {
		copy(dst, src)
		newSorter(n).sort(dst, 0)
		return nil
	}
	buckets, depth := scatter(dst, src, 0, workersFor(n))
	sortBuckets(dst, buckets, depth)
	return nil
}

// workersFor returns how many goroutines sort n records.
func workersFor(n int) int {
	if n < parallelMin {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}

// sortBuckets sorts each bucket of buf, whose records agree on the key
// bytes before depth, in parallel when there is enough work.
func sortBuckets(buf []byte, counts *[256]int, depth int) {
	if depth == KeySize {
		return // all keys are equal
	}
	workers := workersFor(len(buf) / RecordSize)
	jobs := make(chan []byte, 256)
	start := 0
	for _, c := range counts {
		if c > 1 {
			jobs <- buf[start*RecordSize : (start+c)*RecordSize]
		}
		start += c
	}
	close(jobs)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			s := newSorter(smallRecords)
			for b := range jobs {
				s.sort(b, depth)
			}
		})
	}
	wg.Wait()
}

// sorter holds one goroutine's scratch space.
type sorter struct {
	entries, tmp []sortEntry
	recs         []byte
}

// newSorter returns scratch space for sorting up to n records at a time,
// or smallRecords if n is more.
func newSorter(n int) *sorter {
	n = min(n, smallRecords)
	return &sorter{
		entries: make([]sortEntry, n),
		tmp:     make([]sortEntry, n),
		recs:    make([]byte, n*RecordSize),
	}
}

// sort sorts the records of buf, which agree on the key bytes before
// depth.
func (s *sorter) sort(buf []byte, depth int) {
	if depth == KeySize {
		return // all keys are equal
	}
	if len(buf)/RecordSize <= smallRecords {
		s.sortSmall(buf, depth)
		return
	}
	counts, next := flagSplit(buf, depth)
	start := 0
	for _, c := range counts {
		if c > 1 {
			s.sort(buf[start*RecordSize:(start+c)*RecordSize], next)
		}
		start += c
	}
}

// sortSmall sorts up to smallRecords records through (key, index) entries.
func (s *sorter) sortSmall(buf []byte, depth int) {
	n := len(buf) / RecordSize
	if n < 2 {
		return
	}
	entries := s.entries[:n]
	for i := range entries {
		entries[i] = entryOf(buf[i*RecordSize:], i)
	}
	radixSort(entries, s.tmp[:n], depth)
	recs := s.recs[:len(buf)]
	for i, e := range entries {
		*(*[RecordSize]byte)(recs[i*RecordSize:]) = [RecordSize]byte(buf[e.index()*RecordSize:])
	}
	copy(buf, recs)
}

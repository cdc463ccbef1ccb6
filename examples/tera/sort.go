package tera

import (
	"encoding/binary"
	"fmt"
	"math/bits"
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
// is unspecified. A trailing partial record is left where it is. Apart from
// buf it uses about 400 KB per goroutine.
func SortRecords(buf []byte) {
	n := len(buf) / RecordSize
	buf = buf[:n*RecordSize]
	if n <= smallRecords {
		newSorter().sort(buf, 0)
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
		newSorter().sort(dst, 0)
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
			s := newSorter()
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

func newSorter() *sorter {
	return &sorter{
		entries: make([]sortEntry, smallRecords),
		tmp:     make([]sortEntry, smallRecords),
		recs:    make([]byte, smallRecords*RecordSize),
	}
}

// sort sorts the records of buf, which agree on the key bytes before
// depth.
func (s *sorter) sort(buf []byte, depth int) {
	for depth < KeySize {
		n := len(buf) / RecordSize
		if n <= smallRecords {
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
		return
	}
	// All keys are equal.
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

// flagSplit permutes buf in place into 256 buckets by the first key byte
// at or after depth that differs between records, and returns the bucket
// sizes and the depth of the next byte. Records must agree on the bytes
// before depth.
//
// The byte of every record is first copied to a dense array, so that
// finding where the next record goes reads that cached array rather than
// the record just moved; the record moves then overlap in memory instead
// of waiting for each other.
func flagSplit(buf []byte, depth int) (*[256]int, int) {
	n := len(buf) / RecordSize
	var counts [256]int
	count := func() {
		counts = [256]int{}
		for i := depth; i < len(buf); i += RecordSize {
			counts[buf[i]]++
		}
	}
	count()
	if counts[buf[depth]] == n {
		// One bucket: skip the whole common prefix at once.
		diff := keyDiff(buf, buf)
		if depth = diff.commonPrefix(); depth == KeySize {
			return &counts, depth
		}
		count()
	}
	digits := make([]byte, n)
	for i := range digits {
		digits[i] = buf[i*RecordSize+depth]
	}
	var head, end [256]int
	sum := 0
	for b, c := range counts {
		head[b] = sum
		sum += c
		end[b] = sum
	}
	var carry [RecordSize]byte
	for b := range head {
		for i := head[b]; i < end[b]; i = head[b] {
			d := int(digits[i])
			if d == b {
				head[b]++
				continue
			}
			// Carry the misplaced record to its bucket, taking the one
			// found there along, until one belongs here.
			carry = [RecordSize]byte(buf[i*RecordSize:])
			for d != b {
				j := head[d]
				for int(digits[j]) == d {
					j++
				}
				head[d] = j + 1
				next := int(digits[j])
				digits[j] = byte(d)
				slot := (*[RecordSize]byte)(buf[j*RecordSize:])
				carry, *slot = *slot, carry
				d = next
			}
			*(*[RecordSize]byte)(buf[i*RecordSize:]) = carry
			digits[i] = byte(b)
			head[b]++
		}
	}
	return &counts, depth + 1
}

// scatter distributes the records of src into dst by the first key byte
// at or after depth that differs between records, keeping their order
// within a bucket, and returns the bucket sizes and the depth of the next
// byte. Records must agree on the bytes before depth. Each of workers
// goroutines scatters a contiguous part of src to its own slots.
func scatter(dst, src []byte, depth, workers int) (*[256]int, int) {
	n := len(src) / RecordSize
	part := func(w int) []byte { return src[w*n/workers*RecordSize : (w+1)*n/workers*RecordSize] }
	hist := make([][256]int, workers)
	var counts [256]int
	count := func() {
		parallel(workers, func(w int) {
			hist[w] = [256]int{}
			b := part(w)
			for i := depth; i < len(b); i += RecordSize {
				hist[w][b[i]]++
			}
		})
		counts = [256]int{}
		for w := range hist {
			for b, c := range hist[w] {
				counts[b] += c
			}
		}
	}
	count()
	if counts[src[depth]] == n {
		// One bucket: skip the whole common prefix at once.
		diffs := make([]packedKey, workers)
		parallel(workers, func(w int) { diffs[w] = keyDiff(part(w), src) })
		var diff packedKey
		for _, d := range diffs {
			diff.hi |= d.hi
			diff.lo |= d.lo
		}
		if depth = diff.commonPrefix(); depth == KeySize {
			copy(dst, src)
			return &counts, depth
		}
		count()
	}
	// Worker w's slots for bucket b follow those of workers before it.
	next := make([][256]int, workers)
	sum := 0
	for b := range counts {
		for w := range next {
			next[w][b] = sum * RecordSize
			sum += hist[w][b]
		}
	}
	parallel(workers, func(w int) {
		scatterPart(dst, part(w), depth, &next[w])
	})
	return &counts, depth + 1
}

// stageRecords is how many records scatterPart stages per bucket before
// writing them to their bucket together.
const stageRecords = 16

// scatterPart moves the records of src to dst, each to next[its byte at
// depth], advancing that offset. Records are staged per bucket in a buffer
// that stays in cache and written out stageRecords at a time, so writes
// to the 256 buckets go in runs rather than one record at a time.
func scatterPart(dst, src []byte, depth int, next *[256]int) {
	stage := make([]byte, 256*stageRecords*RecordSize)
	var fill [256]int // bytes staged per bucket
	const full = stageRecords * RecordSize
	for i := 0; i < len(src); i += RecordSize {
		d := int(src[i+depth])
		at := d*full + fill[d]
		*(*[RecordSize]byte)(stage[at:]) = [RecordSize]byte(src[i:])
		if fill[d] += RecordSize; fill[d] == full {
			copy(dst[next[d]:], stage[d*full:(d+1)*full])
			next[d] += full
			fill[d] = 0
		}
	}
	for d, f := range fill {
		copy(dst[next[d]:], stage[d*full:d*full+f])
		next[d] += f
	}
}

// keyDiff returns the bitwise OR, over the records of buf, of each key XOR
// the key of ref: its leading zero bits are those all keys share with ref.
func keyDiff(buf, ref []byte) packedKey {
	first := packKey(ref)
	var diff packedKey
	for i := 0; i < len(buf); i += RecordSize {
		k := packKey(buf[i:])
		diff.hi |= k.hi ^ first.hi
		diff.lo |= k.lo ^ first.lo
	}
	return diff
}

// commonPrefix returns the number of leading zero bytes of a key.
func (k packedKey) commonPrefix() int {
	if k.hi != 0 {
		return bits.LeadingZeros64(k.hi) / 8
	}
	return 8 + bits.LeadingZeros16(k.lo)/8
}

// parallel runs f(0), ..., f(workers-1) concurrently and waits for them.
func parallel(workers int, f func(w int)) {
	if workers == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { f(w) })
	}
	wg.Wait()
}

// sortEntry stands for one record while sorting: hi holds key bytes 0-7,
// lo holds key bytes 8-9 in its top 16 bits and the record's index in the
// rest, so entries compare as (key, index) by integer comparison alone and
// sorting moves 16 bytes instead of 100.
type sortEntry struct{ hi, lo uint64 }

func entryOf(rec []byte, i int) sortEntry {
	return sortEntry{
		hi: binary.BigEndian.Uint64(rec),
		lo: uint64(binary.BigEndian.Uint16(rec[8:]))<<48 | uint64(i),
	}
}

func (e sortEntry) index() int { return int(e.lo & (1<<48 - 1)) }

func (e sortEntry) less(o sortEntry) bool {
	return e.hi < o.hi || e.hi == o.hi && e.lo < o.lo
}

// keyByte returns key byte d (0 ≤ d < KeySize).
func (e sortEntry) keyByte(d int) byte {
	if d < 8 {
		return byte(e.hi >> (56 - 8*d))
	}
	return byte(e.lo >> (120 - 8*d))
}

// insertionMax is the size up to which entries are insertion sorted.
const insertionMax = 32

// radixSort sorts a by key bytes depth.. (earlier bytes being equal
// across a), most significant byte first, using tmp (as long as a) as
// scratch space. Entries with equal keys stay in index order.
func radixSort(a, tmp []sortEntry, depth int) {
	for depth < KeySize && len(a) > insertionMax {
		var count [256]int
		for _, e := range a {
			count[e.keyByte(depth)]++
		}
		if count[a[0].keyByte(depth)] == len(a) {
			depth++ // one bucket: nothing to move at this byte
			continue
		}
		var next [256]int
		sum := 0
		for b, c := range count {
			next[b] = sum
			sum += c
		}
		for _, e := range a {
			b := e.keyByte(depth)
			tmp[next[b]] = e
			next[b]++
		}
		copy(a, tmp)
		start := 0
		for _, c := range count {
			if c > 1 {
				radixSort(a[start:start+c], tmp[start:start+c], depth+1)
			}
			start += c
		}
		return
	}
	if depth < KeySize {
		insertionSort(a)
	}
	// Else all keys are equal, and scattering is stable, so a is in
	// index order already.
}

func insertionSort(a []sortEntry) {
	for i := 1; i < len(a); i++ {
		e := a[i]
		j := i
		for ; j > 0 && e.less(a[j-1]); j-- {
			a[j] = a[j-1]
		}
		a[j] = e
	}
}

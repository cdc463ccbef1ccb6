package tera

import (
	"math/bits"
	"sync"
)

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

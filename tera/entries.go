package tera

import "encoding/binary"

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

package tera

import (
	"encoding/binary"
	"fmt"
)

// sortEntry stands for one record while sorting: hi holds key bytes 0-7,
// lo holds key bytes 8-9 in its top 16 bits and the record's index in the
// rest, so entries compare as (key, index) by integer comparison alone and
// sorting moves 16 bytes instead of 100.
type sortEntry struct{ hi, lo uint64 }

const indexMask = 1<<48 - 1

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

// SortRecords sorts the whole records in buf in place by key (unsigned
// bytes, the order of CompareKeys). Records with equal keys keep their
// relative order. A trailing partial record is left where it is.
//
// It radix-sorts 16-byte (key, index) entries and then moves each record
// once, following the cycles of the permutation, so besides buf it needs
// 32 bytes per record.
func SortRecords(buf []byte) {
	n := len(buf) / RecordSize
	if n < 2 {
		return
	}
	entries := sortedEntries(buf, n)
	permute(buf, entries)
}

// SortRecordsTo writes the whole records of src to dst in key order and
// leaves src unchanged. It is faster than SortRecords, because it moves
// records straight to their place, at the cost of the second buffer. dst
// and src must not overlap and dst must hold the whole records of src.
func SortRecordsTo(dst, src []byte) error {
	n := len(src) / RecordSize
	if len(dst) < n*RecordSize {
		return fmt.Errorf("sort %d records: destination holds %d bytes, want at least %d", n, len(dst), n*RecordSize)
	}
	entries := sortedEntries(src, n)
	for i, e := range entries {
		j := int(e.lo & indexMask)
		copy(dst[i*RecordSize:(i+1)*RecordSize], src[j*RecordSize:(j+1)*RecordSize])
	}
	return nil
}

// sortedEntries returns the entries of the first n records of buf in
// key order.
func sortedEntries(buf []byte, n int) []sortEntry {
	entries := make([]sortEntry, n)
	for i := range entries {
		rec := buf[i*RecordSize : i*RecordSize+KeySize]
		entries[i] = sortEntry{
			hi: binary.BigEndian.Uint64(rec),
			lo: uint64(binary.BigEndian.Uint16(rec[8:]))<<48 | uint64(i),
		}
	}
	radixSort(entries, make([]sortEntry, n), 0)
	return entries
}

// insertionMax is the size below which buckets are insertion sorted.
const insertionMax = 32

// radixSort sorts a by key bytes depth.. (earlier bytes being equal
// across a), most significant byte first, using tmp (as long as a) as
// scratch space.
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

// permute moves the records of buf so that record i becomes the one at the
// index in entries[i], following each cycle of the permutation with one
// record of temporary space. It overwrites the indexes in entries.
func permute(buf []byte, entries []sortEntry) {
	var tmp [RecordSize]byte
	rec := func(i int) []byte { return buf[i*RecordSize : (i+1)*RecordSize] }
	for i := range entries {
		src := int(entries[i].lo & indexMask)
		if src == i {
			continue
		}
		copy(tmp[:], rec(i))
		dst := i
		for src != i {
			copy(rec(dst), rec(src))
			entries[dst].lo = entries[dst].lo&^indexMask | uint64(dst) // done
			dst = src
			src = int(entries[dst].lo & indexMask)
		}
		copy(rec(dst), tmp[:])
		entries[dst].lo = entries[dst].lo&^indexMask | uint64(dst)
	}
}

package tera

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// CompareKeys compares the keys of two records (or two keys) as unsigned
// bytes: the first KeySize bytes of each, a shorter slice comparing as its
// whole length. It returns -1, 0 or +1.
func CompareKeys(a, b []byte) int {
	return bytes.Compare(keyOf(a), keyOf(b))
}

// keyOf returns the key prefix of a record or key.
func keyOf(b []byte) []byte {
	if len(b) > KeySize {
		return b[:KeySize]
	}
	return b
}

// CutPoints sorts samples in place by key and returns the partitions-1 cut
// points of Hadoop TeraSort: cut i (1 ≤ i < partitions) is the key of sample
// round(i·n/partitions), rounding halves up, of the n samples. Each cut is a
// fresh copy of a key. With no samples every cut is the all-zero key, which
// sends every record to the last partition; with partitions < 2 there are no
// cuts.
func CutPoints(samples [][]byte, partitions int) [][]byte {
	if partitions < 2 {
		return nil
	}
	slices.SortFunc(samples, CompareKeys)
	n := len(samples)
	cuts := make([][]byte, partitions-1)
	for i := 1; i < partitions; i++ {
		if n == 0 {
			cuts[i-1] = make([]byte, KeySize)
			continue
		}
		j := min((2*i*n+partitions)/(2*partitions), n-1)
		cuts[i-1] = bytes.Clone(keyOf(samples[j]))
	}
	return cuts
}

// Partitioner maps keys to partitions: a key goes to the partition numbered
// by how many cut points are less than or equal to it, so partition p holds
// the keys in [cut p-1, cut p). When every cut point is KeySize long, as
// those of CutPoints are, lookups read an index on the key's top bits and
// then binary-search the few cut points sharing them, packed as integers.
type Partitioner struct {
	cuts   [][]byte
	packed []packedKey // cuts as integers, when all are KeySize long
	// index[t] is how many packed cuts have top indexBits bits below t, so
	// the cuts with top bits t are packed[index[t]:index[t+1]].
	index []uint32
}

// indexBits is how many top key bits Partitioner indexes: 4097 entries of
// 4 bytes stay in a core's L1 cache.
const indexBits = 12

// packedKey is a KeySize-byte key as two big-endian integers, so that
// comparing (hi, lo) is comparing the bytes.
type packedKey struct {
	hi uint64
	lo uint16
}

func packKey(k []byte) packedKey {
	return packedKey{binary.BigEndian.Uint64(k), binary.BigEndian.Uint16(k[8:KeySize])}
}

// NewPartitioner returns a partitioner over sorted cut points, as made by
// CutPoints or read by ReadCutPoints; it keeps a reference to cuts. It
// has len(cuts)+1 partitions.
func NewPartitioner(cuts [][]byte) *Partitioner {
	p := &Partitioner{cuts: cuts}
	packed := make([]packedKey, len(cuts))
	for i, c := range cuts {
		if len(c) != KeySize {
			return p
		}
		packed[i] = packKey(c)
	}
	p.packed = packed
	p.index = make([]uint32, 1<<indexBits+1)
	i := 0
	for t := range p.index {
		for i < len(packed) && packed[i].hi>>(64-indexBits) < uint64(t) {
			i++
		}
		p.index[t] = uint32(i)
	}
	return p
}

// Partitions returns the number of partitions.
func (p *Partitioner) Partitions() int { return len(p.cuts) + 1 }

// Partition returns the partition of a key, or of a record (only its first
// KeySize bytes count).
func (p *Partitioner) Partition(key []byte) int {
	if p.packed == nil || len(key) < KeySize {
		key = keyOf(key)
		i, _ := slices.BinarySearchFunc(p.cuts, key, func(c, k []byte) int {
			if bytes.Compare(c, k) <= 0 {
				return -1
			}
			return 1
		})
		return i
	}
	k := packKey(key)
	t := k.hi >> (64 - indexBits)
	lo, hi := int(p.index[t]), int(p.index[t+1])
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		c := p.packed[m]
		if c.hi < k.hi || c.hi == k.hi && c.lo <= k.lo {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

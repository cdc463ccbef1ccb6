package tera

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shoenig/test/must"
)

// randomKeys returns n keys whose bytes come from alphabet, so a small
// alphabet makes duplicates and shared prefixes.
func randomKeys(r *rand.Rand, n int, alphabet string) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		k := make([]byte, KeySize)
		for j := range k {
			k[j] = alphabet[r.IntN(len(alphabet))]
		}
		keys[i] = k
	}
	return keys
}

func naiveCutPoints(samples [][]byte, partitions int) [][]byte {
	sorted := slices.Clone(samples)
	slices.SortFunc(sorted, bytes.Compare)
	var cuts [][]byte
	for i := 1; i < partitions; i++ {
		j := int(math.Floor(float64(i*len(sorted))/float64(partitions) + 0.5))
		cuts = append(cuts, sorted[j])
	}
	return cuts
}

func naivePartition(cuts [][]byte, key []byte) int {
	p := 0
	for _, c := range cuts {
		if bytes.Compare(c, key[:KeySize]) <= 0 {
			p++
		}
	}
	return p
}

func TestCutPointsMatchNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, alphabet := range []string{"\x00\x01\xff", "ab", "0123456789", string(allBytes())} {
		for _, n := range []int{1, 2, 9, 10, 11, 100, 1001} {
			for _, p := range []int{2, 3, 4, 10, 64} {
				if p > n {
					continue
				}
				samples := randomKeys(r, n, alphabet)
				want := naiveCutPoints(samples, p)
				got := CutPoints(samples, p)
				must.Eq(t, want, got, must.Sprintf("%d samples, %d partitions", n, p))
				must.True(t, slices.IsSortedFunc(samples, CompareKeys), must.Sprint("samples sorted in place"))
			}
		}
	}
}

func TestCutPointsRoundsHalfUp(t *testing.T) {
	samples := [][]byte{key(0), key(1), key(2), key(3), key(4), key(5)}
	// 6 samples, 4 partitions: round(1.5)=2, round(3)=3, round(4.5)=5.
	must.Eq(t, [][]byte{key(2), key(3), key(5)}, CutPoints(samples, 4))
}

func TestCutPointsCopiesKeysOfRecords(t *testing.T) {
	recs := [][]byte{AppendRecord(nil, Binary, 0), AppendRecord(nil, Binary, 1)}
	cuts := CutPoints(recs, 2)
	must.Eq(t, [][]byte{AppendRecord(nil, Binary, 1)[:KeySize]}, cuts)
	cuts[0][0] ^= 0xff
	must.Eq(t, AppendRecord(nil, Binary, 1), recs[1], must.Sprint("cut is a copy"))
}

func TestCutPointsEdgeCases(t *testing.T) {
	must.Nil(t, CutPoints([][]byte{key(1)}, 1))
	must.Nil(t, CutPoints(nil, 0))
	zero := make([]byte, KeySize)
	must.Eq(t, [][]byte{zero, zero}, CutPoints(nil, 3), must.Sprint("no samples: all records to the last partition"))
	// More partitions than samples: cuts repeat the largest keys, never index out of range.
	got := CutPoints([][]byte{key(7), key(3)}, 5)
	must.Eq(t, [][]byte{key(3), key(7), key(7), key(7)}, got)
}

func key(v byte) []byte { return bytes.Repeat([]byte{v}, KeySize) }

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestPartitionerMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, alphabet := range []string{"ab", "\x00\x7f\x80\xff", string(allBytes())} {
		for _, p := range []int{1, 2, 3, 17, 256} {
			cuts := CutPoints(randomKeys(r, 5000, alphabet), p)
			part := NewPartitioner(cuts)
			must.Eq(t, p, part.Partitions())
			keys := randomKeys(r, 5000, alphabet)
			keys = append(keys, cuts...) // keys equal to cut points go right of them
			for _, k := range keys {
				rec := append(slices.Clone(k), "value"...)
				want := naivePartition(cuts, k)
				must.Eq(t, want, part.Partition(k), must.Sprintf("key %x", k))
				must.Eq(t, want, part.Partition(rec), must.Sprintf("record with key %x", k))
			}
		}
	}
}

func TestPartitionOfCutPointsAndDuplicates(t *testing.T) {
	cuts := [][]byte{key(2), key(5), key(5), key(9)}
	p := NewPartitioner(cuts)
	for k, want := range map[byte]int{0: 0, 1: 0, 2: 1, 4: 1, 5: 3, 6: 3, 9: 4, 0xff: 4} {
		must.Eq(t, want, p.Partition(key(k)), must.Sprintf("key %x", key(k)))
	}
	// Differ only in the last byte.
	last := func(b byte) []byte { k := key(5); k[KeySize-1] = b; return k }
	must.Eq(t, 1, p.Partition(last(4)))
	must.Eq(t, 3, p.Partition(last(5)))
}

func TestPartitionerWithIrregularKeys(t *testing.T) {
	cuts := [][]byte{[]byte("b"), []byte("dd")} // not KeySize long: byte comparison
	p := NewPartitioner(cuts)
	for k, want := range map[string]int{"a": 0, "b": 1, "b\x00": 1, "c": 1, "dd": 2, "de": 2, "d": 1, "zzzzzzzzzzzz": 2} {
		must.Eq(t, want, p.Partition([]byte(k)), must.Sprintf("key %q", k))
	}
	// Short keys against regular cut points.
	p = NewPartitioner([][]byte{key(3)})
	must.Eq(t, 0, p.Partition([]byte{3, 3, 3}))
	must.Eq(t, 1, p.Partition([]byte{4}))
}

func TestCompareKeys(t *testing.T) {
	a := append(key(1), 9, 9)
	b := append(key(1), 0)
	must.Eq(t, 0, CompareKeys(a, b), must.Sprint("bytes after the key do not count"))
	must.Eq(t, -1, CompareKeys(key(1), key(2)))
	must.Eq(t, 1, CompareKeys([]byte{0x80}, []byte{0x7f, 0xff}), must.Sprint("unsigned"))
	must.Eq(t, -1, CompareKeys([]byte{1}, []byte{1, 0}))
}

package tera

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/shoenig/test/must"
)

// referenceSort sorts whole records by all their bytes with the standard
// library: a canonical order of a multiset of records.
func referenceSort(buf []byte) []byte {
	var recs [][]byte
	for i := 0; i+RecordSize <= len(buf); i += RecordSize {
		recs = append(recs, buf[i:i+RecordSize])
	}
	slices.SortFunc(recs, bytes.Compare)
	out := slices.Concat(recs...)
	return append(out, buf[len(out):]...)
}

// mustBeSortedPermutation checks that got holds the records of input in
// key order. Records with equal keys may come in any order.
func mustBeSortedPermutation(t *testing.T, input, got []byte) {
	t.Helper()
	must.Eq(t, len(input), len(got))
	for i := RecordSize; i+RecordSize <= len(got); i += RecordSize {
		if CompareKeys(got[i:], got[i-RecordSize:]) < 0 {
			t.Fatalf("record %d has key %x, less than the previous key %x", i/RecordSize, got[i:i+KeySize], got[i-RecordSize:i-RecordSize+KeySize])
		}
	}
	must.True(t, bytes.Equal(referenceSort(input), referenceSort(got)), must.Sprint("output is not a permutation of the input"))
}

// records builds n records whose keys come from keyFn and whose values
// hold their original position, so misplaced values are caught.
func records(n int, keyFn func(i int) []byte) []byte {
	buf := make([]byte, 0, n*RecordSize)
	for i := range n {
		rec := AppendRecord(nil, Binary, uint64(i))
		copy(rec, keyFn(i))
		buf = append(buf, rec...)
	}
	return buf
}

func sortInputs() map[string][]byte {
	r := rand.New(rand.NewPCG(9, 10))
	randKey := func(alphabet string) func(int) []byte {
		return func(int) []byte { return randomKeys(r, 1, alphabet)[0] }
	}
	lastByte := func(i int) []byte { k := key(7); k[KeySize-1] = byte(r.IntN(256)); return k }
	counter := func(i int) []byte {
		k := make([]byte, KeySize)
		for j := KeySize - 1; j >= 0 && i > 0; j-- {
			k[j] = byte(i)
			i >>= 8
		}
		return k
	}
	generated := make([]byte, 5000*RecordSize)
	NewGenerator(ASCII, 0).Fill(generated)
	return map[string][]byte{
		"empty":            nil,
		"one record":       records(1, randKey("xyz")),
		"two records":      records(2, func(i int) []byte { return key(byte(2 - i)) }),
		"partial only":     []byte("not a whole record"),
		"random":           records(20000, randKey(string(allBytes()))),
		"few distinct":     records(20000, randKey("ab")),
		"all equal":        records(5000, func(int) []byte { return key(0x42) }),
		"sorted":           records(5000, counter),
		"reverse":          records(5000, func(i int) []byte { return counter(5000 - i) }),
		"last byte only":   records(5000, lastByte),
		"generated ascii":  generated,
		"trailing partial": append(records(300, randKey("0123456789")), "tail"...),
		"small":            records(insertionMax+1, randKey(string(allBytes()))),
	}
}

func TestSortRecordsMatchesReference(t *testing.T) {
	for name, input := range sortInputs() {
		t.Run(name, func(t *testing.T) {
			got := slices.Clone(input)
			SortRecords(got)
			mustBeSortedPermutation(t, input, got)
			whole := len(input) / RecordSize * RecordSize
			must.Eq(t, input[whole:], got[whole:], must.Sprint("trailing partial record stays"))

			dst := make([]byte, whole+3)
			src := slices.Clone(input)
			must.NoError(t, SortRecordsTo(dst, src))
			mustBeSortedPermutation(t, input[:whole], dst[:whole])
			must.Eq(t, []byte{0, 0, 0}, dst[whole:], must.Sprint("bytes after the records untouched"))
			must.True(t, bytes.Equal(input, src), must.Sprint("SortRecordsTo leaves src alone"))
		})
	}
}

func TestSortRecordsLargeInputs(t *testing.T) {
	// Past parallelMin, so buckets are sorted concurrently, with skewed keys
	// so that the bucket splits go deep.
	r := rand.New(rand.NewPCG(11, 12))
	n := parallelMin + 1000
	for name, keyFn := range map[string]func(int) []byte{
		"random": func(int) []byte { return randomKeys(r, 1, string(allBytes()))[0] },
		"shared prefix": func(int) []byte {
			k := key(0xaa)
			k[7], k[9] = byte(r.IntN(3)), byte(r.IntN(256))
			return k
		},
		"all equal":   func(int) []byte { return key(0) },
		"two buckets": func(i int) []byte { return key(byte(i % 2)) },
	} {
		t.Run(name, func(t *testing.T) {
			input := records(n, keyFn)
			got := slices.Clone(input)
			SortRecords(got)
			mustBeSortedPermutation(t, input, got)
			dst := make([]byte, len(input))
			must.NoError(t, SortRecordsTo(dst, input))
			mustBeSortedPermutation(t, input, dst)
		})
	}
}

func TestSortRecordsKeepsChecksum(t *testing.T) {
	buf := make([]byte, 3000*RecordSize)
	NewGenerator(Binary, 1000).Fill(buf)
	var before, after Checksum
	before.AddRecords(buf)
	SortRecords(buf)
	after.AddRecords(buf)
	must.Eq(t, before, after)
	rep, err := ValidateFile(bytes.NewReader(buf), "sorted")
	must.NoError(t, err)
	must.SliceEmpty(t, rep.Errors)
}

func TestSortRecordsToRejectsShortDestination(t *testing.T) {
	src := records(3, func(int) []byte { return key(1) })
	err := SortRecordsTo(make([]byte, 250), src)
	must.ErrorContains(t, err, "sort 3 records: destination holds 250 bytes, want at least 300")
}

// TestSortRecordsAgreesWithGNUSort sorts ASCII records, which are lines,
// with sort(1) in the C locale and with SortRecords.
func TestSortRecordsAgreesWithGNUSort(t *testing.T) {
	sortPath, err := exec.LookPath("sort")
	if err != nil {
		t.Skip("sort(1) is not installed")
	}
	input := make([]byte, 20000*RecordSize)
	NewGenerator(ASCII, 777).Fill(input)
	cmd := exec.Command(sortPath)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.Stdin = bytes.NewReader(input)
	want, err := cmd.Output()
	must.NoError(t, err)

	got := slices.Clone(input)
	SortRecords(got)
	// Keys are distinct, so both orders are fully determined.
	must.True(t, bytes.Equal(want, got), must.Sprint("SortRecords and sort(1) disagree"))
}

package tera

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/shoenig/test/must"
)

func TestRowRangeTilesRows(t *testing.T) {
	for _, rows := range []uint64{0, 1, 7, 10, 999, 1000, 1 << 40, 1<<64 - 1} {
		for _, maps := range []int{1, 2, 3, 7, 10, 64} {
			next := uint64(0)
			for i := range maps {
				start, end := RowRange(rows, maps, i)
				must.Eq(t, next, start, must.Sprintf("rows %d maps %d map %d", rows, maps, i))
				must.LessEq(t, 1, end-start-rows/uint64(maps)) // ranges differ by at most one row
				next = end
			}
			must.Eq(t, rows, next, must.Sprintf("rows %d maps %d", rows, maps))
		}
	}
}

func TestRowRangeIsCeilingOfShare(t *testing.T) {
	ceil := func(rows uint64, i, maps int) uint64 {
		n := new(big.Int).Mul(new(big.Int).SetUint64(rows), big.NewInt(int64(i)))
		n.Add(n, big.NewInt(int64(maps-1)))
		return n.Div(n, big.NewInt(int64(maps))).Uint64()
	}
	for _, rows := range []uint64{10, 1001, 1<<64 - 1} {
		for _, maps := range []int{3, 7} {
			for i := range maps {
				start, end := RowRange(rows, maps, i)
				must.Eq(t, ceil(rows, i, maps), start)
				must.Eq(t, ceil(rows, i+1, maps), end)
			}
		}
	}
	// 10 rows over 4 maps: ceil(2.5)=3, ceil(5)=5, ceil(7.5)=8.
	for i, want := range [][2]uint64{{0, 3}, {3, 5}, {5, 8}, {8, 10}} {
		start, end := RowRange(10, 4, i)
		must.Eq(t, want, [2]uint64{start, end})
	}
}

func TestRowRangeOutOfRangeIsEmpty(t *testing.T) {
	for _, c := range [][2]int{{0, 0}, {-1, 0}, {3, -1}, {3, 3}} {
		start, end := RowRange(100, c[0], c[1])
		must.Eq(t, start, end, must.Sprintf("maps %d map %d", c[0], c[1]))
	}
}

func generate(t *testing.T, f Format, start, end uint64) ([]byte, Checksum) {
	t.Helper()
	var buf bytes.Buffer
	var sum Checksum
	must.NoError(t, GenerateTo(&buf, f, start, end, &sum))
	must.Eq(t, int(end-start)*RecordSize, buf.Len())
	return buf.Bytes(), sum
}

func TestChecksumVectors(t *testing.T) {
	for _, tc := range []struct {
		format Format
		rows   uint64
		want   string
	}{
		{Binary, 10, "5b2d1434d"},
		{ASCII, 10, "469302dca"},
		{ASCII, 1000000, "7a19cff467438"},
	} {
		_, sum := generate(t, tc.format, 0, tc.rows)
		must.Eq(t, tc.want, sum.String(), must.Sprintf("%s rows 0..%d", tc.format, tc.rows-1))
	}
}

func TestGeneratorMatchesSingleRecords(t *testing.T) {
	for _, f := range []Format{Binary, ASCII} {
		for _, first := range []uint64{0, 15, 1<<32 - 3, 1<<64 - 40} {
			buf := make([]byte, 30*RecordSize+7)
			g := NewGenerator(f, first)
			must.Eq(t, 30, g.Fill(buf))
			must.Eq(t, first+30, g.Row())
			for i := range uint64(30) {
				must.Eq(t, AppendRecord(nil, f, first+i), buf[i*RecordSize:(i+1)*RecordSize],
					must.Sprintf("%s row %d", f, first+i))
			}
			must.Eq(t, make([]byte, 7), buf[30*RecordSize:], must.Sprint("bytes after the last whole record"))
		}
	}
}

func TestGeneratorOutputIndependentOfSplit(t *testing.T) {
	const rows = 25013 // more than one GenerateTo buffer
	for _, f := range []Format{Binary, ASCII} {
		whole, wholeSum := generate(t, f, 0, rows)
		for _, maps := range []int{2, 3, 7, 16} {
			var joined []byte
			var sum Checksum
			for i := range maps {
				start, end := RowRange(rows, maps, i)
				part, partSum := generate(t, f, start, end)
				joined = append(joined, part...)
				sum.Add(partSum)
			}
			must.True(t, bytes.Equal(whole, joined), must.Sprintf("%s over %d maps differs", f, maps))
			must.Eq(t, wholeSum, sum)
		}
		// Fill calls of awkward sizes continue where the last one stopped.
		g := NewGenerator(f, 0)
		var pieces []byte
		for _, n := range []int{1, 0, 2, 999, 10000, 3, rows - 1 - 2 - 999 - 10000 - 3} {
			b := make([]byte, n*RecordSize)
			g.Fill(b)
			pieces = append(pieces, b...)
		}
		must.True(t, bytes.Equal(whole, pieces))
	}
}

func TestGenerateToRejectsBackwardRange(t *testing.T) {
	err := GenerateTo(&bytes.Buffer{}, Binary, 10, 5, nil)
	must.ErrorContains(t, err, "row range [10, 5): end is before start")
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(p), nil
}

func TestGenerateToReportsWriteErrors(t *testing.T) {
	err := GenerateTo(&failingWriter{after: 1}, Binary, 0, 3*generateBufRecords, nil)
	must.ErrorContains(t, err, "write rows 10000-19999: disk full")
}

func TestGenerateEmptyRange(t *testing.T) {
	buf, sum := generate(t, Binary, 7, 7)
	must.SliceEmpty(t, buf)
	must.Eq(t, "0", sum.String())
}

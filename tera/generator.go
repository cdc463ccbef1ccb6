package tera

import (
	"fmt"
	"io"
	"math/bits"
)

// RowRange returns the rows [start, end) that map i of maps writes in a
// teragen of rows rows: [ceil(rows·i/maps), ceil(rows·(i+1)/maps)). The ranges
// of maps 0..maps-1 tile [0, rows) in order. For maps < 1 or i outside
// [0, maps) the range is empty.
func RowRange(rows uint64, maps, i int) (start, end uint64) {
	if maps < 1 || i < 0 || i >= maps {
		return 0, 0
	}
	return ceilFrac(rows, uint64(i), uint64(maps)), ceilFrac(rows, uint64(i)+1, uint64(maps))
}

// ceilFrac returns ceil(n·i/m) for i ≤ m without overflowing.
func ceilFrac(n, i, m uint64) uint64 {
	hi, lo := bits.Mul64(n, i)
	q, r := bits.Div64(hi, lo, m) // hi < m because n·i/m ≤ n fits 64 bits
	if r != 0 {
		q++
	}
	return q
}

// Generator writes consecutive records from a starting row. It steps the
// generator once per row and increments the row's hex digits in place, so
// the cost per record is a few stores. A Generator is not safe for
// concurrent use.
type Generator struct {
	format Format
	row    uint64  // next row to write
	x      uint128 // random value of row
	hex    rowHex  // row as 32 hex digits
}

// NewGenerator returns a generator whose first record is row firstRow.
func NewGenerator(format Format, firstRow uint64) *Generator {
	return &Generator{format: format, row: firstRow, x: randomAt(firstRow), hex: newRowHex(firstRow)}
}

// Row returns the row of the next record Fill writes.
func (g *Generator) Row() uint64 { return g.row }

// Fill writes len(dst)/RecordSize whole records into dst and returns how
// many it wrote. Bytes after the last whole record are left untouched.
func (g *Generator) Fill(dst []byte) int {
	n := len(dst) / RecordSize
	x, hex := g.x, g.hex
	if g.format == ASCII {
		for i := range n {
			putASCII(dst[i*RecordSize:], x, &hex)
			x = x.next()
			hex.inc()
		}
	} else {
		for i := range n {
			putBinary(dst[i*RecordSize:], x, &hex)
			x = x.next()
			hex.inc()
		}
	}
	g.x, g.hex = x, hex
	g.row += uint64(n)
	return n
}

// generateBufRecords is how many records GenerateTo writes per call to w.
const generateBufRecords = 10000

// GenerateTo writes the records of rows [start, end) to w. If sum is not nil
// the records' checksum is added to it.
func GenerateTo(w io.Writer, format Format, start, end uint64, sum *Checksum) error {
	if end < start {
		return fmt.Errorf("row range [%d, %d): end is before start", start, end)
	}
	g := NewGenerator(format, start)
	buf := make([]byte, generateBufRecords*RecordSize)
	for left := end - start; left > 0; {
		n := uint64(generateBufRecords)
		if left < n {
			n = left
		}
		b := buf[:n*RecordSize]
		g.Fill(b)
		if sum != nil {
			sum.AddRecords(b)
		}
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("write rows %d-%d: %w", g.Row()-n, g.Row()-1, err)
		}
		left -= n
	}
	return nil
}

package tera

import (
	"encoding/binary"
	"fmt"
)

const hexDigits = "0123456789ABCDEF"

// rowHex is a row number as 32 uppercase hex digits (%032X), the form both
// formats store in bytes 12 to 43. The generator increments it in place
// instead of formatting every row.
type rowHex [32]byte

func newRowHex(row uint64) rowHex {
	var h rowHex
	for i := range h {
		h[i] = '0'
	}
	for i := 31; row != 0; i-- {
		h[i] = hexDigits[row&0xF]
		row >>= 4
	}
	return h
}

// inc adds one, carrying through 'F' digits.
func (h *rowHex) inc() {
	for i := len(h) - 1; i >= 0; i-- {
		switch h[i] {
		case '9':
			h[i] = 'A'
			return
		case 'F':
			h[i] = '0'
		default:
			h[i]++
			return
		}
	}
}

// repeat4 returns the hex digit of nibble n (0..15) repeated in all four
// bytes of a uint32.
func repeat4(n uint64) uint32 { return uint32(hexDigits[n&0xF]) * 0x01010101 }

// putBinary writes a Binary record (Hadoop GenSort.generateRecord).
func putBinary(rec []byte, x uint128, row *rowHex) {
	rec = rec[:RecordSize]
	binary.BigEndian.PutUint64(rec[0:8], x.hi)
	binary.BigEndian.PutUint16(rec[8:10], uint16(x.lo>>48))
	rec[10], rec[11] = 0x00, 0x11
	copy(rec[12:44], row[:])
	binary.BigEndian.PutUint32(rec[44:48], 0x8899AABB)
	// Nibbles 20..31 of x, counted from the top, are nibbles 4..15 of x.lo.
	for i := range 12 {
		binary.LittleEndian.PutUint32(rec[48+4*i:], repeat4(x.lo>>(44-4*i)))
	}
	binary.BigEndian.PutUint32(rec[96:100], 0xCCDDEEFF)
}

// putASCII writes an ASCII record (gensort's gen_ascii_rec).
func putASCII(rec []byte, x uint128, row *rowHex) {
	rec = rec[:RecordSize]
	v := x.hi
	for i := range 8 {
		rec[i] = ' ' + byte(v%95)
		v /= 95
	}
	v = x.lo
	rec[8] = ' ' + byte(v%95)
	rec[9] = ' ' + byte(v/95%95)
	rec[10], rec[11] = ' ', ' '
	copy(rec[12:44], row[:])
	rec[44], rec[45] = ' ', ' '
	// Nibbles 19..31 of x, counted from the top, are nibbles 3..15 of x.lo.
	for i := range 13 {
		binary.LittleEndian.PutUint32(rec[46+4*i:], repeat4(x.lo>>(48-4*i)))
	}
	rec[98], rec[99] = '\r', '\n'
}

func putRecord(f Format, rec []byte, x uint128, row *rowHex) {
	if f == ASCII {
		putASCII(rec, x, row)
	} else {
		putBinary(rec, x, row)
	}
}

// AppendRecord appends the record of one row to dst. It skips ahead in
// O(log row); use a Generator for consecutive rows.
func AppendRecord(dst []byte, format Format, row uint64) []byte {
	h := newRowHex(row)
	n := len(dst)
	dst = append(dst, make([]byte, RecordSize)...)
	putRecord(format, dst[n:], randomAt(row), &h)
	return dst
}

// CheckRecord reports which row a record is and whether it is exactly the
// record the generator writes for that row in the given format.
func CheckRecord(format Format, rec []byte) (row uint64, err error) {
	if len(rec) != RecordSize {
		return 0, fmt.Errorf("record is %d bytes long, want %d", len(rec), RecordSize)
	}
	row, err = parseRowHex(rec[12:44])
	if err != nil {
		return 0, fmt.Errorf("record's row number (bytes 12-43): %w", err)
	}
	var want [RecordSize]byte
	h := newRowHex(row)
	putRecord(format, want[:], randomAt(row), &h)
	for i := range want {
		if rec[i] != want[i] {
			return row, fmt.Errorf("%s record of row %d differs from the generated one at byte %d: got %#02x, want %#02x",
				format, row, i, rec[i], want[i])
		}
	}
	return row, nil
}

// parseRowHex parses 32 uppercase hex digits holding a 64-bit row number.
func parseRowHex(b []byte) (uint64, error) {
	var hi, lo uint64
	for i, c := range b {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, fmt.Errorf("byte %d is %q, want an uppercase hex digit", i, c)
		}
		hi = hi<<4 | lo>>60
		lo = lo<<4 | uint64(d)
	}
	if hi != 0 {
		return 0, fmt.Errorf("%q exceeds 64 bits", b)
	}
	return lo, nil
}

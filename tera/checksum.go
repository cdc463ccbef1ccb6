package tera

import (
	"fmt"
	"hash/crc32"
	"math/bits"
	"strconv"
)

// Checksum is the sum of the CRC-32 (IEEE) of every record, as an unsigned
// 128-bit number: valsort's checksum. It is order independent, so a sort's
// output has the checksum of its input. The zero value is an empty sum.
type Checksum struct{ Hi, Lo uint64 }

// AddRecords adds the checksum of the whole records in buf; a trailing
// partial record is ignored.
func (c *Checksum) AddRecords(buf []byte) {
	hi, lo := c.Hi, c.Lo
	for ; len(buf) >= RecordSize; buf = buf[RecordSize:] {
		var carry uint64
		lo, carry = bits.Add64(lo, uint64(crc32.ChecksumIEEE(buf[:RecordSize])), 0)
		hi += carry
	}
	c.Hi, c.Lo = hi, lo
}

// Add adds another sum, e.g. one task's checksum into a job's.
func (c *Checksum) Add(o Checksum) {
	var carry uint64
	c.Lo, carry = bits.Add64(c.Lo, o.Lo, 0)
	c.Hi += o.Hi + carry
}

// String returns the sum in lowercase hex without leading zeros ("0" for an
// empty sum), as valsort and TeraValidate print it.
func (c Checksum) String() string {
	if c.Hi == 0 {
		return strconv.FormatUint(c.Lo, 16)
	}
	return fmt.Sprintf("%x%016x", c.Hi, c.Lo)
}

// ParseChecksum parses 1 to 32 hex digits, as printed by Checksum.String.
func ParseChecksum(s string) (Checksum, error) {
	if len(s) == 0 || len(s) > 32 {
		return Checksum{}, fmt.Errorf("checksum %q: want 1 to 32 hex digits", s)
	}
	var c Checksum
	for _, r := range s {
		var d uint64
		switch {
		case '0' <= r && r <= '9':
			d = uint64(r - '0')
		case 'a' <= r && r <= 'f':
			d = uint64(r-'a') + 10
		case 'A' <= r && r <= 'F':
			d = uint64(r-'A') + 10
		default:
			return Checksum{}, fmt.Errorf("checksum %q: %q is not a hex digit", s, r)
		}
		c.Hi = c.Hi<<4 | c.Lo>>60
		c.Lo = c.Lo<<4 | d
	}
	return c, nil
}

package task

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"math/bits"

	"github.com/dockmr/dockmr/tera"
)

// recordSum counts the records of a byte stream and sums their CRC-32s,
// taking the stream in chunks that need not end on record boundaries.
type recordSum struct {
	framing framing
	records uint64
	bytes   uint64
	sum     tera.Checksum
	crc     uint32 // CRC of the current record so far
	partial int    // bytes of the current record so far
}

// add takes the next chunk of the stream.
func (s *recordSum) add(p []byte) {
	s.bytes += uint64(len(p))
	if size := s.framing.size; size > 0 && s.partial == 0 {
		for ; len(p) >= size; p = p[size:] { // the common case: whole records
			s.crc = crc32.ChecksumIEEE(p[:size])
			s.endRecord()
		}
	}
	for len(p) > 0 {
		n, end := len(p), false
		if s.framing.size > 0 {
			if want := s.framing.size - s.partial; n >= want {
				n, end = want, true
			}
		} else if i := bytes.IndexByte(p, '\n'); i >= 0 {
			n, end = i+1, true
		}
		s.crc = crc32.Update(s.crc, crc32.IEEETable, p[:n])
		s.partial += n
		p = p[n:]
		if end {
			s.endRecord()
		}
	}
}

func (s *recordSum) endRecord() {
	var carry uint64
	s.sum.Lo, carry = bits.Add64(s.sum.Lo, uint64(s.crc), 0)
	s.sum.Hi += carry
	s.records++
	s.crc, s.partial = 0, 0
}

// finish counts an unterminated last line as a record. A partial
// fixed-size record is an error.
func (s *recordSum) finish() error {
	if s.partial == 0 {
		return nil
	}
	if s.framing.size > 0 {
		return fmt.Errorf("output ends with a partial record of %d bytes", s.partial)
	}
	s.endRecord()
	return nil
}

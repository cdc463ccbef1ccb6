package task

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/crc32"
	"math/bits"
	"os"

	"github.com/dockmr/dockmr/examples/tera"
)

// ioBufSize is the buffer size of sequential file reads and writes: large
// enough that system calls cost little next to copying.
const ioBufSize = 4 << 20

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

// partWriter writes one output file of a task attempt, counting its
// records and summing their checksum.
type partWriter struct {
	name string
	f    *os.File
	w    *bufio.Writer
	recordSum
}

func createPart(path string, f framing) (*partWriter, error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create output: %w", err)
	}
	return &partWriter{name: path, f: file, w: bufio.NewWriterSize(file, ioBufSize), recordSum: recordSum{framing: f}}, nil
}

// directWrite is the size from which writes bypass the buffer, saving a
// copy of large chunks.
const directWrite = 256 << 10

// Write writes a chunk of records, which may end within a record.
func (w *partWriter) Write(p []byte) (int, error) {
	w.add(p)
	var (
		n   int
		err error
	)
	if len(p) >= directWrite {
		if err = w.w.Flush(); err == nil {
			n, err = w.f.Write(p)
		}
	} else {
		n, err = w.w.Write(p)
	}
	return n, err // a *fs.PathError, which names the file
}

// emit writes one record.
func (w *partWriter) emit(rec []byte) error {
	_, err := w.Write(rec)
	return err
}

// Close flushes and closes the file, reporting a partial last record.
func (w *partWriter) Close() error {
	err := w.w.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err // a *fs.PathError, which names the file
	}
	return w.finish()
}

// abandon closes the file after a failure; the attempt directory goes.
func (w *partWriter) abandon() { w.f.Close() }

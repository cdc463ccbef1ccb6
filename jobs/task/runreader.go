package task

import (
	"errors"
	"fmt"
	"io"
)

// run is a sorted run of records: a byte range of a file.
type run struct {
	path   string
	offset int64
	length int64
	temp   bool // an intermediate run of a multi-pass merge
	// data, when not nil, holds the run's records in memory (a segment
	// fetched from another node) instead of path.
	data []byte
}

// runReader reads records one at a time: those of a run through a
// mapping of its file, or those of a stream through a buffer that it
// refills with large reads. A record it returns stays valid until the next
// call to advance.
type runReader struct {
	name    string // for errors
	framing framing
	r       io.Reader
	unmap   func() // for a mapped run
	buf     []byte
	start   int // first unread byte in buf
	end     int // end of valid data in buf
	eof     bool
	temp    bool // the run is an intermediate file, removed after merging
	path    string

	rec    []byte // current record; nil when done
	key    []byte
	prefix uint64
}

// newRecordReader reads the records of a stream.
func newRecordReader(name string, r io.Reader, f framing, bufSize int) *runReader {
	if f.size > 0 {
		bufSize = max(bufSize/f.size, 1) * f.size // records never straddle a refill
	}
	return &runReader{name: name, framing: f, r: r, buf: make([]byte, bufSize)}
}

// openRun opens a run for reading through a read-only mapping, so that
// records are read where they lie in the page cache.
func openRun(r run, f framing) (*runReader, error) {
	if r.data != nil {
		return &runReader{name: "fetched segment " + r.path, framing: f, buf: r.data, end: len(r.data), eof: true}, nil
	}
	data, unmap, err := mapRange(r.path, r.offset, r.length)
	if err != nil {
		return nil, fmt.Errorf("open sorted run: %w", err)
	}
	return &runReader{
		name:    fmt.Sprintf("sorted run %s at byte %d", r.path, r.offset),
		framing: f,
		buf:     data,
		end:     len(data),
		eof:     true,
		unmap:   unmap,
		temp:    r.temp,
		path:    r.path,
	}, nil
}

// advance moves to the next record, leaving rec nil at the end of the run.
func (r *runReader) advance() error {
	for {
		if n := r.framing.recordLen(r.buf[r.start:r.end], r.eof); n > 0 {
			r.rec = r.buf[r.start : r.start+n]
			r.start += n
			r.key = r.framing.key(r.rec)
			r.prefix = r.framing.prefix(r.key)
			return nil
		}
		if r.eof {
			if r.start < r.end {
				return fmt.Errorf("%s: ends with a partial record of %d bytes", r.name, r.end-r.start)
			}
			r.rec, r.key = nil, nil
			return nil
		}
		if err := r.fill(); err != nil {
			return err
		}
	}
}

// fill moves the unread bytes to the front of the buffer, grows it if a
// record fills all of it, and reads more.
func (r *runReader) fill() error {
	n := copy(r.buf, r.buf[r.start:r.end])
	r.start, r.end = 0, n
	if n == len(r.buf) {
		r.buf = append(r.buf, make([]byte, len(r.buf))...)
	}
	got, err := io.ReadFull(r.r, r.buf[r.end:])
	r.end += got
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		r.eof = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", r.name, err)
	}
	return nil
}

// close unmaps a mapped run.
func (r *runReader) close() {
	if r.unmap != nil {
		r.unmap()
	}
}

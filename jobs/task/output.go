package task

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/storage"
)

// ioBufSize is the buffer size of sequential file writes: large enough
// that system calls cost little next to copying.
const ioBufSize = 4 << 20

// partWriter writes one output file of a task attempt, counting its
// records and summing their checksum. It writes through a reused buffer,
// either with direct I/O, around the page cache, or through the page
// cache. Filling the page cache with fresh pages costs more CPU than
// anything else a reduce does, and a job's output is final: the job does
// not read it back. (Writing through a mapping of the file costs even more:
// a page fault per page.)
type partWriter struct {
	name string
	d    *directFile    // direct I/O
	f    *os.File       // page cache
	w    *bufio.Writer  // page cache
	z    io.WriteCloser // the compressor in front of the file, if any
	u    storage.Upload // an S3 multipart upload instead of a file
	// pending is u's upload once closed, for the manifest.
	pending storage.Pending
	recordSum
}

// createUpload creates an output object of an S3 output, written as a
// multipart upload that stays pending until the job commit.
func createUpload(ctx context.Context, loc storage.Location, f framing) (*partWriter, error) {
	s, err := storage.NewS3(ctx, loc.Bucket)
	if err != nil {
		return nil, fmt.Errorf("create output: %w", err)
	}
	u, err := s.Create(ctx, loc.Key)
	if err != nil {
		return nil, fmt.Errorf("create output: %w", err)
	}
	return &partWriter{name: loc.String(), u: u, recordSum: recordSum{framing: f}}, nil
}

// createPart creates an output file; direct asks for direct I/O where the
// file system supports it.
func createPart(path string, f framing, direct bool) (*partWriter, error) {
	if direct {
		d, err := createDirect(path, ioBufSize)
		if err == nil {
			return &partWriter{name: path, d: d, recordSum: recordSum{framing: f}}, nil
		}
		if !errors.Is(err, errNoDirectIO) {
			return nil, fmt.Errorf("create output: %w", err)
		}
	}
	file, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create output: %w", err)
	}
	return &partWriter{name: path, f: file, w: bufio.NewWriterSize(file, ioBufSize), recordSum: recordSum{framing: f}}, nil
}

// directWrite is the size from which writes bypass the buffer, saving a
// copy of large chunks.
const directWrite = 256 << 10

// compress makes the writer compress what it is given with c.
func (w *partWriter) compress(c jobs.Codec) error {
	z, err := compressor(rawWriter{w}, c)
	w.z = z
	return err
}

// Write writes a chunk of records, which may end within a record. Its
// errors are *fs.PathError, which name the file.
func (w *partWriter) Write(p []byte) (int, error) {
	w.add(p)
	if w.z != nil {
		return w.z.Write(p)
	}
	return w.writeRaw(p)
}

// rawWriter writes a part file's bytes as they go to the file.
type rawWriter struct{ w *partWriter }

// Write writes compressed bytes.
func (r rawWriter) Write(p []byte) (int, error) { return r.w.writeRaw(p) }

// writeRaw writes bytes to the file.
func (w *partWriter) writeRaw(p []byte) (int, error) {
	if w.u != nil {
		return w.u.Write(p)
	}
	if w.d != nil {
		return w.d.Write(p)
	}
	if len(p) >= directWrite {
		if err := w.w.Flush(); err != nil {
			return 0, err
		}
		return w.f.Write(p)
	}
	return w.w.Write(p)
}

// emit writes one record.
func (w *partWriter) emit(rec []byte) error {
	_, err := w.Write(rec)
	return err
}

// Close flushes and closes the file, reporting a partial last record.
func (w *partWriter) Close() error {
	if w.z != nil {
		if err := w.z.Close(); err != nil {
			w.abandon()
			return fmt.Errorf("compress %s: %w", w.name, err)
		}
	}
	if w.u != nil {
		p, err := w.u.Close()
		if err != nil {
			return err
		}
		w.pending = p
		return w.finish()
	}
	if w.d != nil {
		if err := w.d.Close(); err != nil {
			return err
		}
		return w.finish()
	}
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
func (w *partWriter) abandon() {
	if w.u != nil {
		w.u.Abandon()
		return
	}
	if w.d != nil {
		w.d.abandon()
		return
	}
	w.f.Close()
}

package task

import (
	"bufio"
	"fmt"
	"os"
)

// ioBufSize is the buffer size of sequential file writes: large enough
// that system calls cost little next to copying.
const ioBufSize = 4 << 20

// partWriter writes one output file of a task attempt through a buffer,
// counting its records and summing their checksum.
//
// Writing through a reused buffer beats writing through a mapping of the
// file here: page faults on a fresh mapping cost more than write(2)
// copying from memory that is already in use.
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

// Write writes a chunk of records, which may end within a record. Its
// errors are *fs.PathError, which name the file.
func (w *partWriter) Write(p []byte) (int, error) {
	w.add(p)
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

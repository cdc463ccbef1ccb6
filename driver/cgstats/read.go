package cgstats

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// arena reads small files into one reusable buffer, so a sample allocates
// nothing for file contents. Slices it returns stay valid until reset.
type arena struct {
	buf []byte
}

// reset makes the whole buffer available again, invalidating earlier slices.
func (a *arena) reset() { a.buf = a.buf[:0] }

// read appends the content of the file at path to the buffer and returns it.
// Growing the buffer moves later reads to a new array and leaves the earlier
// slices pointing at the old one, so they stay intact until reset.
func (a *arena) read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	start := len(a.buf)
	for {
		if len(a.buf) == cap(a.buf) {
			a.buf = append(a.buf, 0)[:len(a.buf)]
		}
		n, err := f.Read(a.buf[len(a.buf):cap(a.buf)])
		a.buf = a.buf[:len(a.buf)+n]
		if errors.Is(err, io.EOF) {
			return a.buf[start:len(a.buf):len(a.buf)], nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// readOptional is read for files that may not exist: it returns nil content
// and no error for those.
func (a *arena) readOptional(path string) ([]byte, error) {
	b, err := a.read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// isGone reports whether err from reading a cgroup or /proc file means the
// cgroup or process has been removed: the file vanished, or, for a file
// opened just before the removal, the kernel refuses the read.
func isGone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ESRCH)
}

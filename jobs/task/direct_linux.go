package task

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// directBlock is the alignment of direct I/O: buffers, offsets and sizes.
const directBlock = 4096

// directFile writes a new file sequentially with direct I/O (O_DIRECT),
// around the page cache, through an aligned buffer; the last partial block
// is written through the page cache.
type directFile struct {
	f   *os.File
	buf []byte
	n   int // bytes in buf
}

// createDirect creates a file for direct writing, or returns
// errNoDirectIO where the file system does not support it.
func createDirect(path string, bufSize int) (*directFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_DIRECT, 0o644)
	if errors.Is(err, syscall.EINVAL) {
		return nil, errNoDirectIO
	}
	if err != nil {
		return nil, err
	}
	raw := make([]byte, bufSize+directBlock)
	skip := int(-uintptr(unsafe.Pointer(&raw[0])) & (directBlock - 1))
	return &directFile{f: f, buf: raw[skip : skip+bufSize]}, nil
}

// errNoDirectIO reports that a file system cannot do direct I/O.
var errNoDirectIO = errors.New("direct I/O is not supported")

func (d *directFile) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		c := copy(d.buf[d.n:], p)
		d.n += c
		p = p[c:]
		written += c
		if d.n == len(d.buf) {
			if _, err := d.f.Write(d.buf); err != nil {
				return written, err
			}
			d.n = 0
		}
	}
	return written, nil
}

// Close writes what is buffered, the whole blocks directly and the rest
// through the page cache, and closes the file.
func (d *directFile) Close() error {
	whole := d.n &^ (directBlock - 1)
	var err error
	if whole > 0 {
		_, err = d.f.Write(d.buf[:whole])
	}
	if err == nil && whole < d.n {
		err = d.writeTail(d.buf[whole:d.n])
	}
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeTail writes the last partial block without O_DIRECT.
func (d *directFile) writeTail(p []byte) error {
	flags, err := fcntl(d.f.Fd(), syscall.F_GETFL, 0)
	if err == nil {
		_, err = fcntl(d.f.Fd(), syscall.F_SETFL, flags&^syscall.O_DIRECT)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", d.f.Name(), err)
	}
	_, err = d.f.Write(p)
	return err
}

func fcntl(fd uintptr, cmd, arg int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, uintptr(cmd), uintptr(arg))
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

func (d *directFile) abandon() { d.f.Close() }

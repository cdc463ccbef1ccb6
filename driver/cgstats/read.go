package cgstats

import (
	"errors"
	"io/fs"
	"slices"
	"syscall"
)

// kfile is a file the kernel generates on every read (a cgroup interface
// file or /proc/<pid>/stat), kept open between samples. Opening such a file
// costs more than reading it, and a positioned read at offset 0 makes the
// kernel produce fresh content, so each sample is one pread per file. The
// exception is v1's cgroup.procs, see cgroupFiles.
//
// Once the cgroup is removed or the process has exited, reads fail (ENODEV,
// ESRCH): an open /proc/<pid>/stat stays bound to its process and never
// shows a later process that reuses the pid.
type kfile struct {
	path string
	fd   int
}

func openKFile(path string) (*kfile, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return &kfile{path: path, fd: fd}, nil
	}
}

func (f *kfile) close() {
	if f.fd >= 0 {
		_ = syscall.Close(f.fd)
		f.fd = -1
	}
}

// arena holds the contents of one sample's files in one reusable buffer, so
// a sample allocates nothing for them. Slices it returns stay valid until
// reset.
type arena struct {
	buf []byte
}

// minRead is the least free space offered to a read; cgroup and /proc files
// are mostly far smaller, memory.stat on a large machine a few KiB.
const minRead = 4 << 10

// reset makes the whole buffer available again, invalidating earlier slices.
func (a *arena) reset() { a.buf = a.buf[:0] }

// read appends the current content of f to the buffer and returns it. The
// kernel fills a read as far as the content goes, so a read that leaves room
// is the whole file; one that fills the room is retried with more. Growing
// moves later reads to a new array and leaves earlier slices pointing at the
// old one, so they stay intact until reset.
func (a *arena) read(f *kfile) ([]byte, error) {
	want := minRead
	for {
		a.buf = slices.Grow(a.buf, want)
		start := len(a.buf)
		room := a.buf[start:cap(a.buf)]
		n, err := syscall.Pread(f.fd, room, 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: f.path, Err: err}
		}
		if n < len(room) {
			a.buf = a.buf[:start+n]
			return a.buf[start : start+n : start+n], nil
		}
		want = 2 * len(room)
	}
}

// isGone reports whether err from opening or reading a cgroup or /proc file
// means the cgroup or process has been removed: the file vanished, or, for a
// file opened before the removal, the kernel refuses the read.
func isGone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ESRCH)
}

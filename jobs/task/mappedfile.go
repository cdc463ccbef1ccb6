package task

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// mappedFile is a new file of known size written through a shared
// writable mapping, so that a sort writes records straight into the page
// cache instead of into a buffer as large as the file, which is then
// copied: a map's chunk is hundreds of megabytes, and faulting in that
// much fresh memory twice costs more than the sort itself.
type mappedFile struct {
	f    *os.File
	data []byte
}

// errNoMapping reports that a file system cannot reserve space for a file
// or map it; the caller writes the file instead.
var errNoMapping = errors.New("file cannot be mapped for writing")

// createMapped creates a file of size bytes and maps it for writing.
// Space is reserved first, because writing through a mapping to a full
// disk raises SIGBUS instead of returning an error: with the space
// reserved, a full disk fails here, cleanly. It returns errNoMapping,
// having removed the file, where reserving or mapping is not supported.
func createMapped(path string, size int) (*mappedFile, error) {
	if size == 0 {
		return nil, errNoMapping
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := reserve(f, int64(size)); err != nil {
		f.Close()
		os.Remove(path)
		if errors.Is(err, syscall.ENOSPC) {
			return nil, fmt.Errorf("reserve %d bytes for %s: %w", size, path, err)
		}
		return nil, errNoMapping
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, errNoMapping
	}
	return &mappedFile{f: f, data: m}, nil
}

// close unmaps and closes the file; its pages are written back later like
// those of any written file.
func (m *mappedFile) close() error {
	err := syscall.Munmap(m.data)
	if cerr := m.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", m.f.Name(), err)
	}
	return nil
}

// abandon releases the file after a failure; the attempt directory goes.
func (m *mappedFile) abandon() {
	_ = syscall.Munmap(m.data) // the attempt failed already; the mapping ends with the process
	m.f.Close()
}

package task

import (
	"fmt"
	"os"
	"syscall"
)

// mapRange maps a byte range of a file read-only. Sorting and merging read
// the page cache through the mapping: no copy into buffers, and no fresh
// memory to fault in, which is what reading a large file costs most. The
// file must not shrink while mapped; job input and committed map output
// never do.
func mapRange(path string, off, length int64) (data []byte, unmap func(), err error) {
	if length == 0 {
		return nil, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open: %w", err)
	}
	defer f.Close() // the mapping outlives the descriptor
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("map %s: %w", path, err)
	}
	if st.Size() < off+length {
		return nil, nil, fmt.Errorf("map %s: bytes %d to %d are past its end (%d bytes); did it change during the job?",
			path, off, off+length, st.Size())
	}
	start := off &^ int64(os.Getpagesize()-1) // mappings start on a page
	m, err := syscall.Mmap(int(f.Fd()), start, int(off-start+length), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("map %s: %w", path, err)
	}
	adviseSequential(m)
	return m[off-start:], func() { _ = syscall.Munmap(m) }, nil
}

package task

import (
	"os"
	"syscall"
)

// reserve allocates size bytes of disk for a file.
func reserve(f *os.File, size int64) error {
	if size == 0 {
		return nil
	}
	return syscall.Fallocate(int(f.Fd()), 0, 0, size)
}

// adviseSequential tells the kernel that a mapping is read in order.
func adviseSequential(m []byte) {
	_ = syscall.Madvise(m, syscall.MADV_SEQUENTIAL) // a hint; its failure is harmless
}

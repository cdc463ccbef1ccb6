//go:build !linux

package task

import (
	"errors"
	"os"
)

// reserve reports that space cannot be reserved, so sorts go through a
// buffer.
func reserve(*os.File, int64) error { return errors.ErrUnsupported }

// adviseSequential does nothing here.
func adviseSequential([]byte) {}

//go:build !linux

package task

import (
	"errors"
	"os"
)

// directFile stands for direct I/O, which this system does not offer.
type directFile struct{ *os.File }

func (d *directFile) abandon() { d.File.Close() }

// errNoDirectIO reports that direct I/O is not supported.
var errNoDirectIO = errors.New("direct I/O is not supported")

// createDirect reports that direct I/O is not supported.
func createDirect(string, int) (*directFile, error) { return nil, errNoDirectIO }

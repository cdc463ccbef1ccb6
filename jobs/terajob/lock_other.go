//go:build !unix

package terajob

import (
	"errors"
	"os"
)

// tryLock is not supported off Unix, where job-file tasks do not run.
func tryLock(*os.File) (bool, error) {
	return false, errors.New("file locks are not supported on this system")
}

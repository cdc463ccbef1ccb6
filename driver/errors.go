package driver

import "strings"

// isNotRunning recognises Docker's answer to a signal sent to a container
// that has already exited, which the API reports as a plain conflict
// message on some daemon versions.
func isNotRunning(err error) bool {
	return err != nil && strings.Contains(err.Error(), "is not running")
}

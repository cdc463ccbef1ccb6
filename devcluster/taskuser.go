package devcluster

import (
	"fmt"
	"os"
	"path/filepath"
)

// taskUser is the user dockmr-driver runs a development cluster's tasks
// as: whoever runs the cluster, so that the files tasks write in the data
// directory are theirs. Root gets "": the driver refuses root and runs
// tasks as its default_user, nobody.
func taskUser() string {
	if os.Geteuid() == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d", os.Geteuid(), os.Getegid())
}

// prepareDataDir creates the data directory. When root runs the cluster,
// tasks run as nobody: the directory is then opened to every user with
// the sticky bit, as /tmp is, and every directory above it must let
// others through.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if taskUser() != "" {
		return nil
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		return fmt.Errorf("open data directory %s to the tasks' user: %w", dir, err)
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("data directory %s: %w", dir, err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("data directory %s: tasks run as nobody and cannot reach it: %s is mode %04o; choose a directory every user can reach, or run chmod o+x %s", dir, d, fi.Mode().Perm(), d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

package local_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/jobs"
)

// smallDisk mounts a 2 MiB tmpfs for the test. Mounting needs root, which
// the CI runs the tests as.
func smallDisk(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("mounts a tmpfs, which needs root; not run with -short")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the disk-full test mounts a 2 MiB tmpfs, which needs root: run the tests as root (as CI does)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs on %s: %v: %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func TestFullDiskFailsTheJobWithoutOutput(t *testing.T) {
	disk := smallDisk(t)
	out := filepath.Join(disk, "out")
	_, err := runJob(t, jobs.Job{
		Name:   "teragen",
		Input:  jobs.Input{Rows: 100000}, // 10 MB
		Output: out,
		Map:    jobs.Phase{Func: jobs.TeraGen, Tasks: 2, Format: "binary"},
	})
	if err == nil || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "part-m-0000") {
		t.Fatalf("error %v does not say which write found the disk full", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the failed job left its output directory: %v", err)
	}
	if left := listDir(t, disk); len(left) != 0 {
		t.Errorf("the failed job left %q on the disk", left)
	}
}

// TeraSort's map sorts into files whose space it reserves first, so a full
// disk fails it with an error, not a crash.
func TestFullDiskFailsTeraSortWithoutOutput(t *testing.T) {
	disk := smallDisk(t)
	in := filepath.Join(t.TempDir(), "in")
	if _, err := runJob(t, jobs.Job{
		Name:   "teragen",
		Input:  jobs.Input{Rows: 30000}, // 3 MB
		Output: in,
		Map:    jobs.Phase{Func: jobs.TeraGen, Tasks: 1, Format: "binary"},
	}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(disk, "out")
	_, err := runJob(t, jobs.Job{
		Name:        "terasort",
		Input:       jobs.Input{Paths: []string{in}, Records: jobs.TeraRecords},
		Output:      out,
		Map:         jobs.Phase{Func: jobs.Identity, Tasks: 2},
		Reduce:      &jobs.Phase{Func: jobs.Identity, Tasks: 1},
		Partitioner: jobs.Partitioner{Kind: jobs.TotalOrder},
	})
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("error %v does not say the disk is full", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the failed job left its output directory: %v", err)
	}
	if left := listDir(t, disk); len(left) != 0 {
		t.Errorf("the failed job left %q on the disk", left)
	}
}

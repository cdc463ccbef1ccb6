package cgstats

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

// The fixture layouts under testdata, see testdata/README.md.
const (
	v1Root        = "testdata/v1-cgroupfs"
	v1PID         = 11872
	v1ChildPID    = 22104
	v1ContainerID = "f155ef68f249236e30efb26f1f5a2025c0a889d410fad2327c01e1eb7fd55db0"

	v2SystemdRoot  = "testdata/v2-systemd"
	v2SystemdPID   = 4242
	v2CgroupfsRoot = "testdata/v2-cgroupfs"
	v2CgroupfsPID  = 5151
	v2ContainerID  = "3c1e5b7d9a0f42e68b1d7c5a9e3f0b2d4c6e8a1f3b5d7092e4c6a8b0d2f4e6a8"
)

var (
	v1MemoryDir  = filepath.Join(v1Root, "sys/fs/cgroup/memory/docker", v1ContainerID)
	v1CPUAcctDir = filepath.Join(v1Root, "sys/fs/cgroup/cpuacct/docker", v1ContainerID)
	v1CPUDir     = filepath.Join(v1Root, "sys/fs/cgroup/cpu/docker", v1ContainerID)

	v2SystemdDir  = filepath.Join(v2SystemdRoot, "sys/fs/cgroup/system.slice", "docker-"+v2ContainerID+".scope")
	v2CgroupfsDir = filepath.Join(v2CgroupfsRoot, "sys/fs/cgroup/docker", v2ContainerID)
)

// readFixture returns the content of a fixture file, or nil when it does not
// exist, the convention of V1Files and V2Files.
func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	must.NoError(t, err)
	return b
}

func v1Fixture(t *testing.T) V1Files {
	return V1Files{
		MemoryStat:     readFixture(t, filepath.Join(v1MemoryDir, "memory.stat")),
		MemoryUsage:    readFixture(t, filepath.Join(v1MemoryDir, "memory.usage_in_bytes")),
		MemoryMaxUsage: readFixture(t, filepath.Join(v1MemoryDir, "memory.max_usage_in_bytes")),
		CPUAcctUsage:   readFixture(t, filepath.Join(v1CPUAcctDir, "cpuacct.usage")),
		CPUAcctStat:    readFixture(t, filepath.Join(v1CPUAcctDir, "cpuacct.stat")),
		CPUStat:        readFixture(t, filepath.Join(v1CPUDir, "cpu.stat")),
	}
}

func v2Fixture(t *testing.T, dir string) V2Files {
	return V2Files{
		MemoryCurrent:     readFixture(t, filepath.Join(dir, "memory.current")),
		MemoryPeak:        readFixture(t, filepath.Join(dir, "memory.peak")),
		MemoryStat:        readFixture(t, filepath.Join(dir, "memory.stat")),
		MemorySwapCurrent: readFixture(t, filepath.Join(dir, "memory.swap.current")),
		CPUStat:           readFixture(t, filepath.Join(dir, "cpu.stat")),
	}
}

// copyTree copies the fixture layout src into a fresh temporary directory,
// so a test can change counters or remove files.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	must.NoError(t, err)
	return dst
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	must.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

package cgstats

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/shoenig/test/must"
)

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// replaceIn rewrites one line of a fixture file.
func replaceIn(t *testing.T, path, old, repl string) {
	t.Helper()
	b, err := os.ReadFile(path)
	must.NoError(t, err)
	must.StrContains(t, string(b), old)
	writeFile(t, path, strings.Replace(string(b), old, repl, 1))
}

// setStat rewrites utime and stime (fields 14 and 15) of a /proc/<pid>/stat.
func setStat(t *testing.T, path string, utime, stime string) {
	t.Helper()
	b, err := os.ReadFile(path)
	must.NoError(t, err)
	f := strings.Fields(string(b))
	f[13], f[14] = utime, stime
	writeFile(t, path, strings.Join(f, " ")+"\n")
}

// newTestSampler makes a Sampler at t0 that the test closes when done.
func newTestSampler(t *testing.T, root string, pid int, compute cpustats.Compute) *Sampler {
	t.Helper()
	s, err := newSampler(root, pid, compute, t0)
	must.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSampler_V2Fixture(t *testing.T) {
	root := copyTree(t, v2SystemdRoot)
	dir := filepath.Join(root, "sys/fs/cgroup/system.slice", "docker-"+v2ContainerID+".scope")

	s := newTestSampler(t, root, v2SystemdPID, node)
	must.Eq(t, V2, s.Dirs().Version)
	pids, err := s.Pids()
	must.NoError(t, err)
	must.Eq(t, []int{4242, 4250}, pids)

	// One second later the container used 1.5 s of CPU, and the init process
	// 0.5 s user and 0.1 s system time (50 and 10 USER_HZ ticks).
	writeFile(t, filepath.Join(dir, "cpu.stat"), "usage_usec 9870215\nuser_usec 9431911\nsystem_usec 438304\n"+
		"nr_periods 93\nnr_throttled 45\nthrottled_usec 2100000\n")
	writeFile(t, filepath.Join(dir, "memory.current"), "4000000\n")
	setStat(t, filepath.Join(root, "proc/4242/stat"), "2050", "60")

	u, err := s.Sample(t0.Add(time.Second))
	must.NoError(t, err)
	must.Eq(t, t0.Add(time.Second).UnixNano(), u.Timestamp)

	cs := u.ResourceUsage.CpuStats
	must.Eq(t, []string{"System Mode", "User Mode", "Percent", "Throttled Periods", "Throttled Time"}, cs.Measured)
	must.InDelta(t, 150, cs.Percent, 1e-9)
	must.InDelta(t, 120, cs.UserMode, 1e-9)
	must.InDelta(t, 30, cs.SystemMode, 1e-9)
	must.InDelta(t, 3750, cs.TotalTicks, 1e-6)
	must.Eq(t, 45, cs.ThrottledPeriods)
	must.Eq(t, uint64(2100*time.Millisecond), cs.ThrottledTime)

	ms := u.ResourceUsage.MemoryStats
	must.Eq(t, 4000000, ms.Usage)
	must.Eq(t, 9437184, ms.MaxUsage)
	must.Eq(t, 2125824, ms.RSS)

	must.MapLen(t, 2, u.Pids)
	initProc := u.Pids["4242"]
	must.NotNil(t, initProc)
	must.InDelta(t, 50, initProc.CpuStats.UserMode, 1e-9)
	must.InDelta(t, 10, initProc.CpuStats.SystemMode, 1e-9)
	must.InDelta(t, 60, initProc.CpuStats.Percent, 1e-9)
	must.Eq(t, 380*uint64(os.Getpagesize()), initProc.MemoryStats.RSS)
	worker := u.Pids["4250"]
	must.NotNil(t, worker)
	must.Zero(t, worker.CpuStats.Percent, must.Sprint("the worker used no CPU"))
	must.Eq(t, []string{"System Mode", "User Mode", "Percent"}, worker.CpuStats.Measured)
}

func TestSampler_ProcessesComeAndGo(t *testing.T) {
	root := copyTree(t, v2CgroupfsRoot)
	procs := filepath.Join(root, "sys/fs/cgroup/docker", v2ContainerID, "cgroup.procs")

	s := newTestSampler(t, root, v2CgroupfsPID, node)

	// The worker exits; a new process appears under a pid whose /proc entry
	// vanishes before it is read.
	writeFile(t, procs, "5151\n5999\n")
	u, err := s.Sample(t0.Add(time.Second))
	must.NoError(t, err)
	must.MapLen(t, 1, u.Pids)
	must.MapContainsKey(t, u.Pids, "5151")
	must.Eq(t, []int{5151}, keys(s.procs.byPID))

	// The worker's pid is reused by a new process (another start time): it
	// starts without CPU rates instead of a delta against the old process.
	writeFile(t, procs, "5151\n5160\n")
	must.NoError(t, os.MkdirAll(filepath.Join(root, "proc/5160"), 0o755))
	stat := filepath.Join(root, "proc/5160/stat")
	replaceIn(t, stat, " 64157 ", " 99999 ")
	u, err = s.Sample(t0.Add(2 * time.Second))
	must.NoError(t, err)
	must.SliceEmpty(t, u.Pids["5160"].CpuStats.Measured)

	u, err = s.Sample(t0.Add(3 * time.Second))
	must.NoError(t, err)
	must.SliceLen(t, 3, u.Pids["5160"].CpuStats.Measured)

	// A stat file that cannot be parsed leaves that process out, not the sample.
	writeFile(t, stat, "garbage")
	u, err = s.Sample(t0.Add(4 * time.Second))
	must.NoError(t, err)
	must.MapNotContainsKey(t, u.Pids, "5160")
	must.MapContainsKey(t, u.Pids, "5151")
}

func keys(m map[int]*procState) []int {
	var k []int
	for pid := range m {
		k = append(k, pid)
	}
	return k
}

func TestSampler_V1Fixture(t *testing.T) {
	s := newTestSampler(t, v1Root, v1PID, twoCores)
	must.Eq(t, V1, s.Dirs().Version)

	// Nothing changed in the files over a second: everything measured, all
	// rates zero.
	u, err := s.Sample(t0.Add(time.Second))
	must.NoError(t, err)
	must.Zero(t, u.ResourceUsage.CpuStats.Percent)
	must.Eq(t, []string{"System Mode", "User Mode", "Percent", "Throttled Periods", "Throttled Time"}, u.ResourceUsage.CpuStats.Measured)
	must.Eq(t, []string{"RSS", "Cache", "Swap", "Usage", "Max Usage"}, u.ResourceUsage.MemoryStats.Measured)
	must.Eq(t, 528384, u.ResourceUsage.MemoryStats.Usage)
	must.MapLen(t, 2, u.Pids)
	must.MapContainsKeys(t, u.Pids, []string{"11872", "22104"})
}

func TestSampler_OptionalFilesAbsentAtStart(t *testing.T) {
	root := copyTree(t, v1Root)
	must.NoError(t, os.Remove(filepath.Join(root, "sys/fs/cgroup/cpu/docker", v1ContainerID, "cpu.stat")))
	must.NoError(t, os.Remove(filepath.Join(root, "sys/fs/cgroup/memory/docker", v1ContainerID, "memory.max_usage_in_bytes")))

	s := newTestSampler(t, root, v1PID, twoCores)
	u, err := s.Sample(t0.Add(time.Second))
	must.NoError(t, err)
	must.Eq(t, []string{"System Mode", "User Mode", "Percent"}, u.ResourceUsage.CpuStats.Measured)
	must.Eq(t, []string{"RSS", "Cache", "Swap", "Usage"}, u.ResourceUsage.MemoryStats.Measured)
}

// The kernel fails reads of an open cgroup file once the cgroup is removed,
// which TestSampler_RealContainer sees; a removed fixture directory leaves
// its open files readable, so here the removal is seen on opening.
func TestSampler_CgroupRemoved(t *testing.T) {
	root := copyTree(t, v2SystemdRoot)
	must.NoError(t, os.RemoveAll(filepath.Join(root, "sys/fs/cgroup/system.slice")))
	_, err := newSampler(root, v2SystemdPID, node, t0)
	must.ErrorIs(t, err, ErrGone)
	must.ErrorContains(t, err, "cgroup.procs")
}

func TestSampler_RequiredFileMissing(t *testing.T) {
	root := copyTree(t, v1Root)
	must.NoError(t, os.Remove(filepath.Join(root, "sys/fs/cgroup/cpuacct/docker", v1ContainerID, "cpuacct.stat")))
	_, err := newSampler(root, v1PID, twoCores, t0)
	must.ErrorContains(t, err, "required file cpuacct.stat is missing though the cgroup exists")
	must.False(t, errors.Is(err, ErrGone))
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	must.NoError(t, err)
	return len(entries)
}

func TestSampler_Close(t *testing.T) {
	before := openFDs(t)
	s, err := newSampler(v1Root, v1PID, twoCores, t0)
	must.NoError(t, err)
	// Six interface files and the stat of two processes; cgroup.procs is
	// opened for each read.
	must.Eq(t, before+8, openFDs(t))

	must.NoError(t, s.Close())
	must.Eq(t, before, openFDs(t))
	_, err = s.Sample(t0.Add(time.Second))
	must.ErrorIs(t, err, errClosed)
	_, err = s.Pids()
	must.ErrorIs(t, err, errClosed)
	must.NoError(t, s.Close())
}

// A failed NewSampler keeps nothing open, and processes that leave have
// their files closed.
func TestSampler_NoLeakedFiles(t *testing.T) {
	before := openFDs(t)
	root := copyTree(t, v2SystemdRoot)
	dir := filepath.Join(root, "sys/fs/cgroup/system.slice", "docker-"+v2ContainerID+".scope")
	writeFile(t, filepath.Join(dir, "cpu.stat"), "garbage")
	_, err := newSampler(root, v2SystemdPID, node, t0)
	must.ErrorContains(t, err, `cpu.stat: no "usage_usec" line`)
	must.Eq(t, before, openFDs(t))

	writeFile(t, filepath.Join(dir, "cpu.stat"), "usage_usec 1\nuser_usec 1\nsystem_usec 0\n")
	s := newTestSampler(t, root, v2SystemdPID, node)
	withBoth := openFDs(t)
	writeFile(t, filepath.Join(dir, "cgroup.procs"), "4242\n")
	_, err = s.Sample(t0.Add(time.Second))
	must.NoError(t, err)
	must.Eq(t, withBoth-1, openFDs(t))
}

func TestSampler_BadFiles(t *testing.T) {
	root := copyTree(t, v2SystemdRoot)
	dir := filepath.Join(root, "sys/fs/cgroup/system.slice", "docker-"+v2ContainerID+".scope")
	s := newTestSampler(t, root, v2SystemdPID, node)

	writeFile(t, filepath.Join(dir, "memory.current"), "not a number\n")
	_, err := s.Sample(t0.Add(time.Second))
	must.ErrorContains(t, err, "cgroup v2 "+dir+`: memory.current: content "not a number\n" is not an unsigned decimal integer`)
	writeFile(t, filepath.Join(dir, "memory.current"), "1\n")

	writeFile(t, filepath.Join(dir, "cgroup.procs"), "4242\nabc\n")
	_, err = s.Sample(t0.Add(2 * time.Second))
	must.ErrorContains(t, err, "cgroup v2 "+dir+`: cgroup.procs: line "abc" is not a process id`)
	_, err = s.Pids()
	must.ErrorContains(t, err, `line "abc" is not a process id`)

	writeFile(t, filepath.Join(dir, "cgroup.procs"), "0\n")
	_, err = s.Pids()
	must.ErrorContains(t, err, `line "0" is not a process id`)

	// A failed sample does not move the baseline: the next good one still
	// measures against the reading at t0.
	writeFile(t, filepath.Join(dir, "cgroup.procs"), "4242\n")
	u, err := s.Sample(t0.Add(3 * time.Second))
	must.NoError(t, err)
	must.SliceContains(t, u.ResourceUsage.CpuStats.Measured, "Percent")
	must.MapLen(t, 1, u.Pids)

	// A garbage file at start fails NewSampler with the same clear error.
	writeFile(t, filepath.Join(dir, "cpu.stat"), "\x00\x00")
	_, err = newSampler(root, v2SystemdPID, node, t0)
	must.ErrorContains(t, err, `cpu.stat: no "usage_usec" line in content "\x00\x00"`)
}

func TestNewSampler_ProcessGone(t *testing.T) {
	_, err := NewSampler(v1Root, 424242, twoCores)
	must.ErrorIs(t, err, ErrGone)
}

// BenchmarkSample_Fixture measures a sample of the v2 fixture layout: the
// parsing and bookkeeping cost on ordinary files. BenchmarkSample_RealContainer
// measures the same on the kernel's cgroup and /proc files.
func BenchmarkSample_Fixture(b *testing.B) {
	s, err := newSampler(v2SystemdRoot, v2SystemdPID, node, t0)
	must.NoError(b, err)
	defer s.Close()
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		if _, err := s.Sample(now); err != nil {
			b.Fatal(err)
		}
	}
}

// A sample sooner than minRateInterval after the baseline reports no CPU
// rates and keeps the baseline, so the next one measures from it.
func TestSampler_ShortIntervalKeepsBaseline(t *testing.T) {
	root := copyTree(t, v2SystemdRoot)
	dir := filepath.Join(root, "sys/fs/cgroup/system.slice", "docker-"+v2ContainerID+".scope")
	s := newTestSampler(t, root, v2SystemdPID, node)

	// 1 ms of CPU 1 ms later would read as 100 %; it is not reported.
	writeFile(t, filepath.Join(dir, "cpu.stat"), "usage_usec 8371215\nuser_usec 8232911\nsystem_usec 138304\n")
	setStat(t, filepath.Join(root, "proc/4242/stat"), "2001", "50")
	u, err := s.Sample(t0.Add(time.Millisecond))
	must.NoError(t, err)
	must.SliceNotContains(t, u.ResourceUsage.CpuStats.Measured, "Percent")
	must.SliceEmpty(t, u.Pids["4242"].CpuStats.Measured)
	must.Positive(t, u.Pids["4242"].MemoryStats.RSS)
	must.Eq(t, 3514368, u.ResourceUsage.MemoryStats.Usage)

	// Two seconds after the baseline the container used 0.5 s more.
	writeFile(t, filepath.Join(dir, "cpu.stat"), "usage_usec 8870215\nuser_usec 8731911\nsystem_usec 138304\n")
	setStat(t, filepath.Join(root, "proc/4242/stat"), "2050", "50")
	u, err = s.Sample(t0.Add(2 * time.Second))
	must.NoError(t, err)
	must.InDelta(t, 25, u.ResourceUsage.CpuStats.Percent, 1e-9)
	must.InDelta(t, 25, u.Pids["4242"].CpuStats.Percent, 1e-9)
}

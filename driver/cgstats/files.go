package cgstats

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
)

// cgroupFiles are a container's cgroup interface files, held open between
// samples.
//
// cgroup.procs is not among the open files but opened for every read: cgroup
// v1 caches the pid list of an open cgroup.procs and serves it again to later
// reads for as long as they keep coming, so a held file would list processes
// long gone.
type cgroupFiles struct {
	dirs  Dirs
	procs string // path of cgroup.procs
	open  []cgroupFile

	// v1 and v2 receive the contents of the open files, see cgroupFile.dst.
	v1 V1Files
	v2 V2Files
}

// cgroupFile is an open interface file and the V1Files or V2Files field of
// its cgroupFiles that each read points at the new content.
type cgroupFile struct {
	file *kfile
	dst  *[]byte
}

// openCgroup opens the interface files of the cgroup in d. Optional files the
// kernel does not provide are left out for good.
func openCgroup(d Dirs) (*cgroupFiles, error) {
	c := &cgroupFiles{dirs: d, procs: filepath.Join(d.Memory, "cgroup.procs")}
	type want struct {
		dir, name string
		required  bool
		dst       *[]byte
	}
	var wants []want
	switch d.Version {
	case V1:
		wants = []want{
			{d.Memory, "memory.stat", true, &c.v1.MemoryStat},
			{d.Memory, "memory.usage_in_bytes", true, &c.v1.MemoryUsage},
			{d.Memory, "memory.max_usage_in_bytes", false, &c.v1.MemoryMaxUsage},
			{d.CPUAcct, "cpuacct.usage", true, &c.v1.CPUAcctUsage},
			{d.CPUAcct, "cpuacct.stat", true, &c.v1.CPUAcctStat},
			{d.CPU, "cpu.stat", false, &c.v1.CPUStat},
		}
	case V2:
		wants = []want{
			{d.Memory, "memory.current", true, &c.v2.MemoryCurrent},
			{d.Memory, "memory.peak", false, &c.v2.MemoryPeak},
			{d.Memory, "memory.stat", true, &c.v2.MemoryStat},
			{d.Memory, "memory.swap.current", false, &c.v2.MemorySwapCurrent},
			{d.CPU, "cpu.stat", true, &c.v2.CPUStat},
		}
	default:
		return nil, fmt.Errorf("cgroup version %d: want 1 or 2", d.Version)
	}

	if _, err := os.Stat(c.procs); err != nil {
		return nil, c.wrap(err)
	}
	for _, w := range wants {
		if w.dir == "" {
			continue // v1 without the cpu controller
		}
		f, err := openKFile(filepath.Join(w.dir, w.name))
		missing := errors.Is(err, fs.ErrNotExist)
		if missing && !w.required {
			continue
		}
		if err != nil {
			c.close()
			if _, statErr := os.Stat(w.dir); statErr == nil && missing {
				return nil, c.wrap(fmt.Errorf("required file %s is missing though the cgroup exists", w.name))
			}
			return nil, c.wrap(err)
		}
		c.open = append(c.open, cgroupFile{file: f, dst: w.dst})
	}
	return c, nil
}

// close closes the open files; it may be called more than once.
func (c *cgroupFiles) close() {
	for _, f := range c.open {
		f.file.close()
	}
}

// read reads and parses the interface files into counters.
func (c *cgroupFiles) read(a *arena) (Counters, error) {
	for _, f := range c.open {
		b, err := a.read(f.file)
		if err != nil {
			return Counters{}, c.wrap(err)
		}
		*f.dst = b
	}
	var (
		cur Counters
		err error
	)
	if c.dirs.Version == V1 {
		cur, err = FromV1(c.v1)
	} else {
		cur, err = FromV2(c.v2)
	}
	if err != nil {
		return Counters{}, c.wrap(err)
	}
	return cur, nil
}

// readPids appends the pids in cgroup.procs to dst.
func (c *cgroupFiles) readPids(a *arena, dst []int) ([]int, error) {
	f, err := openKFile(c.procs)
	if err != nil {
		return dst, c.wrap(err)
	}
	data, err := a.read(f)
	f.close()
	if err != nil {
		return dst, c.wrap(err)
	}
	dst, err = parsePids(dst, data)
	if err != nil {
		return dst, c.wrap(fmt.Errorf("cgroup.procs: %w", err))
	}
	return dst, nil
}

// parsePids appends the pids listed in cgroup.procs, one per line, to dst.
func parsePids(dst []int, data []byte) ([]int, error) {
	for line := range bytes.Lines(data) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		v, ok := parseUint(line)
		if !ok || v == 0 || v > math.MaxInt32 {
			return dst, fmt.Errorf("line %q is not a process id", line)
		}
		dst = append(dst, int(v))
	}
	return dst, nil
}

// wrap names the cgroup in err and marks a removed cgroup with ErrGone.
func (c *cgroupFiles) wrap(err error) error {
	if isGone(err) {
		return fmt.Errorf("cgroup v%d %s: %w: %w", c.dirs.Version, c.dirs.Memory, ErrGone, err)
	}
	return fmt.Errorf("cgroup v%d %s: %w", c.dirs.Version, c.dirs.Memory, err)
}

package cgstats

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// Sampler reads the resource usage of one container from its cgroup and
// /proc, keeping the previous reading so CPU rates come from differences.
// A sample is a handful of small file reads: no goroutines, no Docker calls.
// A Sampler is safe for concurrent use, though one stats stream per Sampler
// is the intended use: each Sample advances the baseline of the next.
type Sampler struct {
	root     string
	dirs     Dirs
	files    cgroupFiles
	compute  cpustats.Compute
	pageSize uint64

	mu     sync.Mutex
	arena  arena
	prev   Counters
	prevAt time.Time
	pids   []int              // cgroup.procs of the current sample
	procs  map[int]*procState // by pid
	gen    uint64             // number of process samples taken
}

// cgroupFiles are the paths read on every sample. Optional files that did
// not exist when the Sampler was made are empty and never tried again.
type cgroupFiles struct {
	procs string // cgroup.procs
	v1    struct{ memoryStat, memoryUsage, memoryMaxUsage, acctUsage, acctStat, cpuStat string }
	v2    struct{ memoryCurrent, memoryPeak, memoryStat, swapCurrent, cpuStat string }
}

// procState is what a Sampler remembers of one process between samples.
type procState struct {
	key  string // pid as the key of TaskResourceUsage.Pids
	path string // its /proc/<pid>/stat
	last ProcStat
	gen  uint64 // the sample that read last, 0 before the first read
}

// NewSampler locates the cgroup of the process initPID (a container's init
// process) under root, "/" on a real host, and takes the first reading, so
// that the first Sample already reports CPU rates. compute is the node's CPU
// (base.AgentConfig.Compute()), needed for TotalTicks. It fails with an
// error wrapping ErrGone when the process no longer exists.
func NewSampler(root string, initPID int, compute cpustats.Compute) (*Sampler, error) {
	return newSampler(root, initPID, compute, time.Now())
}

func newSampler(root string, initPID int, compute cpustats.Compute, now time.Time) (*Sampler, error) {
	dirs, err := Locate(root, initPID)
	if err != nil {
		return nil, err
	}
	files, err := cgroupFilesOf(dirs)
	if err != nil {
		return nil, err
	}
	s := &Sampler{
		root:     root,
		dirs:     dirs,
		files:    files,
		compute:  compute,
		pageSize: uint64(os.Getpagesize()),
		procs:    make(map[int]*procState),
	}
	if _, err := s.Sample(now); err != nil {
		return nil, err
	}
	return s, nil
}

// cgroupFilesOf lists the files a sample reads, dropping optional ones the
// kernel does not provide.
func cgroupFilesOf(d Dirs) (cgroupFiles, error) {
	var f cgroupFiles
	f.procs = filepath.Join(d.Memory, "cgroup.procs")
	if _, err := os.Stat(f.procs); err != nil {
		if isGone(err) {
			return f, fmt.Errorf("cgroup %s: %w", d.Memory, ErrGone)
		}
		return f, fmt.Errorf("cgroup %s: %w", d.Memory, err)
	}
	optional := func(dir, name string) string {
		if dir == "" {
			return ""
		}
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			return ""
		}
		return p
	}
	switch d.Version {
	case V1:
		f.v1.memoryStat = filepath.Join(d.Memory, "memory.stat")
		f.v1.memoryUsage = filepath.Join(d.Memory, "memory.usage_in_bytes")
		f.v1.memoryMaxUsage = optional(d.Memory, "memory.max_usage_in_bytes")
		f.v1.acctUsage = filepath.Join(d.CPUAcct, "cpuacct.usage")
		f.v1.acctStat = filepath.Join(d.CPUAcct, "cpuacct.stat")
		f.v1.cpuStat = optional(d.CPU, "cpu.stat")
	case V2:
		f.v2.memoryCurrent = filepath.Join(d.Memory, "memory.current")
		f.v2.memoryPeak = optional(d.Memory, "memory.peak")
		f.v2.memoryStat = filepath.Join(d.Memory, "memory.stat")
		f.v2.swapCurrent = optional(d.Memory, "memory.swap.current")
		f.v2.cpuStat = filepath.Join(d.CPU, "cpu.stat")
	default:
		return f, fmt.Errorf("cgroup version %d: want 1 or 2", d.Version)
	}
	return f, nil
}

// Dirs returns the cgroup directories the Sampler reads.
func (s *Sampler) Dirs() Dirs { return s.dirs }

// Sample reads the container's cgroup and each of its processes and returns
// their usage at now: the aggregate from the cgroup (see Rates) and, in
// Pids, every process with its CPU percentages and RSS from /proc/<pid>/stat.
// A process appearing for the first time has its RSS but no CPU measured. An
// error wraps ErrGone once the cgroup has been removed.
func (s *Sampler) Sample(now time.Time) (*drivers.TaskResourceUsage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arena.reset()

	cur, err := s.readCounters()
	if err != nil {
		return nil, err
	}
	if err := s.readPids(); err != nil {
		return nil, err
	}

	var wall time.Duration
	var prev *Counters
	if !s.prevAt.IsZero() {
		wall, prev = now.Sub(s.prevAt), &s.prev
	}
	usage := &drivers.TaskResourceUsage{
		ResourceUsage: Rates(prev, cur, wall, s.compute),
		Timestamp:     now.UnixNano(),
		Pids:          s.sampleProcs(wall),
	}
	s.prev, s.prevAt = cur, now
	return usage, nil
}

// readCounters reads and parses the cgroup interface files.
func (s *Sampler) readCounters() (Counters, error) {
	var (
		c   Counters
		err error
	)
	switch s.dirs.Version {
	case V1:
		var f V1Files
		err = s.readAll([]fileRead{
			{s.files.v1.memoryStat, &f.MemoryStat},
			{s.files.v1.memoryUsage, &f.MemoryUsage},
			{s.files.v1.memoryMaxUsage, &f.MemoryMaxUsage},
			{s.files.v1.acctUsage, &f.CPUAcctUsage},
			{s.files.v1.acctStat, &f.CPUAcctStat},
			{s.files.v1.cpuStat, &f.CPUStat},
		})
		if err == nil {
			c, err = FromV1(f)
		}
	case V2:
		var f V2Files
		err = s.readAll([]fileRead{
			{s.files.v2.memoryCurrent, &f.MemoryCurrent},
			{s.files.v2.memoryPeak, &f.MemoryPeak},
			{s.files.v2.memoryStat, &f.MemoryStat},
			{s.files.v2.swapCurrent, &f.MemorySwapCurrent},
			{s.files.v2.cpuStat, &f.CPUStat},
		})
		if err == nil {
			c, err = FromV2(f)
		}
	}
	if err != nil {
		return Counters{}, fmt.Errorf("cgroup v%d %s: %w", s.dirs.Version, s.dirs.Memory, err)
	}
	return c, nil
}

// fileRead pairs a file to read with where its content goes; an empty path
// leaves the destination nil, the mark of an absent optional file.
type fileRead struct {
	path string
	dst  *[]byte
}

func (s *Sampler) readAll(reads []fileRead) error {
	for _, r := range reads {
		if r.path == "" {
			continue
		}
		b, err := s.arena.read(r.path)
		if err != nil {
			if isGone(err) {
				return fmt.Errorf("read %s: %w", r.path, ErrGone)
			}
			return fmt.Errorf("read %s: %w", r.path, err)
		}
		*r.dst = b
	}
	return nil
}

// Pids returns the processes in the container's cgroup, sorted.
func (s *Sampler) Pids() ([]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arena.reset()
	if err := s.readPids(); err != nil {
		return nil, err
	}
	pids := slices.Clone(s.pids)
	slices.Sort(pids)
	return pids, nil
}

// readPids reads cgroup.procs into s.pids.
func (s *Sampler) readPids() error {
	data, err := s.arena.read(s.files.procs)
	if err != nil {
		if isGone(err) {
			return fmt.Errorf("read %s: %w", s.files.procs, ErrGone)
		}
		return fmt.Errorf("read %s: %w", s.files.procs, err)
	}
	s.pids, err = parsePids(s.pids[:0], data)
	if err != nil {
		return fmt.Errorf("%s: %w", s.files.procs, err)
	}
	return nil
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

// sampleProcs reads /proc/<pid>/stat of each pid in s.pids and returns their
// usage by pid, forgetting processes that left. A process that exits between
// listing and reading is left out, and so is one whose stat cannot be parsed:
// the aggregate figures do not depend on it, so it does not fail the sample.
// A pid whose start time changed is a new process and starts without CPU.
func (s *Sampler) sampleProcs(wall time.Duration) map[string]*drivers.ResourceUsage {
	s.gen++
	usage := make(map[string]*drivers.ResourceUsage, len(s.pids))
	for _, pid := range s.pids {
		st := s.procs[pid]
		if st == nil {
			st = &procState{
				key:  strconv.Itoa(pid),
				path: filepath.Join(s.root, "proc", strconv.Itoa(pid), "stat"),
			}
			s.procs[pid] = st
		}
		data, err := s.arena.read(st.path)
		if err != nil {
			continue
		}
		cur, err := ParseProcStat(data)
		if err != nil {
			continue
		}
		var prev *ProcStat
		if st.gen == s.gen-1 && st.last.Start == cur.Start {
			prev = &st.last
		}
		usage[st.key] = procRates(prev, cur, wall, s.pageSize, s.compute)
		st.last, st.gen = cur, s.gen
	}
	for pid, st := range s.procs {
		if st.gen != s.gen {
			delete(s.procs, pid)
		}
	}
	return usage
}

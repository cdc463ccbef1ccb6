package cgstats

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// errClosed is returned by a Sampler used after Close.
var errClosed = errors.New("stats sampler is closed")

// Sampler reads the resource usage of one container from its cgroup and
// /proc, keeping the previous reading so CPU rates come from differences.
// It keeps the files it reads open, so a sample is one read per file: no
// goroutines, no Docker calls. Close releases the files.
//
// A Sampler is safe for concurrent use, though one stats stream per Sampler
// is the intended use: each Sample advances the baseline of the next.
type Sampler struct {
	root     string
	dirs     Dirs
	compute  cpustats.Compute
	pageSize uint64

	mu     sync.Mutex
	closed bool
	files  *openFiles
	arena  arena
	prev   Counters
	prevAt time.Time
	pids   []int  // cgroup.procs of the current sample
	gen    uint64 // number of process samples taken
}

// openFiles are the files a Sampler holds open, apart from the Sampler so a
// cleanup can close them if the Sampler is dropped without Close.
//
// cgroup.procs is not among them but opened for every read: cgroup v1 caches
// the pid list of an open cgroup.procs and serves it again to later reads
// for as long as they keep coming, so a held file would list processes long
// gone.
type openFiles struct {
	procs  string             // path of cgroup.procs
	cgroup []cgroupFile       // interface files parsed by FromV1 or FromV2
	byPID  map[int]*procState // /proc/<pid>/stat of the processes last seen
}

// cgroupFile is an open interface file and the V1Files or V2Files field it
// fills.
type cgroupFile struct {
	file *kfile
	set  func(v1 *V1Files, v2 *V2Files, content []byte)
}

// procState is what a Sampler keeps of one process between samples.
type procState struct {
	key  string // the pid as the key of TaskResourceUsage.Pids
	stat *kfile
	last ProcStat
	gen  uint64 // the sample that read it last
}

func (o *openFiles) close() {
	for _, f := range o.cgroup {
		f.file.close()
	}
	for pid, p := range o.byPID {
		p.stat.close()
		delete(o.byPID, pid)
	}
}

// NewSampler locates the cgroup of the process initPID (a container's init
// process) under root, "/" on a real host, opens its files and takes the
// first reading, so that the first Sample already reports CPU rates. compute
// is the node's CPU (base.AgentConfig.Compute()), needed for TotalTicks. It
// fails with an error wrapping ErrGone when the process no longer exists.
func NewSampler(root string, initPID int, compute cpustats.Compute) (*Sampler, error) {
	return newSampler(root, initPID, compute, time.Now())
}

func newSampler(root string, initPID int, compute cpustats.Compute, now time.Time) (*Sampler, error) {
	dirs, err := Locate(root, initPID)
	if err != nil {
		return nil, err
	}
	files, err := openCgroup(dirs)
	if err != nil {
		return nil, err
	}
	s := &Sampler{
		root:     root,
		dirs:     dirs,
		compute:  compute,
		pageSize: uint64(os.Getpagesize()),
		files:    files,
	}
	runtime.AddCleanup(s, (*openFiles).close, files)
	if _, err := s.Sample(now); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the files the Sampler holds open. Sampling after Close
// fails; closing twice does nothing.
func (s *Sampler) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files.close()
	s.closed = true
	return nil
}

// openCgroup opens the interface files a sample reads. Optional files the
// kernel does not provide are left out for good.
func openCgroup(d Dirs) (*openFiles, error) {
	o := &openFiles{byPID: make(map[int]*procState)}
	type want struct {
		dir, name string
		required  bool
		set       func(v1 *V1Files, v2 *V2Files, content []byte)
	}
	var wants []want
	switch d.Version {
	case V1:
		wants = []want{
			{d.Memory, "memory.stat", true, func(f *V1Files, _ *V2Files, b []byte) { f.MemoryStat = b }},
			{d.Memory, "memory.usage_in_bytes", true, func(f *V1Files, _ *V2Files, b []byte) { f.MemoryUsage = b }},
			{d.Memory, "memory.max_usage_in_bytes", false, func(f *V1Files, _ *V2Files, b []byte) { f.MemoryMaxUsage = b }},
			{d.CPUAcct, "cpuacct.usage", true, func(f *V1Files, _ *V2Files, b []byte) { f.CPUAcctUsage = b }},
			{d.CPUAcct, "cpuacct.stat", true, func(f *V1Files, _ *V2Files, b []byte) { f.CPUAcctStat = b }},
			{d.CPU, "cpu.stat", false, func(f *V1Files, _ *V2Files, b []byte) { f.CPUStat = b }},
		}
	case V2:
		wants = []want{
			{d.Memory, "memory.current", true, func(_ *V1Files, f *V2Files, b []byte) { f.MemoryCurrent = b }},
			{d.Memory, "memory.peak", false, func(_ *V1Files, f *V2Files, b []byte) { f.MemoryPeak = b }},
			{d.Memory, "memory.stat", true, func(_ *V1Files, f *V2Files, b []byte) { f.MemoryStat = b }},
			{d.Memory, "memory.swap.current", false, func(_ *V1Files, f *V2Files, b []byte) { f.MemorySwapCurrent = b }},
			{d.CPU, "cpu.stat", true, func(_ *V1Files, f *V2Files, b []byte) { f.CPUStat = b }},
		}
	default:
		return nil, fmt.Errorf("cgroup version %d: want 1 or 2", d.Version)
	}

	o.procs = filepath.Join(d.Memory, "cgroup.procs")
	if _, err := os.Stat(o.procs); err != nil {
		return nil, cgroupError(d, err)
	}
	for _, w := range wants {
		if w.dir == "" {
			continue // v1 without the cpu controller
		}
		f, err := openKFile(filepath.Join(w.dir, w.name))
		if err != nil && !w.required && errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			o.close()
			if _, statErr := os.Stat(w.dir); statErr == nil && errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("cgroup v%d %s: required file %s is missing though the cgroup exists", d.Version, d.Memory, w.name)
			}
			return nil, cgroupError(d, err)
		}
		o.cgroup = append(o.cgroup, cgroupFile{file: f, set: w.set})
	}
	return o, nil
}

// cgroupError wraps a failure to open or read a cgroup file, marking a removed
// cgroup with ErrGone.
func cgroupError(d Dirs, err error) error {
	if isGone(err) {
		return fmt.Errorf("cgroup v%d %s: %w: %w", d.Version, d.Memory, ErrGone, err)
	}
	return fmt.Errorf("cgroup v%d %s: %w", d.Version, d.Memory, err)
}

// Dirs returns the cgroup directories the Sampler reads.
func (s *Sampler) Dirs() Dirs { return s.dirs }

// Sample reads the container's cgroup and each of its processes and returns
// their usage at now: the aggregate from the cgroup (see Rates) and, in
// Pids, every process with its CPU percentages and RSS from /proc/<pid>/stat.
// A process appearing for the first time has its RSS but no CPU measured. An
// error wraps ErrGone once the cgroup has been removed; a failed sample does
// not move the baseline.
func (s *Sampler) Sample(now time.Time) (*drivers.TaskResourceUsage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
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
	var v1 V1Files
	var v2 V2Files
	for _, f := range s.files.cgroup {
		b, err := s.arena.read(f.file)
		if err != nil {
			return Counters{}, cgroupError(s.dirs, err)
		}
		f.set(&v1, &v2, b)
	}
	var c Counters
	var err error
	if s.dirs.Version == V1 {
		c, err = FromV1(v1)
	} else {
		c, err = FromV2(v2)
	}
	if err != nil {
		return Counters{}, fmt.Errorf("cgroup v%d %s: %w", s.dirs.Version, s.dirs.Memory, err)
	}
	return c, nil
}

// Pids returns the processes in the container's cgroup, sorted.
func (s *Sampler) Pids() ([]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
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
	f, err := openKFile(s.files.procs)
	if err != nil {
		return cgroupError(s.dirs, err)
	}
	data, err := s.arena.read(f)
	f.close()
	if err != nil {
		return cgroupError(s.dirs, err)
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
// usage by pid, closing the files of processes that left. A process that
// exits between listing and reading is left out, and so is one whose stat
// cannot be parsed: the aggregate figures do not depend on it, so it does not
// fail the sample. A pid whose start time changed is a new process and
// starts without CPU rates.
func (s *Sampler) sampleProcs(wall time.Duration) map[string]*drivers.ResourceUsage {
	s.gen++
	byPID := s.files.byPID
	usage := make(map[string]*drivers.ResourceUsage, len(s.pids))
	for _, pid := range s.pids {
		p := byPID[pid]
		if p == nil {
			stat, err := openKFile(filepath.Join(s.root, "proc", strconv.Itoa(pid), "stat"))
			if err != nil {
				continue
			}
			p = &procState{key: strconv.Itoa(pid), stat: stat}
			byPID[pid] = p
		}
		data, err := s.arena.read(p.stat)
		if err != nil {
			continue
		}
		cur, err := ParseProcStat(data)
		if err != nil {
			continue
		}
		var prev *ProcStat
		if p.gen != 0 && p.gen == s.gen-1 && p.last.Start == cur.Start {
			prev = &p.last
		}
		usage[p.key] = procRates(prev, cur, wall, s.pageSize, s.compute)
		p.last, p.gen = cur, s.gen
	}
	for pid, p := range byPID {
		if p.gen != s.gen {
			p.stat.close()
			delete(byPID, pid)
		}
	}
	return usage
}

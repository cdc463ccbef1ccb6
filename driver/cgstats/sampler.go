package cgstats

import (
	"errors"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// errClosed is returned by a Sampler used after Close.
var errClosed = errors.New("stats sampler is closed")

// Sampler reads the resource usage of one container from its cgroup and
// /proc, keeping the previous reading so CPU rates come from differences.
// It keeps the files it reads open, so a sample is about one read per file:
// no goroutines, no Docker calls. Close releases the files.
//
// A Sampler is safe for concurrent use, though one stats stream per Sampler
// is the intended use: each Sample advances the baseline of the next.
type Sampler struct {
	compute  cpustats.Compute
	pageSize uint64

	mu     sync.Mutex
	closed bool
	cgroup *cgroupFiles
	procs  *procTable
	arena  arena
	pids   []int    // cgroup.procs of the latest read
	base   Counters // the reading CPU rates are measured from
	baseAt time.Time
}

// NewSampler locates the cgroup of the process initPID (a container's init
// process) under root, "/" on a real host, opens its files and takes the
// first reading, so that the first Sample already reports CPU rates. compute
// is the node's CPU (base.AgentConfig.Compute()), needed for TotalTicks. It
// fails with an error wrapping ErrGone when the process or its cgroup no
// longer exists.
func NewSampler(root string, initPID int, compute cpustats.Compute) (*Sampler, error) {
	return newSampler(root, initPID, compute, time.Now())
}

func newSampler(root string, initPID int, compute cpustats.Compute, now time.Time) (*Sampler, error) {
	dirs, err := Locate(root, initPID)
	if err != nil {
		return nil, err
	}
	cg, err := openCgroup(dirs)
	if err != nil {
		return nil, err
	}
	s := &Sampler{
		compute:  compute,
		pageSize: uint64(os.Getpagesize()),
		cgroup:   cg,
		procs:    newProcTable(root),
	}
	// Close is the contract; these only keep a dropped Sampler from leaking
	// descriptors until the process exits.
	runtime.AddCleanup(s, (*cgroupFiles).close, cg)
	runtime.AddCleanup(s, (*procTable).close, s.procs)

	if _, err := s.Sample(now); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the files the Sampler holds open. Sampling after Close
// fails; closing twice does nothing.
func (s *Sampler) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cgroup.close()
	s.procs.close()
	s.closed = true
	return nil
}

// Dirs returns the cgroup directories the Sampler reads.
func (s *Sampler) Dirs() Dirs { return s.cgroup.dirs }

// Sample reads the container's cgroup and each of its processes and returns
// their usage at now: the aggregate from the cgroup (see Rates) and, in
// Pids, every process with its CPU percentages and RSS from /proc/<pid>/stat.
// A process appearing for the first time has its RSS but no CPU measured.
// Rates need at least 100 ms since the previous sample; a sample that comes
// sooner reports none and leaves the baseline for the next. An error wraps
// ErrGone once the cgroup has been removed; a failed sample does not move
// the baseline either.
func (s *Sampler) Sample(now time.Time) (*drivers.TaskResourceUsage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	s.arena.reset()

	cur, err := s.cgroup.read(&s.arena)
	if err != nil {
		return nil, err
	}
	if s.pids, err = s.cgroup.readPids(&s.arena, s.pids[:0]); err != nil {
		return nil, err
	}

	usage := &drivers.TaskResourceUsage{
		Timestamp: now.UnixNano(),
		Pids:      s.procs.sample(&s.arena, s.pids, now, s.pageSize, s.compute),
	}
	wall, ok := rateInterval(s.baseAt, now)
	switch {
	case ok:
		usage.ResourceUsage = Rates(&s.base, cur, wall, s.compute)
		s.base, s.baseAt = cur, now
	case s.baseAt.IsZero():
		usage.ResourceUsage = Rates(nil, cur, 0, s.compute)
		s.base, s.baseAt = cur, now
	default:
		usage.ResourceUsage = Rates(nil, cur, 0, s.compute)
	}
	return usage, nil
}

// Pids returns the processes in the container's cgroup, sorted.
func (s *Sampler) Pids() ([]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	s.arena.reset()
	var err error
	if s.pids, err = s.cgroup.readPids(&s.arena, s.pids[:0]); err != nil {
		return nil, err
	}
	pids := slices.Clone(s.pids)
	slices.Sort(pids)
	return pids, nil
}

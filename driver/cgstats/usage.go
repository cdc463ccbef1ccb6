package cgstats

import (
	"time"

	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// Names of measured fields, as Nomad's API and `nomad alloc status -stats`
// know them.
const (
	fieldRSS      = "RSS"
	fieldCache    = "Cache"
	fieldSwap     = "Swap"
	fieldUsage    = "Usage"
	fieldMaxUsage = "Max Usage"

	fieldSystemMode       = "System Mode"
	fieldUserMode         = "User Mode"
	fieldPercent          = "Percent"
	fieldThrottledPeriods = "Throttled Periods"
	fieldThrottledTime    = "Throttled Time"
)

// Counters is one reading of a container's cgroup: CPU time accumulated since
// the cgroup was created and the memory figures of the moment. CPU rates come
// from the difference of two readings, see Rates.
type Counters struct {
	CPU    CPUCounters
	Memory drivers.MemoryStats
}

// CPUCounters holds cumulative CPU figures of a cgroup.
type CPUCounters struct {
	// Total, User and System are the CPU time used by all the cgroup's tasks.
	Total, User, System time.Duration

	// Throttled reports whether the kernel accounts CFS throttling for the
	// cgroup (v1: cpu controller mounted; v2: cpu controller enabled); the
	// two fields below are meaningful only then.
	Throttled bool
	// ThrottledPeriods is the number of enforcement periods in which the
	// cgroup hit its quota (nr_throttled), as Nomad reports it.
	ThrottledPeriods uint64
	// ThrottledTime is the total time the cgroup's tasks were held back.
	ThrottledTime time.Duration
}

// Rates turns two readings of the same cgroup, taken wall apart, into Nomad's
// resource usage. Percent, UserMode and SystemMode are percentages of one core
// (100 = one core fully busy), the unit Nomad's own cgroup-based executor
// reports; TotalTicks is Percent in MHz of this node's compute, by Nomad's
// formula. With prev nil, or counters that went backwards (a recreated
// cgroup), only the cumulative and memory figures are measured.
func Rates(prev *Counters, cur Counters, wall time.Duration, compute cpustats.Compute) *drivers.ResourceUsage {
	mem := cur.Memory
	cpu := drivers.CpuStats{Measured: make([]string, 0, 5)}
	if prev != nil {
		if total, ok := percent(prev.CPU.Total, cur.CPU.Total, wall); ok {
			cpu.Percent = total
			cpu.UserMode, _ = percent(prev.CPU.User, cur.CPU.User, wall)
			cpu.SystemMode, _ = percent(prev.CPU.System, cur.CPU.System, wall)
			cpu.TotalTicks = ticks(total, compute)
			cpu.Measured = append(cpu.Measured, fieldSystemMode, fieldUserMode, fieldPercent)
		}
	}
	if cur.CPU.Throttled {
		cpu.ThrottledPeriods = cur.CPU.ThrottledPeriods
		cpu.ThrottledTime = uint64(cur.CPU.ThrottledTime)
		cpu.Measured = append(cpu.Measured, fieldThrottledPeriods, fieldThrottledTime)
	}
	return &drivers.ResourceUsage{MemoryStats: &mem, CpuStats: &cpu}
}

// minRateInterval is the shortest interval CPU rates are computed over.
// The kernel brings a running task's CPU time up to date only at scheduler
// events, a tick (1-10 ms) apart, and /proc/<pid>/stat counts whole 10 ms
// ticks, so rates over shorter intervals are mostly noise; a reading that
// comes sooner leaves the baseline where it is and reports no rates.
const minRateInterval = 100 * time.Millisecond

// rateInterval returns the time from a baseline taken at baseAt to now and
// whether it is long enough for CPU rates.
func rateInterval(baseAt, now time.Time) (time.Duration, bool) {
	if baseAt.IsZero() {
		return 0, false
	}
	wall := now.Sub(baseAt)
	return wall, wall >= minRateInterval
}

// percent is the share of one core that used CPU time from prev to cur over
// wall, the computation of Nomad's cpustats.Tracker with the wall time passed
// in rather than read from a clock. ok is false when there is no meaningful
// interval: no time passed, or the counter went backwards.
func percent(prev, cur, wall time.Duration) (p float64, ok bool) {
	if wall <= 0 || cur < prev {
		return 0, false
	}
	return float64(cur-prev) / float64(wall) * 100, true
}

// ticks converts a percentage of one core to MHz of this node's compute, as
// cpustats.Tracker.TicksConsumed does, but yields 0 instead of NaN or +Inf
// when the agent reported no cores, which JSON cannot carry.
func ticks(percent float64, compute cpustats.Compute) float64 {
	if compute.NumCores <= 0 {
		return 0
	}
	return percent / 100 * float64(compute.TotalCompute) / float64(compute.NumCores)
}

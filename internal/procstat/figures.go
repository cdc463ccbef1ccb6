package procstat

import (
	"fmt"
	"strings"
	"time"
)

// PerTask is what each running task costs a process: the growth from a
// sample before the tasks to one while all n run, divided by n, and the
// CPU time the process spent from before to after, divided by n.
type PerTask struct {
	RSS, PSS, HeapAlloc      float64 // bytes
	Goroutines, FDs, Threads float64
	CPU                      time.Duration
}

// Cost works out PerTask from samples before, at the peak and after n
// tasks ran. n must be positive.
func Cost(before, peak, after Sample, n int) (PerTask, error) {
	if n <= 0 {
		return PerTask{}, fmt.Errorf("tasks %d: want at least 1", n)
	}
	per := func(a, b float64) float64 { return (b - a) / float64(n) }
	return PerTask{
		RSS:        per(float64(before.RSS), float64(peak.RSS)),
		PSS:        per(float64(before.PSS), float64(peak.PSS)),
		HeapAlloc:  per(float64(before.HeapAlloc), float64(peak.HeapAlloc)),
		Goroutines: per(float64(before.Goroutines), float64(peak.Goroutines)),
		FDs:        per(float64(before.FDs), float64(peak.FDs)),
		Threads:    per(float64(before.Threads), float64(peak.Threads)),
		CPU:        (after.CPU - before.CPU) / time.Duration(n),
	}, nil
}

// Slack is how far above its baseline a process may settle once its tasks
// are gone without that counting as a leak: connections kept idle in a
// pool, a timer not yet fired, the runtime's own bookkeeping.
type Slack struct {
	Goroutines int
	FDs        int
	HeapAlloc  uint64 // bytes
}

// Excess describes what of now stays above before by more than slack, or
// returns "" when nothing does.
func Excess(before, now Sample, slack Slack) string {
	var over []string
	if now.Goroutines > before.Goroutines+slack.Goroutines {
		over = append(over, fmt.Sprintf("goroutines %d → %d (slack %d)", before.Goroutines, now.Goroutines, slack.Goroutines))
	}
	if now.FDs > before.FDs+slack.FDs {
		over = append(over, fmt.Sprintf("file descriptors %d → %d (slack %d)", before.FDs, now.FDs, slack.FDs))
	}
	if now.HeapAlloc > before.HeapAlloc+slack.HeapAlloc {
		over = append(over, fmt.Sprintf("live heap %s → %s (slack %s)", MiB(before.HeapAlloc), MiB(now.HeapAlloc), MiB(slack.HeapAlloc)))
	}
	return strings.Join(over, "; ")
}

// MiB formats bytes as mebibytes with one decimal.
func MiB(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// String is a one-line summary of a sample.
// The live heap is left out when it was not read.
func (s Sample) String() string {
	heap := ""
	if s.HeapAlloc > 0 {
		heap = ", heap " + MiB(s.HeapAlloc)
	}
	return fmt.Sprintf("pid %d: PSS %s, RSS %s%s, CPU %.2f s, %d goroutines, %d threads, %d fds",
		s.PID, MiB(s.PSS), MiB(s.RSS), heap, s.CPU.Seconds(), s.Goroutines, s.Threads, s.FDs)
}

// String is a one-line summary of the per-task cost.
func (p PerTask) String() string {
	return fmt.Sprintf("per running task: PSS %.1f KiB, RSS %.1f KiB, heap %.1f KiB, %.2f goroutines, %.2f fds, %.3f threads; CPU %.1f ms per task",
		p.PSS/1024, p.RSS/1024, p.HeapAlloc/1024, p.Goroutines, p.FDs, p.Threads, float64(p.CPU)/float64(time.Millisecond))
}

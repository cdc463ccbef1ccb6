package cgstats

import (
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// FromDockerStats converts a response of Docker's stats endpoint with
// stream=false, for hosts whose cgroup files the driver cannot read (a remote
// Docker endpoint). prev is the previous response for the same container;
// when nil, the response's own precpu_stats are the baseline, which Docker
// fills unless the request was one-shot. Without a baseline CPU rates are
// left unmeasured. Timestamp is the daemon's read time. The daemon reports no
// processes, so Pids stays empty.
//
// Memory follows the mapping of Nomad's docker driver: RSS is memory.stat's
// rss (v1) or anon (v2), Cache its cache or file, MappedFile its mapped_file
// or file_mapped, Swap its swap line, Usage and MaxUsage the daemon's
// figures. Unlike that driver, a field is listed as measured only when the
// daemon sent it, so v2 hosts do not show a Swap or Max Usage of 0.
//
// CPU Percent is Nomad's docker formula, container time over host time
// times the number of CPUs. UserMode and SystemMode use the same formula
// with the user and kernel times, giving percentages of one core like
// Sampler's; Nomad's docker driver instead divides them by the container's
// total time, which puts them in a different unit than Percent.
func FromDockerStats(cur, prev *container.StatsResponse, compute cpustats.Compute) *drivers.TaskResourceUsage {
	base := cur.PreCPUStats
	if prev != nil {
		base = prev.CPUStats
	}
	u := &drivers.TaskResourceUsage{
		ResourceUsage: &drivers.ResourceUsage{
			MemoryStats: dockerMemory(cur.MemoryStats),
			CpuStats:    dockerCPU(base, cur.CPUStats, compute),
		},
	}
	// The zero time has no Unix nanoseconds; a response without a read time
	// keeps the zero Timestamp.
	if !cur.Read.IsZero() {
		u.Timestamp = cur.Read.UnixNano()
	}
	return u
}

func dockerMemory(s container.MemoryStats) *drivers.MemoryStats {
	m := &drivers.MemoryStats{Measured: make([]string, 0, 5)}
	pick := func(keys ...string) (uint64, bool) {
		for _, k := range keys {
			if v, ok := s.Stats[k]; ok {
				return v, true
			}
		}
		return 0, false
	}
	var ok bool
	if m.RSS, ok = pick("rss", "anon"); ok {
		m.Measured = append(m.Measured, fieldRSS)
	}
	if m.Cache, ok = pick("cache", "file"); ok {
		m.Measured = append(m.Measured, fieldCache)
	}
	m.MappedFile, _ = pick("mapped_file", "file_mapped")
	if m.Swap, ok = pick("swap"); ok {
		m.Measured = append(m.Measured, fieldSwap)
	}
	// Usage and MaxUsage are omitted from the JSON when zero. A running
	// container always uses some memory, so a zero Usage means the daemon
	// had no figures; v2 hosts never send MaxUsage.
	if m.Usage = s.Usage; m.Usage != 0 {
		m.Measured = append(m.Measured, fieldUsage)
	}
	if m.MaxUsage = s.MaxUsage; m.MaxUsage != 0 {
		m.Measured = append(m.Measured, fieldMaxUsage)
	}
	return m
}

func dockerCPU(prev, cur container.CPUStats, compute cpustats.Compute) *drivers.CpuStats {
	cs := &drivers.CpuStats{
		ThrottledPeriods: cur.ThrottlingData.ThrottledPeriods,
		ThrottledTime:    cur.ThrottlingData.ThrottledTime,
		Measured:         make([]string, 0, 5),
	}
	cs.Measured = append(cs.Measured, fieldThrottledPeriods, fieldThrottledTime)

	cores := uint64(cur.OnlineCPUs)
	if cores == 0 && compute.NumCores > 0 {
		cores = uint64(compute.NumCores)
	}
	if prev.SystemUsage == 0 || cur.SystemUsage <= prev.SystemUsage || cores == 0 {
		return cs
	}
	// system_cpu_usage is the host's CPU time summed over its online CPUs, so
	// its increase divided by their number is the wall time that passed.
	wall := time.Duration((cur.SystemUsage - prev.SystemUsage) / cores)
	total, ok := percent(time.Duration(prev.CPUUsage.TotalUsage), time.Duration(cur.CPUUsage.TotalUsage), wall)
	if !ok {
		return cs
	}
	cs.Percent = total
	cs.UserMode, _ = percent(time.Duration(prev.CPUUsage.UsageInUsermode), time.Duration(cur.CPUUsage.UsageInUsermode), wall)
	cs.SystemMode, _ = percent(time.Duration(prev.CPUUsage.UsageInKernelmode), time.Duration(cur.CPUUsage.UsageInKernelmode), wall)
	cs.TotalTicks = ticks(total, compute)
	cs.Measured = append(cs.Measured, fieldSystemMode, fieldUserMode, fieldPercent)
	return cs
}

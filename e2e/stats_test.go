package e2e

import (
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

// A busy task shows non-zero CPU and memory figures in the allocation stats.
func TestStatsWhileRunning(t *testing.T) {
	c := shared(t)
	alloc := runScript(t, c, "yes > /dev/null", nil)
	waitRunning(t, c, alloc.ID)

	usage, err := c.WaitStats(t.Context(), alloc.ID, task, func(u *api.TaskResourceUsage) bool {
		r := u.ResourceUsage
		return r != nil && r.CpuStats != nil && r.MemoryStats != nil &&
			r.CpuStats.Percent > 0 && r.CpuStats.TotalTicks > 0 && r.CpuStats.UserMode+r.CpuStats.SystemMode > 0 &&
			r.MemoryStats.RSS > 0 && r.MemoryStats.Usage > 0 && r.MemoryStats.MaxUsage > 0
	})
	must.NoError(t, err)

	must.SliceContainsAll(t, usage.ResourceUsage.CpuStats.Measured,
		[]string{"System Mode", "User Mode", "Percent", "Throttled Periods", "Throttled Time"})
	must.SliceContainsAll(t, usage.ResourceUsage.MemoryStats.Measured,
		[]string{"RSS", "Cache", "Swap", "Usage", "Max Usage"})
	must.Positive(t, usage.Timestamp)
	must.NoError(t, c.StopAlloc(alloc.ID))
}

package cgstats

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/drivers/docker/util"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

func dockerFixture(t *testing.T, name string) *container.StatsResponse {
	t.Helper()
	var s container.StatsResponse
	must.NoError(t, json.Unmarshal(readFixture(t, filepath.Join("testdata/docker", name)), &s))
	return &s
}

// twoCores is the real v1 host the fixtures come from.
var twoCores = cpustats.Compute{TotalCompute: 5000, NumCores: 2}

func TestFromDockerStats_V1(t *testing.T) {
	s := dockerFixture(t, "v1.json")
	u := FromDockerStats(s, nil, twoCores)

	must.Eq(t, s.Read.UnixNano(), u.Timestamp)
	must.MapEmpty(t, u.Pids)
	must.Eq(t, &drivers.MemoryStats{
		RSS:      114688,
		Cache:    4096,
		Usage:    458752,
		MaxUsage: 3543040,
		Measured: []string{"RSS", "Cache", "Usage", "Max Usage"},
	}, u.ResourceUsage.MemoryStats)

	cs := u.ResourceUsage.CpuStats
	// precpu_stats is the baseline: 2.02 s of host time over 2 CPUs is 1.01 s.
	wall := 2020000000.0 / 2
	must.Eq(t, (269056781242-268356022274)/wall*100, cs.Percent)
	must.Eq(t, (268310000000-267620000000)/wall*100, cs.UserMode)
	must.Eq(t, (740000000-720000000)/wall*100, cs.SystemMode)
	must.Eq(t, cs.Percent/100*2500, cs.TotalTicks)
	must.Eq(t, []string{"Throttled Periods", "Throttled Time", "System Mode", "User Mode", "Percent"}, cs.Measured)

	// Percent agrees with Nomad's docker driver; user and system are in the
	// same unit as Percent, so they add up to it here (no steal between the
	// two counters of the same cgroup).
	nomad := util.DockerStatsToTaskResourceUsage(s, twoCores)
	must.InDelta(t, nomad.ResourceUsage.CpuStats.Percent, cs.Percent, 1e-9)
	must.InDelta(t, cs.Percent, cs.UserMode+cs.SystemMode, 1.0)
}

func TestFromDockerStats_V2(t *testing.T) {
	s := dockerFixture(t, "v2.json")
	u := FromDockerStats(s, nil, cpustats.Compute{TotalCompute: 12000, NumCores: 4})

	// No swap line and no max_usage on v2: neither is claimed as measured.
	must.Eq(t, &drivers.MemoryStats{
		RSS:        5242880,
		Cache:      1572864,
		MappedFile: 524288,
		Usage:      7340032,
		Measured:   []string{"RSS", "Cache", "Usage"},
	}, u.ResourceUsage.MemoryStats)
	must.Eq(t, &drivers.CpuStats{
		Percent:          50,
		UserMode:         49,
		SystemMode:       1,
		TotalTicks:       1500,
		ThrottledPeriods: 37,
		ThrottledTime:    uint64(4100 * time.Millisecond),
		Measured:         []string{"Throttled Periods", "Throttled Time", "System Mode", "User Mode", "Percent"},
	}, u.ResourceUsage.CpuStats)
}

func TestFromDockerStats_OneShot(t *testing.T) {
	prev := dockerFixture(t, "v1.json")
	cur := dockerFixture(t, "v1-oneshot.json")

	// A one-shot response has no precpu_stats: no CPU rates on its own...
	u := FromDockerStats(cur, nil, twoCores)
	must.Eq(t, []string{"Throttled Periods", "Throttled Time"}, u.ResourceUsage.CpuStats.Measured)
	must.Zero(t, u.ResourceUsage.CpuStats.Percent)
	must.Eq(t, 458752, u.ResourceUsage.MemoryStats.Usage)

	// ...but with the previous response as the baseline it has.
	u = FromDockerStats(cur, prev, twoCores)
	wall := (1381880000000.0 - 1351190000000) / 2
	must.Eq(t, (283474390242-269056781242)/wall*100, u.ResourceUsage.CpuStats.Percent)
	must.SliceContains(t, u.ResourceUsage.CpuStats.Measured, "Percent")

	// Responses in the wrong order give no rates rather than negative ones.
	u = FromDockerStats(prev, cur, twoCores)
	must.SliceNotContains(t, u.ResourceUsage.CpuStats.Measured, "Percent")
	must.Zero(t, u.ResourceUsage.CpuStats.Percent)
}

func TestFromDockerStats_Empty(t *testing.T) {
	u := FromDockerStats(&container.StatsResponse{}, nil, cpustats.Compute{})
	must.Zero(t, u.Timestamp)
	must.SliceEmpty(t, u.ResourceUsage.MemoryStats.Measured)
	must.Eq(t, []string{"Throttled Periods", "Throttled Time"}, u.ResourceUsage.CpuStats.Measured)
}

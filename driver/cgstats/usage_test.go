package cgstats

import (
	"testing"
	"time"

	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

// node is a 4-core, 10 GHz node: 2500 MHz per core.
var node = cpustats.Compute{TotalCompute: 10000, NumCores: 4}

func counters(total, user, system time.Duration) Counters {
	return Counters{
		CPU: CPUCounters{Total: total, User: user, System: system, Throttled: true, ThrottledPeriods: 7, ThrottledTime: 3 * time.Millisecond},
		Memory: drivers.MemoryStats{
			RSS: 100, Usage: 300, Measured: []string{"RSS", "Usage"},
		},
	}
}

func TestRates(t *testing.T) {
	prev := counters(10*time.Second, 8*time.Second, 2*time.Second)
	// 1.5 s of CPU in 1 s of wall time: one and a half cores.
	cur := counters(11500*time.Millisecond, 9200*time.Millisecond, 2300*time.Millisecond)

	ru := Rates(&prev, cur, time.Second, node)
	must.Eq(t, &drivers.CpuStats{
		Percent:          150,
		UserMode:         120,
		SystemMode:       30,
		TotalTicks:       3750, // 1.5 cores of 2500 MHz
		ThrottledPeriods: 7,
		ThrottledTime:    uint64(3 * time.Millisecond),
		Measured:         []string{"System Mode", "User Mode", "Percent", "Throttled Periods", "Throttled Time"},
	}, ru.CpuStats)
	must.Eq(t, &cur.Memory, ru.MemoryStats)
}

// Nomad's own formula for ticks, to check that Rates agrees with it.
func TestRatesTicksMatchNomad(t *testing.T) {
	prev := counters(0, 0, 0)
	cur := counters(730*time.Millisecond, 700*time.Millisecond, 30*time.Millisecond)
	ru := Rates(&prev, cur, 2*time.Second, node)
	must.Eq(t, 36.5, ru.CpuStats.Percent)
	must.Eq(t, cpustats.New(node).TicksConsumed(36.5), ru.CpuStats.TotalTicks)
}

func TestRatesWithoutInterval(t *testing.T) {
	only := []string{"Throttled Periods", "Throttled Time"}
	prev := counters(10*time.Second, 8*time.Second, 2*time.Second)

	for _, tc := range []struct {
		name string
		prev *Counters
		cur  Counters
		wall time.Duration
	}{
		{"first reading", nil, prev, 0},
		{"no time passed", &prev, counters(11*time.Second, 9*time.Second, 2*time.Second), 0},
		{"clock went back", &prev, counters(11*time.Second, 9*time.Second, 2*time.Second), -time.Second},
		{"cgroup recreated", &prev, counters(time.Second, time.Second, 0), time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ru := Rates(tc.prev, tc.cur, tc.wall, node)
			must.Eq(t, only, ru.CpuStats.Measured)
			must.Zero(t, ru.CpuStats.Percent)
			must.Zero(t, ru.CpuStats.TotalTicks)
			must.Eq(t, 7, ru.CpuStats.ThrottledPeriods)
		})
	}
}

func TestRatesWithoutThrottlingOrCores(t *testing.T) {
	prev := counters(0, 0, 0)
	prev.CPU.Throttled = false
	cur := counters(time.Second, time.Second, 0)
	cur.CPU.Throttled = false

	ru := Rates(&prev, cur, time.Second, cpustats.Compute{})
	must.Eq(t, []string{"System Mode", "User Mode", "Percent"}, ru.CpuStats.Measured)
	must.Eq(t, 100, ru.CpuStats.Percent)
	must.Zero(t, ru.CpuStats.ThrottledPeriods)
	must.Zero(t, ru.CpuStats.ThrottledTime)
	must.Zero(t, ru.CpuStats.TotalTicks, must.Sprint("no cores reported: ticks stay 0, not NaN"))
}

package cgstats

import (
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

func TestFromV1_RealHost(t *testing.T) {
	c, err := FromV1(v1Fixture(t))
	must.NoError(t, err)

	must.Eq(t, drivers.MemoryStats{
		RSS:        114688,
		Cache:      4096,
		MappedFile: 0,
		Swap:       0,
		Usage:      528384,
		MaxUsage:   3543040,
		Measured:   []string{"RSS", "Cache", "Swap", "Usage", "Max Usage"},
	}, c.Memory)
	must.Eq(t, CPUCounters{
		Total:            246254993225,
		User:             24558 * 10 * time.Millisecond,
		System:           67 * 10 * time.Millisecond,
		Throttled:        true,
		ThrottledPeriods: 0,
		ThrottledTime:    0,
	}, c.CPU)
}

func TestFromV1_PrefersHierarchicalTotals(t *testing.T) {
	f := v1Fixture(t)
	f.MemoryStat = []byte("cache 1\nrss 2\nmapped_file 3\nswap 4\n" +
		"total_cache 10\ntotal_rss 20\ntotal_mapped_file 30\ntotal_swap 40\n")
	f.CPUStat = []byte("nr_periods 500\nnr_throttled 120\nthrottled_time 987654321\n")
	c, err := FromV1(f)
	must.NoError(t, err)
	must.Eq(t, 20, c.Memory.RSS)
	must.Eq(t, 10, c.Memory.Cache)
	must.Eq(t, 30, c.Memory.MappedFile)
	must.Eq(t, 40, c.Memory.Swap)
	must.Eq(t, 120, c.CPU.ThrottledPeriods)
	must.Eq(t, 987654321*time.Nanosecond, c.CPU.ThrottledTime)

	// Without the total_* lines (use_hierarchy off) the local lines count.
	f.MemoryStat = []byte("cache 1\nrss 2\nmapped_file 3\nswap 4\n")
	c, err = FromV1(f)
	must.NoError(t, err)
	must.Eq(t, 2, c.Memory.RSS)
	must.Eq(t, 1, c.Memory.Cache)
	must.Eq(t, 3, c.Memory.MappedFile)
	must.Eq(t, 4, c.Memory.Swap)
}

func TestFromV1_OptionalFilesMissing(t *testing.T) {
	f := v1Fixture(t)
	f.MemoryMaxUsage = nil
	f.CPUStat = nil
	// Without swap accounting memory.stat has no swap lines.
	f.MemoryStat = []byte("cache 4096\nrss 114688\nmapped_file 0\n")

	c, err := FromV1(f)
	must.NoError(t, err)
	must.Eq(t, []string{"RSS", "Cache", "Usage"}, c.Memory.Measured)
	must.Zero(t, c.Memory.MaxUsage)
	must.False(t, c.CPU.Throttled)
	must.Eq(t, 246254993225, c.CPU.Total)
}

func TestFromV1_BadInput(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*V1Files)
		want   string
	}{
		{"no memory.stat", func(f *V1Files) { f.MemoryStat = nil }, "memory.stat: file missing"},
		{"no usage", func(f *V1Files) { f.MemoryUsage = nil }, "memory.usage_in_bytes: file missing"},
		{"no cpuacct.usage", func(f *V1Files) { f.CPUAcctUsage = nil }, "cpuacct.usage: file missing"},
		{"no cpuacct.stat", func(f *V1Files) { f.CPUAcctStat = nil }, "cpuacct.stat: file missing"},
		{"garbage memory.stat", func(f *V1Files) { f.MemoryStat = []byte("\x00\x01garbage") },
			`memory.stat: no "total_rss" or "rss" line in content "\x00\x01garbage"`},
		{"no cache line", func(f *V1Files) { f.MemoryStat = []byte("rss 1\n") },
			`memory.stat: no "total_cache" or "cache" line in content "rss 1\n"`},
		{"negative rss", func(f *V1Files) { f.MemoryStat = []byte("cache 1\nrss -4096\n") },
			`memory.stat: line "rss -4096": value "-4096" of rss is not an unsigned decimal integer`},
		{"bad swap", func(f *V1Files) { f.MemoryStat = []byte("cache 1\nrss 1\nswap 1e6\n") },
			`memory.stat: line "swap 1e6": value "1e6" of swap is not an unsigned decimal integer`},
		{"bad usage", func(f *V1Files) { f.MemoryUsage = []byte("lots\n") },
			`memory.usage_in_bytes: content "lots\n" is not an unsigned decimal integer`},
		{"empty max usage", func(f *V1Files) { f.MemoryMaxUsage = []byte{} },
			`memory.max_usage_in_bytes: content "" is not an unsigned decimal integer`},
		{"bad cpuacct.usage", func(f *V1Files) { f.CPUAcctUsage = []byte("12 34\n") },
			`cpuacct.usage: content "12 34\n" is not an unsigned decimal integer`},
		{"huge cpuacct.usage", func(f *V1Files) { f.CPUAcctUsage = []byte("18446744073709551615\n") },
			`cpuacct.usage: value 18446744073709551615 is out of range`},
		{"no user line", func(f *V1Files) { f.CPUAcctStat = []byte("system 3\n") },
			`cpuacct.stat: no "user" line in content "system 3\n"`},
		{"bad system line", func(f *V1Files) { f.CPUAcctStat = []byte("user 3\nsystem x\n") },
			`cpuacct.stat: line "system x": value "x" of system is not an unsigned decimal integer`},
		{"huge user ticks", func(f *V1Files) { f.CPUAcctStat = []byte("user 18446744073709551615\nsystem 0\n") },
			`cpuacct.stat: user value 18446744073709551615 is out of range`},
		{"cpu.stat without throttling", func(f *V1Files) { f.CPUStat = []byte("nr_periods 1\n") },
			`cpu.stat: no "nr_throttled" line in content "nr_periods 1\n"`},
		{"bad throttled_time", func(f *V1Files) { f.CPUStat = []byte("nr_throttled 1\nthrottled_time ?\n") },
			`cpu.stat: line "throttled_time ?": value "?" of throttled_time is not an unsigned decimal integer`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := v1Fixture(t)
			tc.change(&f)
			c, err := FromV1(f)
			must.ErrorContains(t, err, tc.want)
			must.Eq(t, Counters{}, c)
		})
	}
}

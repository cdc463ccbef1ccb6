package cgstats

import (
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

func TestFromV2_Systemd(t *testing.T) {
	c, err := FromV2(v2Fixture(t, v2SystemdDir))
	must.NoError(t, err)

	must.Eq(t, drivers.MemoryStats{
		RSS:        2125824,
		Cache:      1216512,
		MappedFile: 1081344,
		Swap:       0,
		Usage:      3514368,
		MaxUsage:   9437184,
		Measured:   []string{"RSS", "Cache", "Swap", "Usage", "Max Usage"},
	}, c.Memory)
	must.Eq(t, CPUCounters{
		Total:            8370215 * time.Microsecond,
		User:             8231911 * time.Microsecond,
		System:           138304 * time.Microsecond,
		Throttled:        true,
		ThrottledPeriods: 41,
		ThrottledTime:    2043181 * time.Microsecond,
	}, c.CPU)
}

// The cgroupfs fixture is an older kernel without memory.peak, without swap
// accounting and without the cpu controller: those fields go unmeasured.
func TestFromV2_CgroupfsOptionalFilesMissing(t *testing.T) {
	c, err := FromV2(v2Fixture(t, v2CgroupfsDir))
	must.NoError(t, err)

	must.Eq(t, drivers.MemoryStats{
		RSS:        786432,
		Cache:      262144,
		MappedFile: 131072,
		Usage:      1048576,
		Measured:   []string{"RSS", "Cache", "Usage"},
	}, c.Memory)
	must.Eq(t, CPUCounters{
		Total:  120 * time.Millisecond,
		User:   90 * time.Millisecond,
		System: 30 * time.Millisecond,
	}, c.CPU)
}

func TestFromV2_BadInput(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*V2Files)
		want   string
	}{
		{"no memory.stat", func(f *V2Files) { f.MemoryStat = nil }, "memory.stat: file missing"},
		{"no memory.current", func(f *V2Files) { f.MemoryCurrent = nil }, "memory.current: file missing"},
		{"no cpu.stat", func(f *V2Files) { f.CPUStat = nil }, "cpu.stat: file missing"},
		{"v1 memory.stat", func(f *V2Files) { f.MemoryStat = []byte("cache 4096\nrss 114688\n") },
			`memory.stat: no "anon" line in content "cache 4096\nrss 114688\n"`},
		{"no file line", func(f *V2Files) { f.MemoryStat = []byte("anon 1\n") },
			`memory.stat: no "file" line in content "anon 1\n"`},
		{"bad anon", func(f *V2Files) { f.MemoryStat = []byte("anon 0x10\nfile 1\n") },
			`memory.stat: line "anon 0x10": value "0x10" of anon is not an unsigned decimal integer`},
		{"bad file_mapped", func(f *V2Files) { f.MemoryStat = []byte("anon 1\nfile 1\nfile_mapped -\n") },
			`memory.stat: line "file_mapped -": value "-" of file_mapped is not an unsigned decimal integer`},
		{"memory.current max", func(f *V2Files) { f.MemoryCurrent = []byte("max\n") },
			`memory.current: content "max\n" is not an unsigned decimal integer`},
		{"bad memory.peak", func(f *V2Files) { f.MemoryPeak = []byte("9437184 bytes\n") },
			`memory.peak: content "9437184 bytes\n" is not an unsigned decimal integer`},
		{"bad swap", func(f *V2Files) { f.MemorySwapCurrent = []byte("\n") },
			`memory.swap.current: content "\n" is not an unsigned decimal integer`},
		{"no usage_usec", func(f *V2Files) { f.CPUStat = []byte("user_usec 1\nsystem_usec 1\n") },
			`cpu.stat: no "usage_usec" line in content "user_usec 1\nsystem_usec 1\n"`},
		{"bad user_usec", func(f *V2Files) { f.CPUStat = []byte("usage_usec 2\nuser_usec one\nsystem_usec 1\n") },
			`cpu.stat: line "user_usec one": value "one" of user_usec is not an unsigned decimal integer`},
		{"huge system_usec", func(f *V2Files) { f.CPUStat = []byte("usage_usec 2\nuser_usec 1\nsystem_usec 9223372036854775807\n") },
			`cpu.stat: system_usec value 9223372036854775807 is out of range`},
		{"nr_throttled without time", func(f *V2Files) {
			f.CPUStat = []byte("usage_usec 2\nuser_usec 1\nsystem_usec 1\nnr_periods 3\nnr_throttled 1\n")
		}, `cpu.stat: no "throttled_usec" line`},
		{"bad nr_throttled", func(f *V2Files) {
			f.CPUStat = []byte("usage_usec 2\nuser_usec 1\nsystem_usec 1\nnr_throttled many\nthrottled_usec 5\n")
		}, `cpu.stat: line "nr_throttled many": value "many" of nr_throttled is not an unsigned decimal integer`},
		{"binary garbage", func(f *V2Files) { f.CPUStat = []byte{0xff, 0xfe, 0, '\n', 0x80} },
			`cpu.stat: no "usage_usec" line in content "\xff\xfe\x00\n\x80"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := v2Fixture(t, v2SystemdDir)
			tc.change(&f)
			c, err := FromV2(f)
			must.ErrorContains(t, err, tc.want)
			must.Eq(t, Counters{}, c)
		})
	}
}

package cgstats

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

func TestParseProcStat_RealHost(t *testing.T) {
	st, err := ParseProcStat(readFixture(t, filepath.Join(v1Root, "proc/11872/stat")))
	must.NoError(t, err)
	// utime 24555, stime 66, starttime 34790, rss 380 pages.
	must.Eq(t, ProcStat{Start: 34790, User: 245550 * time.Millisecond, System: 660 * time.Millisecond, RSSPages: 380}, st)
}

func TestParseProcStat_CommandWithSpacesAndParens(t *testing.T) {
	st, err := ParseProcStat(readFixture(t, filepath.Join(v2SystemdRoot, "proc/4250/stat")))
	must.NoError(t, err)
	must.Eq(t, ProcStat{Start: 64157, User: time.Second, System: 200 * time.Millisecond, RSSPages: 2500}, st)
}

func TestParseProcStat_BadInput(t *testing.T) {
	line := string(readFixture(t, filepath.Join(v1Root, "proc/11872/stat")))
	fields := strings.Fields(line)
	with := func(i int, v string) string {
		f := append([]string(nil), fields...)
		f[i-1] = v
		return strings.Join(f, " ")
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", `stat: no ")" closing the command name in content ""`},
		{"garbage", "hello world", `stat: no ")" closing the command name in content "hello world"`},
		{"truncated", strings.Join(fields[:20], " "), "stat: 18 fields after the command name, want at least 22"},
		{"bad utime", with(14, "-5"), `stat: field 14 "-5" is not an unsigned decimal integer`},
		{"bad rss", with(24, "lots"), `stat: field 24 "lots" is not an unsigned decimal integer`},
		{"huge stime", with(15, "18446744073709551615"), "stat: stime value 18446744073709551615 is out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := ParseProcStat([]byte(tc.in))
			must.ErrorContains(t, err, tc.want)
			must.Eq(t, ProcStat{}, st)
		})
	}
}

func TestProcRates(t *testing.T) {
	prev := ProcStat{Start: 5, User: 10 * time.Second, System: time.Second, RSSPages: 10}
	cur := ProcStat{Start: 5, User: 10500 * time.Millisecond, System: 1100 * time.Millisecond, RSSPages: 25}

	ru := procRates(&prev, cur, time.Second, 4096, node)
	must.Eq(t, &drivers.MemoryStats{RSS: 25 * 4096, Measured: []string{"RSS"}}, ru.MemoryStats)
	must.Eq(t, []string{"System Mode", "User Mode", "Percent"}, ru.CpuStats.Measured)
	must.Eq(t, 50, ru.CpuStats.UserMode)
	must.Eq(t, 10, ru.CpuStats.SystemMode)
	must.Eq(t, 60, ru.CpuStats.Percent)
	must.Eq(t, 1500, ru.CpuStats.TotalTicks)

	// A process seen for the first time has no CPU rates yet.
	ru = procRates(nil, cur, time.Second, 4096, node)
	must.SliceEmpty(t, ru.CpuStats.Measured)
	must.Zero(t, ru.CpuStats.Percent)
	must.Eq(t, 25*4096, ru.MemoryStats.RSS)
}

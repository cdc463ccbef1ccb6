package cgstats

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// ProcStat is what one read of /proc/<pid>/stat tells about a process.
type ProcStat struct {
	// Start is the process start time in USER_HZ ticks after boot; together
	// with the pid it identifies a process across pid reuse.
	Start uint64
	// User and System are the CPU time the process has used.
	User, System time.Duration
	// RSSPages is the resident set size in pages.
	RSSPages uint64
}

// Fields of /proc/<pid>/stat (proc(5), 1-based), counted from field 3, the
// first one after the parenthesised command name.
const (
	statUtime     = 14 - 3
	statStime     = 15 - 3
	statStartTime = 22 - 3
	statRSS       = 24 - 3
)

// ParseProcStat parses the content of /proc/<pid>/stat. The command name
// may hold spaces and parentheses, so fields are counted from the last ')'.
func ParseProcStat(data []byte) (ProcStat, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return ProcStat{}, fmt.Errorf("stat: no \")\" closing the command name in content %s", quote(data))
	}
	var raw [statRSS + 1]uint64
	rest := data[end+1:]
	for i := 0; i <= statRSS; i++ {
		rest = bytes.TrimLeft(rest, " ")
		field := rest
		if sp := bytes.IndexByte(rest, ' '); sp >= 0 {
			field, rest = rest[:sp], rest[sp:]
		} else {
			rest = nil
		}
		if len(field) == 0 {
			return ProcStat{}, fmt.Errorf("stat: %d fields after the command name, want at least %d, in content %s", i, statRSS+1, quote(data))
		}
		if i != statUtime && i != statStime && i != statStartTime && i != statRSS {
			continue
		}
		v, ok := parseUint(bytes.TrimSpace(field))
		if !ok {
			return ProcStat{}, fmt.Errorf("stat: field %d %q is not an unsigned decimal integer in content %s", i+3, field, quote(data))
		}
		raw[i] = v
	}
	user, err := asDuration("stat", "utime", raw[statUtime], tick)
	if err != nil {
		return ProcStat{}, err
	}
	system, err := asDuration("stat", "stime", raw[statStime], tick)
	if err != nil {
		return ProcStat{}, err
	}
	return ProcStat{Start: raw[statStartTime], User: user, System: system, RSSPages: raw[statRSS]}, nil
}

// procRates is the per-process counterpart of Rates: CPU percentages of one
// core from two reads of the same process wall apart, and its RSS. With prev
// nil (no baseline yet, or too short an interval) CPU is unmeasured.
func procRates(prev *ProcStat, cur ProcStat, wall time.Duration, pageSize uint64, compute cpustats.Compute) *drivers.ResourceUsage {
	mem := &drivers.MemoryStats{RSS: cur.RSSPages * pageSize, Measured: procMemMeasured}
	cpu := &drivers.CpuStats{}
	if prev != nil {
		user, okUser := percent(prev.User, cur.User, wall)
		system, okSystem := percent(prev.System, cur.System, wall)
		if okUser && okSystem {
			cpu.UserMode, cpu.SystemMode = user, system
			cpu.Percent = user + system
			cpu.TotalTicks = ticks(cpu.Percent, compute)
			cpu.Measured = procCPUMeasured
		}
	}
	return &drivers.ResourceUsage{MemoryStats: mem, CpuStats: cpu}
}

// The measured fields of every process are the same, so the lists are shared
// rather than allocated per process and sample; like Nomad's own, they must
// not be modified.
var (
	procMemMeasured = []string{fieldRSS}
	procCPUMeasured = []string{fieldSystemMode, fieldUserMode, fieldPercent}
)

// procTable keeps /proc/<pid>/stat of a container's processes open between
// samples, with each process's baseline reading for CPU rates.
type procTable struct {
	root  string
	byPID map[int]*procState
	gen   uint64 // number of samples taken
}

// procState is what a procTable keeps of one process.
type procState struct {
	key    string // the pid as the key of TaskResourceUsage.Pids
	stat   *kfile
	base   ProcStat // the reading CPU rates are measured from
	baseAt time.Time
	gen    uint64 // the sample that read it last
}

func newProcTable(root string) *procTable {
	return &procTable{root: root, byPID: make(map[int]*procState)}
}

// sample reads /proc/<pid>/stat of each pid at now and returns their usage
// by pid, closing the files of processes that left. A process that exits
// between listing and reading is left out, and so is one whose stat cannot
// be parsed: the aggregate figures do not depend on it, so it does not fail
// the sample. A process seen for the first time, or a pid whose start time
// changed (a new process), starts its baseline without CPU rates.
func (t *procTable) sample(a *arena, pids []int, now time.Time, pageSize uint64, compute cpustats.Compute) map[string]*drivers.ResourceUsage {
	t.gen++
	usage := make(map[string]*drivers.ResourceUsage, len(pids))
	for _, pid := range pids {
		p := t.byPID[pid]
		if p == nil {
			stat, err := openKFile(filepath.Join(t.root, "proc", strconv.Itoa(pid), "stat"))
			if err != nil {
				continue
			}
			p = &procState{key: strconv.Itoa(pid), stat: stat}
			t.byPID[pid] = p
		}
		data, err := a.read(p.stat)
		if err != nil {
			continue
		}
		cur, err := ParseProcStat(data)
		if err != nil {
			continue
		}
		p.gen = t.gen
		if p.baseAt.IsZero() || p.base.Start != cur.Start {
			p.base, p.baseAt = cur, now
			usage[p.key] = procRates(nil, cur, 0, pageSize, compute)
			continue
		}
		wall, ok := rateInterval(p.baseAt, now)
		if !ok {
			usage[p.key] = procRates(nil, cur, 0, pageSize, compute)
			continue
		}
		usage[p.key] = procRates(&p.base, cur, wall, pageSize, compute)
		p.base, p.baseAt = cur, now
	}
	for pid, p := range t.byPID {
		if p.gen != t.gen {
			p.stat.close()
			delete(t.byPID, pid)
		}
	}
	return usage
}

// close closes the files of all processes; it may be called more than once.
func (t *procTable) close() {
	for pid, p := range t.byPID {
		p.stat.close()
		delete(t.byPID, pid)
	}
}

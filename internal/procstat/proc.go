package procstat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// which Linux fixes at 100 on every architecture Go supports.
const clockTick = 10 * time.Millisecond

// Sample is one reading of a process.
type Sample struct {
	PID int
	// RSS and PSS are in bytes. PSS divides shared pages among the
	// processes sharing them, so it adds up across processes.
	RSS, PSS uint64
	// CPU is the user plus system time the process used so far.
	CPU     time.Duration
	Threads int
	FDs     int
	// Goroutines and HeapAlloc come from the process's pprof listener
	// (see Debug); they are zero when it was not asked.
	Goroutines int
	HeapAlloc  uint64
}

// Take samples process pid from /proc and, when debugAddr is not empty,
// from its net/http/pprof listener there.
func Take(ctx context.Context, pid int, debugAddr string) (Sample, error) {
	s, err := Read("/proc", pid)
	if err != nil || debugAddr == "" {
		return s, err
	}
	d, err := ReadDebug(ctx, debugAddr)
	if err != nil {
		return Sample{}, fmt.Errorf("process %d: %w", pid, err)
	}
	s.Goroutines, s.HeapAlloc = d.Goroutines, d.HeapAlloc
	return s, nil
}

// Read samples process pid from the proc file system mounted at procRoot
// ("/proc" but in tests), leaving Goroutines and HeapAlloc zero.
func Read(procRoot string, pid int) (Sample, error) {
	dir := filepath.Join(procRoot, strconv.Itoa(pid))
	s := Sample{PID: pid}
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return Sample{}, fmt.Errorf("process %d: %w", pid, err)
	}
	st, err := ParseStat(stat)
	if err != nil {
		return Sample{}, fmt.Errorf("process %d: %w", pid, err)
	}
	s.CPU, s.Threads = st.CPU, st.Threads
	rollup, err := os.ReadFile(filepath.Join(dir, "smaps_rollup"))
	if err != nil {
		return Sample{}, fmt.Errorf("process %d: %w", pid, err)
	}
	if s.RSS, s.PSS, err = ParseRollup(rollup); err != nil {
		return Sample{}, fmt.Errorf("process %d: %w", pid, err)
	}
	fds, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		return Sample{}, fmt.Errorf("process %d: open file descriptors: %w", pid, err)
	}
	s.FDs = len(fds)
	return s, nil
}

// Stat is what ParseStat takes from /proc/<pid>/stat.
type Stat struct {
	CPU     time.Duration // utime + stime
	Threads int
}

// ParseStat reads utime, stime and num_threads (fields 14, 15 and 20) of
// /proc/<pid>/stat. The command name, field 2, is in parentheses and may
// hold spaces and parentheses itself, so fields are counted from the last
// closing parenthesis.
func ParseStat(b []byte) (Stat, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return Stat{}, fmt.Errorf("stat %q: no command name in parentheses", truncate(b))
	}
	// Fields from 3 (state) on.
	f := bytes.Fields(b[end+1:])
	const utime, stime, threads = 14 - 3, 15 - 3, 20 - 3
	if len(f) <= threads {
		return Stat{}, fmt.Errorf("stat %q: %d fields after the command name, want at least %d", truncate(b), len(f), threads+1)
	}
	var n [3]int64
	for i, idx := range []int{utime, stime, threads} {
		v, err := strconv.ParseInt(string(f[idx]), 10, 64)
		if err != nil || v < 0 {
			return Stat{}, fmt.Errorf("stat field %d %q: want a non-negative integer", idx+3, f[idx])
		}
		n[i] = v
	}
	return Stat{CPU: time.Duration(n[0]+n[1]) * clockTick, Threads: int(n[2])}, nil
}

// ParseRollup returns the "Rss:" and "Pss:" figures of
// /proc/<pid>/smaps_rollup, in bytes.
func ParseRollup(b []byte) (rss, pss uint64, err error) {
	var haveRSS, havePSS bool
	for line := range bytes.Lines(b) {
		f := bytes.Fields(line)
		if len(f) != 3 || string(f[2]) != "kB" {
			continue
		}
		var dst *uint64
		switch string(f[0]) {
		case "Rss:":
			dst, haveRSS = &rss, true
		case "Pss:":
			dst, havePSS = &pss, true
		default:
			continue
		}
		kb, err := strconv.ParseUint(string(f[1]), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("smaps_rollup %s %q: want a number of kB", f[0], f[1])
		}
		*dst = kb * 1024
	}
	if !haveRSS || !havePSS {
		return 0, 0, errors.New("smaps_rollup: no Rss or Pss line")
	}
	return rss, pss, nil
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

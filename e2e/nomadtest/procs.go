package nomadtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Process is one entry of the host's process table.
type Process struct {
	PID  int
	PPID int
	// Exe is the resolved executable path; a binary replaced on disk since
	// the process started keeps its old path with a " (deleted)" suffix.
	Exe string
	// Args is the command line.
	Args []string
	// RSS is the resident set size in bytes. Pages shared with other
	// processes (the text of one binary run many times) count in full.
	RSS uint64
	// PSS is the proportional set size in bytes: shared pages are divided
	// among the processes sharing them, so PSS adds up across processes.
	// Zero if the kernel does not report it.
	PSS uint64
	// Env is the environment the process started with.
	Env []string
}

// Getenv returns the value of key in the process's initial environment.
func (p Process) Getenv(key string) string {
	for _, kv := range p.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// Name is the base name of the executable, without a " (deleted)" suffix.
func (p Process) Name() string {
	return filepath.Base(strings.TrimSuffix(p.Exe, " (deleted)"))
}

// processesWithEnv lists the live processes whose environment holds the
// exact entry env ("KEY=value"). Processes that exit while being read are
// left out.
func processesWithEnv(env string) ([]Process, error) {
	return processesWhere(func(environ []byte) bool { return hasEnvEntry(environ, env) })
}

// processesWithEnvKey lists the live processes whose environment sets key.
func processesWithEnvKey(key string) ([]Process, error) {
	prefix := []byte(key + "=")
	return processesWhere(func(environ []byte) bool {
		for _, kv := range bytes.Split(environ, []byte{0}) {
			if bytes.HasPrefix(kv, prefix) {
				return true
			}
		}
		return false
	})
}

// processesWhere lists the live processes whose environment block (as in
// /proc/<pid>/environ) satisfies match.
func processesWhere(match func(environ []byte) bool) ([]Process, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var out []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil || !match(environ) {
			continue
		}
		p, err := readProcess(pid)
		if err != nil {
			continue
		}
		p.Env = strings.Split(strings.TrimRight(string(environ), "\x00"), "\x00")
		out = append(out, p)
	}
	return out, nil
}

// hasEnvEntry reports whether a NUL-separated environment block holds entry.
func hasEnvEntry(environ []byte, entry string) bool {
	for _, kv := range bytes.Split(environ, []byte{0}) {
		if string(kv) == entry {
			return true
		}
	}
	return false
}

func readProcess(pid int) (Process, error) {
	p := Process{PID: pid}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, err
	}
	if p.PPID, p.RSS, err = parseStat(stat); err != nil {
		return p, fmt.Errorf("process %d: %w", pid, err)
	}
	if p.Exe, err = os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err != nil {
		return p, err
	}
	if rollup, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
		p.PSS = parsePSS(rollup)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return p, err
	}
	p.Args = strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	return p, nil
}

// parseStat extracts the parent PID and the RSS in bytes from the content of
// /proc/<pid>/stat. The command name (field 2) may itself hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseStat(stat []byte) (ppid int, rss uint64, err error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, 0, fmt.Errorf("malformed stat line %q", stat)
	}
	// After the command: state(3) ppid(4) ... rss(24), so index 0 is field 3.
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 22 {
		return 0, 0, fmt.Errorf("stat line has %d fields after the command, want at least 22", len(fields))
	}
	if ppid, err = strconv.Atoi(fields[1]); err != nil {
		return 0, 0, fmt.Errorf("parent pid %q: %w", fields[1], err)
	}
	pages, err := strconv.ParseUint(fields[21], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("rss %q: %w", fields[21], err)
	}
	return ppid, pages * uint64(os.Getpagesize()), nil
}

// parsePSS returns the "Pss:" figure of /proc/<pid>/smaps_rollup in bytes,
// or 0 if there is none.
func parsePSS(rollup []byte) uint64 {
	for _, line := range strings.Split(string(rollup), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 3 && fields[0] == "Pss:" && fields[2] == "kB" {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

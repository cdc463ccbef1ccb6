package hosts

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// nsInode is the inode of a network namespace file, which names the
// namespace as /proc/PID/ns/net shows it ("net:[INODE]").
func nsInode(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("network namespace %s: %w", path, err)
	}
	return st.Ino, nil
}

// ProcessesIn returns the IDs of the processes that live in the network
// namespace at path: on a host, its agents, daemons and containers.
func ProcessesIn(path string) ([]int, error) {
	ino, err := nsInode(path)
	if err != nil {
		return nil, err
	}
	want := fmt.Sprintf("net:[%d]", ino)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if link, err := os.Readlink("/proc/" + e.Name() + "/ns/net"); err == nil && link == want {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// killAllIn kills every process in the network namespace at path with
// SIGKILL, again until none is left, as processes may fork meanwhile.
// A namespace that is gone has none.
func killAllIn(path string) error {
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return nil
	}
	for range 50 {
		pids, err := ProcessesIn(path)
		if err != nil || len(pids) == 0 {
			return err
		}
		alive := 0
		for _, pid := range pids {
			if !zombie(pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL) // one that is gone meanwhile needs none
				// A frozen process (a paused container) takes its
				// SIGKILL only once thawed.
				thaw(pid)
				alive++
			}
		}
		if alive == 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	pids, _ := ProcessesIn(path)
	return fmt.Errorf("processes %v in %s survive SIGKILL", pids, path)
}

// zombie reports whether the process has ended and waits for its parent.
func zombie(pid int) bool {
	st, ok := procStat(pid)
	return ok && len(st) > 0 && st[0] == "Z"
}

// procStat returns the fields of /proc/PID/stat after the command name:
// state, ppid, ... (field 3 onwards).
func procStat(pid int) ([]string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(s[i+1:]), true
}

// startTime is the process's start time in clock ticks since boot (field
// 22 of /proc/PID/stat), which tells it from a later process that reuses
// its ID; 0 when the process is gone.
func startTime(pid int) uint64 {
	f, ok := procStat(pid)
	if !ok || len(f) < 20 {
		return 0
	}
	n, _ := strconv.ParseUint(f[19], 10, 64)
	return n
}

// alive reports whether the process pid that started at start still
// runs.
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st := startTime(pid)
	return st != 0 && st == start && !zombie(pid)
}

// thaw lets the process's cgroup run again if it is frozen, through the
// freezer of cgroup v1 or cgroup.freeze of v2. Errors are left to the
// caller, who sees the process survive.
func thaw(pid int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 || strings.Contains(f[2], "..") {
			continue
		}
		switch {
		case f[1] == "freezer":
			_ = os.WriteFile(filepath.Join("/sys/fs/cgroup/freezer", f[2], "freezer.state"), []byte("THAWED"), 0)
		case f[0] == "0" && f[1] == "":
			for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
				_ = os.WriteFile(filepath.Join(root, f[2], "cgroup.freeze"), []byte("0"), 0)
			}
		}
	}
}

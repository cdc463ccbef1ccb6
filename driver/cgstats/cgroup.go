package cgstats

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// ErrGone reports that the process or its cgroup no longer exists, which is
// how a container that exited looks from here. Callers stop sampling on it.
var ErrGone = errors.New("process or cgroup is gone")

// Version is the cgroup version a container's controllers are on.
type Version int

// Cgroup versions.
const (
	V1 Version = 1
	V2 Version = 2
)

// Dirs locates the cgroup directories of one process, as host paths under the
// sampler's root.
type Dirs struct {
	Version Version
	// Memory, CPUAcct and CPU are the v1 controller directories; with v2 all
	// three are the single unified directory. CPU is empty on a v1 host
	// without the cpu controller, where throttling is not accounted.
	Memory, CPUAcct, CPU string
}

// procCgroup is one line of /proc/<pid>/cgroup: "id:controllers:path".
type procCgroup struct {
	controllers []string // empty for the v2 line "0::/path"
	path        string
}

// mount is a cgroup or cgroup2 line of /proc/self/mountinfo.
type mount struct {
	root    string   // path within the hierarchy that is mounted
	point   string   // where it is mounted
	v2      bool     // filesystem type cgroup2
	options []string // super options, which name a v1 hierarchy's controllers
}

// Locate finds the cgroup directories of pid from /proc/<pid>/cgroup and the
// cgroup mounts in /proc/self/mountinfo, both read under root ("/" on a real
// host). Controllers on v1 hierarchies win over the unified one, so hybrid
// hosts (v1 controllers plus an empty cgroup2 at /sys/fs/cgroup/unified) are
// read as v1, where their counters are.
func Locate(root string, pid int) (Dirs, error) {
	if pid <= 0 {
		return Dirs{}, fmt.Errorf("pid %d: must be a positive process id", pid)
	}
	cgPath := filepath.Join(root, "proc", strconv.Itoa(pid), "cgroup")
	cgData, err := os.ReadFile(cgPath)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return Dirs{}, fmt.Errorf("process %d: %w", pid, ErrGone)
	}
	if err != nil {
		return Dirs{}, fmt.Errorf("read cgroups of process %d: %w", pid, err)
	}
	groups, err := parseProcCgroup(cgData)
	if err != nil {
		return Dirs{}, fmt.Errorf("%s: %w", cgPath, err)
	}

	miPath := filepath.Join(root, "proc", "self", "mountinfo")
	miData, err := os.ReadFile(miPath)
	if err != nil {
		return Dirs{}, fmt.Errorf("read cgroup mounts: %w", err)
	}
	mounts, err := parseMountInfo(miData)
	if err != nil {
		return Dirs{}, fmt.Errorf("%s: %w", miPath, err)
	}

	dirs, err := resolve(groups, mounts)
	if err != nil {
		return Dirs{}, fmt.Errorf("locate cgroup of process %d: %w", pid, err)
	}
	for _, d := range []*string{&dirs.Memory, &dirs.CPUAcct, &dirs.CPU} {
		if *d != "" {
			*d = filepath.Join(root, *d)
		}
	}
	return dirs, nil
}

// resolve joins a process's cgroup paths with the mounts of their
// hierarchies.
func resolve(groups []procCgroup, mounts []mount) (Dirs, error) {
	memory, ok, err := v1Dir(groups, mounts, "memory")
	if err != nil {
		return Dirs{}, err
	}
	if ok {
		d := Dirs{Version: V1, Memory: memory}
		if d.CPUAcct, ok, err = v1Dir(groups, mounts, "cpuacct"); err != nil {
			return Dirs{}, err
		} else if !ok {
			return Dirs{}, errors.New("the memory controller is on cgroup v1 but no cpuacct hierarchy is mounted for the process")
		}
		// The cpu controller (throttling) is optional; without it only
		// throttling goes unmeasured.
		if d.CPU, _, err = v1Dir(groups, mounts, "cpu"); err != nil {
			return Dirs{}, err
		}
		return d, nil
	}

	for _, g := range groups {
		if len(g.controllers) != 0 {
			continue
		}
		dir, err := mountedDir(g.path, mounts, func(m mount) bool { return m.v2 })
		if err != nil {
			return Dirs{}, err
		}
		if dir != "" {
			return Dirs{Version: V2, Memory: dir, CPUAcct: dir, CPU: dir}, nil
		}
	}
	return Dirs{}, errors.New("no mounted cgroup v1 memory hierarchy or cgroup v2 hierarchy holds the process")
}

// v1Dir finds the directory of the v1 hierarchy carrying controller; ok is
// false when the process has no such hierarchy or it is not mounted.
func v1Dir(groups []procCgroup, mounts []mount, controller string) (dir string, ok bool, err error) {
	for _, g := range groups {
		if !slices.Contains(g.controllers, controller) {
			continue
		}
		dir, err := mountedDir(g.path, mounts, func(m mount) bool {
			return !m.v2 && slices.Contains(m.options, controller)
		})
		return dir, dir != "", err
	}
	return "", false, nil
}

// mountedDir maps cgPath, a path within a hierarchy, to a directory under
// the first mount of that hierarchy whose mounted root contains it. It
// returns "" when no mount matches.
func mountedDir(cgPath string, mounts []mount, hierarchy func(mount) bool) (string, error) {
	if strings.HasSuffix(cgPath, " (deleted)") {
		return "", fmt.Errorf("cgroup %q was removed: %w", cgPath, ErrGone)
	}
	// The kernel shows a cgroup outside the reader's cgroup namespace
	// relative to it, as "/../..."; no mount here leads there.
	if slices.Contains(strings.Split(cgPath, "/"), "..") {
		return "", fmt.Errorf("cgroup %q lies outside this process's cgroup namespace; run the plugin in the host's cgroup namespace", cgPath)
	}
	var outside []string
	for _, m := range mounts {
		if !hierarchy(m) {
			continue
		}
		rel, ok := within(m.root, cgPath)
		if !ok {
			outside = append(outside, fmt.Sprintf("%s (root %s)", m.point, m.root))
			continue
		}
		return path.Join(m.point, rel), nil
	}
	if len(outside) > 0 {
		return "", fmt.Errorf("cgroup %q lies outside every mount of its hierarchy: %s", cgPath, strings.Join(outside, ", "))
	}
	return "", nil
}

// within reports whether p is root or below it, and p relative to root.
func within(root, p string) (string, bool) {
	if root == "/" {
		return p, true
	}
	if p == root {
		return "/", true
	}
	if rest, ok := strings.CutPrefix(p, root); ok && strings.HasPrefix(rest, "/") {
		return rest, true
	}
	return "", false
}

// parseProcCgroup parses /proc/<pid>/cgroup.
func parseProcCgroup(data []byte) ([]procCgroup, error) {
	var groups []procCgroup
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		// The path may itself hold colons, so split into three at most.
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			return nil, fmt.Errorf("line %q: want \"id:controllers:/path\"", line)
		}
		if _, err := strconv.Atoi(parts[0]); err != nil {
			return nil, fmt.Errorf("line %q: hierarchy id %q is not a number", line, parts[0])
		}
		g := procCgroup{path: parts[2]}
		if parts[1] != "" {
			g.controllers = strings.Split(parts[1], ",")
		}
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("no cgroup lines in content %s", quote(data))
	}
	return groups, nil
}

// parseMountInfo extracts the cgroup and cgroup2 mounts of a mountinfo file
// (proc(5)): "id parent major:minor root point options [optional...] - type
// source superoptions". Other mounts are skipped unparsed beyond their type.
func parseMountInfo(data []byte) ([]mount, error) {
	var mounts []mount
	for line := range bytes.Lines(data) {
		line = bytes.TrimSuffix(line, []byte{'\n'})
		if len(line) == 0 {
			continue
		}
		before, after, ok := bytes.Cut(line, []byte(" - "))
		if !ok {
			return nil, fmt.Errorf("line %q: no \" - \" separator", line)
		}
		pre, post := strings.Fields(string(before)), strings.Fields(string(after))
		if len(pre) < 6 || len(post) < 3 {
			return nil, fmt.Errorf("line %q: too few fields", line)
		}
		fsType := post[0]
		if fsType != "cgroup" && fsType != "cgroup2" {
			continue
		}
		mounts = append(mounts, mount{
			root:    unescapeOctal(pre[3]),
			point:   unescapeOctal(pre[4]),
			v2:      fsType == "cgroup2",
			options: strings.Split(post[2], ","),
		})
	}
	return mounts, nil
}

// unescapeOctal undoes mountinfo's \ooo escaping of spaces, tabs, newlines
// and backslashes in paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

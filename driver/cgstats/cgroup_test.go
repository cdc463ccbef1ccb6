package cgstats

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

func TestLocate_Fixtures(t *testing.T) {
	for _, tc := range []struct {
		name string
		root string
		pid  int
		want Dirs
	}{
		{"v1 cgroupfs on a hybrid host", v1Root, v1PID, Dirs{Version: V1, Memory: v1MemoryDir, CPUAcct: v1CPUAcctDir, CPU: v1CPUDir}},
		{"v2 systemd", v2SystemdRoot, v2SystemdPID, Dirs{Version: V2, Memory: v2SystemdDir, CPUAcct: v2SystemdDir, CPU: v2SystemdDir}},
		{"v2 cgroupfs", v2CgroupfsRoot, v2CgroupfsPID, Dirs{Version: V2, Memory: v2CgroupfsDir, CPUAcct: v2CgroupfsDir, CPU: v2CgroupfsDir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Locate(tc.root, tc.pid)
			must.NoError(t, err)
			must.Eq(t, tc.want, got)
			for _, d := range []string{got.Memory, got.CPUAcct, got.CPU} {
				must.DirExists(t, d)
			}
		})
	}
}

func TestLocate_ProcessGone(t *testing.T) {
	_, err := Locate(v1Root, 999999)
	must.ErrorIs(t, err, ErrGone)
	must.ErrorContains(t, err, "process 999999")

	_, err = Locate(v1Root, 0)
	must.ErrorContains(t, err, "pid 0: must be a positive process id")
}

func TestLocate_BadFiles(t *testing.T) {
	root := copyTree(t, v2SystemdRoot)
	cgFile := filepath.Join(root, "proc/4242/cgroup")
	mi := filepath.Join(root, "proc/self/mountinfo")

	writeFile(t, cgFile, "garbage\n")
	_, err := Locate(root, v2SystemdPID)
	must.ErrorContains(t, err, `proc/4242/cgroup: line "garbage": want "id:controllers:/path"`)

	writeFile(t, cgFile, "")
	_, err = Locate(root, v2SystemdPID)
	must.ErrorContains(t, err, `proc/4242/cgroup: no cgroup lines in content ""`)

	writeFile(t, cgFile, "0::/system.slice/docker-x.scope\n")
	writeFile(t, mi, "34 23 0:27 / /sys/fs/cgroup rw - cgroup2\n")
	_, err = Locate(root, v2SystemdPID)
	must.ErrorContains(t, err, `proc/self/mountinfo: line "34 23 0:27 / /sys/fs/cgroup rw - cgroup2": too few fields`)

	writeFile(t, mi, "22 29 0:5 / /proc rw shared:13 proc proc rw\n")
	_, err = Locate(root, v2SystemdPID)
	must.ErrorContains(t, err, `no " - " separator`)

	// No cgroup filesystem mounted at all.
	writeFile(t, mi, "22 29 0:5 / /proc rw,nosuid shared:13 - proc proc rw\n")
	_, err = Locate(root, v2SystemdPID)
	must.ErrorContains(t, err, "locate cgroup of process 4242: no mounted cgroup v1 memory hierarchy or cgroup v2 hierarchy holds the process")

	must.NoError(t, os.Remove(mi))
	_, err = Locate(root, v2SystemdPID)
	must.ErrorContains(t, err, "read cgroup mounts")
}

func TestResolve(t *testing.T) {
	cg2 := mount{root: "/", point: "/sys/fs/cgroup", v2: true, options: []string{"rw", "nsdelegate"}}
	for _, tc := range []struct {
		name    string
		groups  []procCgroup
		mounts  []mount
		want    Dirs
		wantErr string
	}{
		{
			name:   "v1 with cpu and cpuacct co-mounted",
			groups: []procCgroup{{[]string{"cpu", "cpuacct"}, "/docker/a"}, {[]string{"memory"}, "/docker/a"}},
			mounts: []mount{
				{root: "/", point: "/sys/fs/cgroup/cpu,cpuacct", options: []string{"rw", "cpu", "cpuacct"}},
				{root: "/", point: "/sys/fs/cgroup/memory", options: []string{"rw", "memory"}},
			},
			want: Dirs{Version: V1, Memory: "/sys/fs/cgroup/memory/docker/a", CPUAcct: "/sys/fs/cgroup/cpu,cpuacct/docker/a", CPU: "/sys/fs/cgroup/cpu,cpuacct/docker/a"},
		},
		{
			name:   "v1 without the cpu controller",
			groups: []procCgroup{{[]string{"cpuacct"}, "/docker/a"}, {[]string{"memory"}, "/docker/a"}},
			mounts: []mount{
				{root: "/", point: "/sys/fs/cgroup/cpuacct", options: []string{"rw", "cpuacct"}},
				{root: "/", point: "/sys/fs/cgroup/memory", options: []string{"rw", "memory"}},
			},
			want: Dirs{Version: V1, Memory: "/sys/fs/cgroup/memory/docker/a", CPUAcct: "/sys/fs/cgroup/cpuacct/docker/a"},
		},
		{
			name:    "v1 without cpuacct",
			groups:  []procCgroup{{[]string{"memory"}, "/docker/a"}},
			mounts:  []mount{{root: "/", point: "/sys/fs/cgroup/memory", options: []string{"rw", "memory"}}},
			wantErr: "no cpuacct hierarchy",
		},
		{
			name:   "v1 hierarchy mounted from a sub-tree (a plugin in a container)",
			groups: []procCgroup{{[]string{"memory"}, "/outer/docker/a"}, {[]string{"cpuacct"}, "/outer/docker/a"}},
			mounts: []mount{
				{root: "/outer", point: "/sys/fs/cgroup/memory", options: []string{"rw", "memory"}},
				{root: "/outer", point: "/sys/fs/cgroup/cpuacct", options: []string{"rw", "cpuacct"}},
			},
			want: Dirs{Version: V1, Memory: "/sys/fs/cgroup/memory/docker/a", CPUAcct: "/sys/fs/cgroup/cpuacct/docker/a"},
		},
		{
			name:    "v1 cgroup outside the mounted sub-tree",
			groups:  []procCgroup{{[]string{"memory"}, "/other/a"}},
			mounts:  []mount{{root: "/outer", point: "/sys/fs/cgroup/memory", options: []string{"rw", "memory"}}},
			wantErr: `cgroup "/other/a" lies outside every mount of its hierarchy: /sys/fs/cgroup/memory (root /outer)`,
		},
		{
			name:    "v1 sibling with a common prefix is outside",
			groups:  []procCgroup{{[]string{"memory"}, "/outer2/a"}},
			mounts:  []mount{{root: "/outer", point: "/sys/fs/cgroup/memory", options: []string{"rw", "memory"}}},
			wantErr: "lies outside every mount",
		},
		{
			name:   "v2 picks the unified line",
			groups: []procCgroup{{[]string{"name=systemd"}, "/x"}, {nil, "/system.slice/docker-a.scope"}},
			mounts: []mount{cg2},
			want:   Dirs{Version: V2, Memory: "/sys/fs/cgroup/system.slice/docker-a.scope", CPUAcct: "/sys/fs/cgroup/system.slice/docker-a.scope", CPU: "/sys/fs/cgroup/system.slice/docker-a.scope"},
		},
		{
			name:   "v2 cgroup namespace root",
			groups: []procCgroup{{nil, "/"}},
			mounts: []mount{cg2},
			want:   Dirs{Version: V2, Memory: "/sys/fs/cgroup", CPUAcct: "/sys/fs/cgroup", CPU: "/sys/fs/cgroup"},
		},
		{
			name:    "v2 cgroup removed",
			groups:  []procCgroup{{nil, "/docker/a (deleted)"}},
			mounts:  []mount{cg2},
			wantErr: `cgroup "/docker/a (deleted)" was removed`,
		},
		{
			name:    "v2 cgroup outside the cgroup namespace",
			groups:  []procCgroup{{nil, "/../../docker/a"}},
			mounts:  []mount{cg2},
			wantErr: `cgroup "/../../docker/a" lies outside this process's cgroup namespace`,
		},
		{
			name:    "v1 lines but only a v2 mount",
			groups:  []procCgroup{{[]string{"memory"}, "/docker/a"}},
			mounts:  []mount{cg2},
			wantErr: "no mounted cgroup v1 memory hierarchy or cgroup v2 hierarchy holds the process",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolve(tc.groups, tc.mounts)
			if tc.wantErr != "" {
				must.ErrorContains(t, err, tc.wantErr)
				return
			}
			must.NoError(t, err)
			must.Eq(t, tc.want, got)
		})
	}
}

func TestResolveDeletedIsGone(t *testing.T) {
	_, err := resolve([]procCgroup{{nil, "/docker/a (deleted)"}}, []mount{{root: "/", point: "/sys/fs/cgroup", v2: true}})
	must.ErrorIs(t, err, ErrGone)
}

func TestParseMountInfo(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(v1Root, "proc/self/mountinfo"))
	must.NoError(t, err)
	mounts, err := parseMountInfo(data)
	must.NoError(t, err)
	must.SliceLen(t, 10, mounts)
	must.Eq(t, mount{root: "/", point: "/sys/fs/cgroup/memory", options: []string{"rw", "memory"}}, mounts[3])
	must.Eq(t, mount{root: "/", point: "/sys/fs/cgroup/systemd", options: []string{"rw", "name=systemd"}}, mounts[8])
	must.Eq(t, mount{root: "/", point: "/sys/fs/cgroup/unified", v2: true, options: []string{"rw"}}, mounts[9])

	// Optional fields, co-mounted controllers, escaped spaces in paths.
	mounts, err = parseMountInfo([]byte(
		`30 25 0:26 /a\040b /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:11 master:2 - cgroup cgroup rw,cpu,cpuacct,clone_children,release_agent=/x` + "\n"))
	must.NoError(t, err)
	must.Eq(t, []mount{{root: "/a b", point: "/sys/fs/cgroup/cpu,cpuacct", options: []string{"rw", "cpu", "cpuacct", "clone_children", "release_agent=/x"}}}, mounts)
}

func TestParseProcCgroup(t *testing.T) {
	groups, err := parseProcCgroup([]byte("12:cpu,cpuacct:/docker/a\n1:name=systemd:/docker/a\n0::/weird:path\n"))
	must.NoError(t, err)
	must.Eq(t, []procCgroup{
		{[]string{"cpu", "cpuacct"}, "/docker/a"},
		{[]string{"name=systemd"}, "/docker/a"},
		{nil, "/weird:path"},
	}, groups)

	_, err = parseProcCgroup([]byte("x:memory:/a\n"))
	must.ErrorContains(t, err, `line "x:memory:/a": hierarchy id "x" is not a number`)
	_, err = parseProcCgroup([]byte("4:memory:relative\n"))
	must.ErrorContains(t, err, `line "4:memory:relative": want "id:controllers:/path"`)
}

func TestUnescapeOctal(t *testing.T) {
	must.Eq(t, "/a b\tc\\d", unescapeOctal(`/a\040b\011c\134d`))
	must.Eq(t, `/plain`, unescapeOctal(`/plain`))
	must.Eq(t, `/trailing\04`, unescapeOctal(`/trailing\04`))
	must.Eq(t, `/not\999octal`, unescapeOctal(`/not\999octal`))
}

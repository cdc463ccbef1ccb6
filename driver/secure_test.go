package driver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/hashicorp/nomad/helper/uuid"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/internal/testimage"
)

// statusScript prints the process status lines that show who a container
// runs as and what it may do, then proves the task directories are
// writable by that user.
const statusScript = `grep -E '^(Uid|Gid|Cap[A-Za-z]+|NoNewPrivs):' /proc/self/status
echo x > /alloc/w && echo x > /local/w && echo x > /secrets/w && echo task-dirs-writable`

// statusOf runs statusScript in a task and returns the /proc/self/status
// fields it printed.
func statusOf(t *testing.T, td *testDriver, task TaskConfig, user string) map[string]string {
	t.Helper()
	task.Command, task.Args = "sh", []string{"-c", statusScript}
	cfg := newTask(t, task)
	cfg.User = user
	td.start(t, cfg)
	must.Eq(t, 0, td.wait(t, cfg.ID, time.Minute).ExitCode, must.Sprint(readLog(t, cfg, "stderr")))
	var out string
	eventually(t, 10*time.Second, "the task's output", func() bool {
		out = readLog(t, cfg, "stdout")
		return strings.Contains(out, "task-dirs-writable")
	}, func() string { return out + readLog(t, cfg, "stderr") })
	fields := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	return fields
}

func TestSecureDefaults_InsideTheContainer(t *testing.T) {
	td := newTestDriver(t, &PluginConfig{PidsLimit: defaultPidsLimit})
	st := statusOf(t, td, TaskConfig{}, "")

	must.Eq(t, "65534 65534 65534 65534", st["Uid"])
	must.Eq(t, "65534 65534 65534 65534", st["Gid"])
	for _, set := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		must.Eq(t, "0000000000000000", st[set], must.Sprint(set))
	}
	must.Eq(t, "1", st["NoNewPrivs"])
}

func TestSecureDefaults_ContainerDefinition(t *testing.T) {
	td := newTestDriver(t, &PluginConfig{PidsLimit: 100, ReadonlyRootfs: true})
	task := newTask(t, TaskConfig{Command: "sh", Args: []string{"-c", "touch /rootfs-file"}})
	td.start(t, task)
	// The root filesystem is read-only.
	must.NotEq(t, 0, td.wait(t, task.ID, time.Minute).ExitCode)
	eventually(t, 10*time.Second, "the task's error", func() bool {
		return strings.Contains(readLog(t, task, "stderr"), "Read-only file system")
	})

	h, ok := td.impl.tasks.Get(task.ID)
	must.True(t, ok)
	c, err := td.docker.ContainerInspect(context.Background(), h.containerID)
	must.NoError(t, err)
	must.Eq(t, defaultUser, c.Config.User)
	must.Eq(t, []string{"ALL"}, []string(c.HostConfig.CapDrop))
	must.SliceEmpty(t, c.HostConfig.CapAdd)
	must.False(t, c.HostConfig.Privileged)
	must.True(t, c.HostConfig.ReadonlyRootfs)
	must.Eq(t, []string{"no-new-privileges"}, c.HostConfig.SecurityOpt)
	must.NotNil(t, c.HostConfig.PidsLimit)
	must.Eq(t, int64(100), *c.HostConfig.PidsLimit)
}

// escapeImage is an image whose /etc/passwd calls root by another name.
func escapeImage(t *testing.T, td *testDriver) string {
	t.Helper()
	ref := "dockmr/testimage-toor:" + strings.ToLower(uuid.Short())
	must.NoError(t, testimage.Build(context.Background(), ref, testimage.File{
		Path: "/etc/passwd", Mode: 0o644,
		Data: []byte("root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n"),
	}))
	t.Cleanup(func() {
		_, _ = td.docker.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	return ref
}

// Every attempt to get more than the node allows is refused before any
// container exists, with a message naming the field, the value and the
// plugin option that would allow it.
func TestStartTask_EscapesRefused(t *testing.T) {
	allowed := t.TempDir()
	outside := t.TempDir()
	link := filepath.Join(allowed, "escape")
	must.NoError(t, os.Symlink(outside, link))
	td := newTestDriver(t, &PluginConfig{
		AllowedMounts: []string{allowed},
		AllowedImages: []string{"dockmr/*"},
		PidsLimit:     defaultPidsLimit,
	})
	toor := escapeImage(t, td)
	parent := t

	cases := []struct {
		name string
		tc   TaskConfig
		user string
		want string
	}{
		{"privileged", TaskConfig{Privileged: true}, "",
			"privileged: privileged containers are refused on this node; the node's operator would have to set allow_privileged = true"},
		{"cap_add SYS_ADMIN", TaskConfig{CapAdd: []string{"SYS_ADMIN"}}, "",
			`cap_add[0]: capability "SYS_ADMIN" is refused on this node`},
		{"user 0", TaskConfig{}, "0", `user: "0" runs the container as root, which is refused on this node`},
		{"user root", TaskConfig{}, "root", `user: "root" runs the container as root`},
		{"root by another name", TaskConfig{Image: toor}, "toor",
			`user: "toor" is uid 0 gid 0 in the image's /etc/passwd: running as root is refused on this node`},
		{"docker socket", TaskConfig{Mounts: []Mount{{Source: "/var/run/docker.sock", Target: "/var/run/docker.sock"}}}, "",
			`mounts[0].source: "/var/run/docker.sock" (resolved to "/run/docker.sock") can never be mounted`},
		{"root directory", TaskConfig{Mounts: []Mount{{Source: "/", Target: "/host"}}}, "",
			`mounts[0].source: "/" can never be mounted`},
		{"outside allowed_mounts", TaskConfig{Mounts: []Mount{{Source: outside, Target: "/x"}}}, "",
			`mounts[0].source: "` + outside + `" is not under any of allowed_mounts`},
		{"symlink out of allowed_mounts", TaskConfig{Mounts: []Mount{{Source: link, Target: "/x"}}}, "",
			`mounts[0].source: "` + link + `" (resolved to "` + outside + `") is not under any of allowed_mounts`},
		{"image from another registry", TaskConfig{Image: "registry.example.com/dockmr/testimage:dev"}, "",
			`image: "registry.example.com/dockmr/testimage:dev" is not allowed on this node`},
		{"pids_limit above the node's", TaskConfig{PidsLimit: 1 << 20}, "",
			`pids_limit: 1048576 is above this node's limit`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			task := newTask(t, c.tc)
			task.User = c.user
			// The harness' cleanup also closes its connection, so it
			// runs when the whole test ends.
			parent.Cleanup(td.MkAllocDir(task, false))
			_, _, err := td.StartTask(task)
			must.ErrorContains(t, err, c.want)

			list, err := td.docker.ContainerList(context.Background(), container.ListOptions{
				All: true, Filters: filters.NewArgs(filters.Arg("label", labelAllocID+"="+task.AllocID)),
			})
			must.NoError(t, err)
			must.SliceEmpty(t, list, must.Sprint("a refused task must leave no container"))
		})
	}

	// A named user that is not root still runs.
	task := newTask(t, TaskConfig{Image: toor, Command: "id", Args: []string{"-u"}})
	task.User = "app"
	td.start(t, task)
	must.Eq(t, 0, td.wait(t, task.ID, time.Minute).ExitCode)
	eventually(t, 10*time.Second, "the task's output", func() bool { return readLog(t, task, "stdout") == "1000\n" })
}

// What the operator allows, a task may use.
func TestStartTask_OperatorOverrides(t *testing.T) {
	td := newTestDriver(t, &PluginConfig{AllowRoot: true, AllowCaps: []string{"sys_admin"}, AllowPrivileged: true})

	st := statusOf(t, td, TaskConfig{CapAdd: []string{"SYS_ADMIN"}}, "0")
	must.Eq(t, "0 0 0 0", st["Uid"])
	const sysAdmin = "0000000000200000" // bit 21
	must.Eq(t, sysAdmin, st["CapEff"])
	must.Eq(t, sysAdmin, st["CapBnd"])
	must.Eq(t, "1", st["NoNewPrivs"])

	st = statusOf(t, td, TaskConfig{Privileged: true}, "")
	must.Eq(t, "65534 65534 65534 65534", st["Uid"])
	must.NotEq(t, "0000000000000000", st["CapBnd"])
}

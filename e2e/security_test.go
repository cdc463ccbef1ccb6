package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// escape is a job that asks for more than a node gives by default.
type escape struct {
	name string
	file string
	vars map[string]string
	want string
}

// escapes are the attempts to get out of a container that the default
// plugin config refuses; the shared cluster allows mounts under mountRoot
// only.
func escapes(t *testing.T) []escape {
	outside := t.TempDir()
	link := filepath.Join(mountRoot, "escape-"+filepath.Base(outside))
	must.NoError(t, os.Symlink(outside, link))
	t.Cleanup(func() { os.Remove(link) })
	conf := filepath.Join(mountRoot, "x")
	return []escape{
		{"privileged", "status.nomad.hcl", map[string]string{"privileged": "true"},
			"privileged: privileged containers are refused on this node; the node's operator would have to set allow_privileged = true in the plugin config"},
		{"cap_add SYS_ADMIN", "status.nomad.hcl", map[string]string{"cap_add": "SYS_ADMIN"},
			`cap_add[0]: capability "SYS_ADMIN" is refused on this node (allowed: []); the node's operator would have to add it to allow_caps in the plugin config`},
		{"user 0", "status.nomad.hcl", map[string]string{"user": "0"},
			`user: "0" runs the container as root, which is refused on this node`},
		{"user root", "status.nomad.hcl", map[string]string{"user": "root"},
			`user: "root" runs the container as root, which is refused on this node`},
		{"docker socket", "mount.nomad.hcl", map[string]string{"source": "/var/run/docker.sock", "readonly_source": conf},
			`mounts[0].source: "/var/run/docker.sock" (resolved to "/run/docker.sock") can never be mounted`},
		{"root directory", "mount.nomad.hcl", map[string]string{"source": "/", "readonly_source": conf},
			`mounts[0].source: "/" can never be mounted`},
		{"outside allowed_mounts", "mount.nomad.hcl", map[string]string{"source": outside, "readonly_source": conf},
			fmt.Sprintf(`mounts[0].source: %q is not under any of allowed_mounts`, outside)},
		{"symlink out of allowed_mounts", "mount.nomad.hcl", map[string]string{"source": link, "readonly_source": conf},
			fmt.Sprintf(`mounts[0].source: %q (resolved to %q) is not under any of allowed_mounts`, link, outside)},
	}
}

// Every escape fails its task with a driver event that says which rule
// refused it and which plugin option would allow it, and no container is
// created for it.
func TestSecurity_EscapesRefused(t *testing.T) {
	c := shared(t)
	cases := escapes(t)
	allocs := make([]*api.Allocation, len(cases))
	for i, e := range cases {
		allocs[i] = runFile(t, c, e.file, e.vars)
	}
	for i, e := range cases {
		t.Run(e.name, func(t *testing.T) {
			alloc, err := c.WaitClientStatus(t.Context(), allocs[i].ID, api.AllocClientStatusFailed, api.AllocClientStatusComplete)
			must.NoError(t, err)
			must.Eq(t, api.AllocClientStatusFailed, alloc.ClientStatus, must.Sprint(describe(alloc)))
			must.StrContains(t, event(t, alloc, api.TaskDriverFailure).DisplayMessage, e.want)
			requireNoContainer(t, alloc)
		})
	}
}

// requireNoContainer checks that the driver created no container for alloc.
func requireNoContainer(t *testing.T, alloc *api.Allocation) {
	t.Helper()
	must.SliceEmpty(t, nomadtest.FindEvents(alloc, task, api.TaskDriverMessage), must.Sprint(describe(alloc)))
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	defer cli.Close()
	list, err := cli.ContainerList(t.Context(), container.ListOptions{
		All: true, Filters: filters.NewArgs(filters.Arg("label", "com.dockmr.alloc_id="+alloc.ID)),
	})
	must.NoError(t, err)
	must.SliceEmpty(t, list)
}

// status runs status.nomad.hcl and returns the /proc/self/status fields
// its task printed.
func status(t *testing.T, c *nomadtest.Cluster, vars map[string]string) map[string]string {
	t.Helper()
	alloc := waitDead(t, c, runFile(t, c, "status.nomad.hcl", vars).ID)
	must.Eq(t, 0, terminated(t, alloc).ExitCode, must.Sprint(describe(alloc)))
	out := waitStdout(t, c, alloc.ID, "task-dirs-writable")
	fields := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	return fields
}

// A task of a default node runs as nobody with no capabilities at all and
// cannot gain privileges, yet writes its task directories.
func TestSecurity_DefaultContainer(t *testing.T) {
	st := status(t, shared(t), nil)
	must.Eq(t, "65534 65534 65534 65534", st["Uid"])
	must.Eq(t, "65534 65534 65534 65534", st["Gid"])
	for _, set := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		must.Eq(t, "0000000000000000", st[set], must.Sprint(set))
	}
	must.Eq(t, "1", st["NoNewPrivs"])
}

// What the node's operator allows, the same jobs get; an image allow-list
// refuses images from elsewhere before pulling anything.
func TestSecurity_OperatorOverrides(t *testing.T) {
	c := nomadtest.StartT(t, nomadtest.Options{DriverConfig: fmt.Sprintf(`allowed_mounts   = [%q]
    allow_root       = true
    allow_caps       = ["sys_admin"]
    allow_privileged = true
    allowed_images   = ["dockmr/*"]`, mountRoot)})

	st := status(t, c, map[string]string{"user": "0", "cap_add": "SYS_ADMIN"})
	must.Eq(t, "0 0 0 0", st["Uid"])
	const sysAdmin = "0000000000200000" // bit 21
	must.Eq(t, sysAdmin, st["CapEff"])
	must.Eq(t, sysAdmin, st["CapBnd"])
	must.Eq(t, "1", st["NoNewPrivs"])

	st = status(t, c, map[string]string{"privileged": "true"})
	must.Eq(t, "65534 65534 65534 65534", st["Uid"])
	must.NotEq(t, "0000000000000000", st["CapBnd"])

	alloc := runFile(t, c, "status.nomad.hcl", map[string]string{"image": "registry.example.com/dockmr/testimage:dev"})
	alloc, err := c.WaitClientStatus(t.Context(), alloc.ID, api.AllocClientStatusFailed, api.AllocClientStatusComplete)
	must.NoError(t, err)
	must.StrContains(t, event(t, alloc, api.TaskDriverFailure).DisplayMessage,
		`image: "registry.example.com/dockmr/testimage:dev" is not allowed on this node: repository registry.example.com/dockmr/testimage matches none of allowed_images ["docker.io/dockmr/*"]`)
	requireNoContainer(t, alloc)
}

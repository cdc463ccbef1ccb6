package driver

import (
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/hashicorp/nomad/helper/pluginutils/hclutils"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
)

func TestBuildCreateSpec(t *testing.T) {
	cfg := &drivers.TaskConfig{
		ID: "t1", Name: "reduce/0", AllocID: "a1b2", JobName: "terasort", TaskGroupName: "reduces",
		NodeID: "n1", Namespace: "default", User: "1000:1000",
		AllocDir: "/var/nomad/alloc/a1b2",
		Env:      map[string]string{"NOMAD_ALLOC_INDEX": "0"},
		Mounts:   []*drivers.MountConfig{{HostPath: "/srv/vol", TaskPath: "/vol", Readonly: true}},
		Resources: &drivers.Resources{
			NomadResources: &structs.AllocatedTaskResources{Memory: structs.AllocatedMemoryResources{MemoryMB: 256, MemoryMaxMB: 512}},
			LinuxResources: &drivers.LinuxResources{CPUShares: 500, MemoryLimitBytes: 256 << 20},
		},
	}
	tc := &TaskConfig{
		Image: "dockmr/examples:dev", Command: "/dockmr-task", Args: []string{"reduce"},
		WorkDir: "/work", Labels: hclutils.MapStrStr{"team": "x"},
		Mounts: []Mount{{Source: "/data", Target: "/data"}},
	}
	spec := buildCreateSpec(cfg, tc, "/opt/dockmr/dockmr-task")

	must.Eq(t, "reduce_0.a1b2", spec.Name)
	must.Eq(t, []string{"/dockmr-task", "reduce"}, []string(spec.Config.Cmd))
	must.Eq(t, "/work", spec.Config.WorkingDir)
	must.Eq(t, "1000:1000", spec.Config.User)
	must.Eq(t, []string{"NOMAD_ALLOC_INDEX=0"}, spec.Config.Env)
	must.Eq(t, map[string]string{
		"team": "x", labelAllocID: "a1b2", labelJob: "terasort", labelTaskGroup: "reduces",
		labelTask: "reduce/0", labelNodeID: "n1", labelNamespace: "default",
	}, spec.Config.Labels)
	must.Eq(t, "host", string(spec.Host.NetworkMode))
	must.Eq(t, int64(500), spec.Host.CPUShares)
	must.Eq(t, int64(512<<20), spec.Host.Memory)
	must.Eq(t, int64(256<<20), spec.Host.MemoryReservation)
	must.Eq(t, spec.Host.Memory, spec.Host.MemorySwap)
	must.Eq(t, []mount.Mount{
		{Type: mount.TypeBind, Source: "/var/nomad/alloc/a1b2/alloc", Target: "/alloc"},
		{Type: mount.TypeBind, Source: "/var/nomad/alloc/a1b2/reduce/0/local", Target: "/local"},
		{Type: mount.TypeBind, Source: "/var/nomad/alloc/a1b2/reduce/0/secrets", Target: "/secrets"},
		{Type: mount.TypeBind, Source: "/srv/vol", Target: "/vol", ReadOnly: true},
		{Type: mount.TypeBind, Source: "/data", Target: "/data"},
		{Type: mount.TypeBind, Source: "/opt/dockmr/dockmr-task", Target: contract.RuntimePath, ReadOnly: true},
	}, spec.Host.Mounts)
}

func TestBuildCreateSpec_ArgsWithoutCommandGoToImageEntrypoint(t *testing.T) {
	spec := buildCreateSpec(&drivers.TaskConfig{Name: "m", AllocID: "a"}, &TaskConfig{Image: "x", Args: []string{"--help"}}, "")
	must.Eq(t, []string{"--help"}, []string(spec.Config.Cmd))
	must.Eq(t, int64(0), spec.Host.Memory)
	must.SliceEmpty(t, spec.Host.Mounts)
}

func TestExitResultFromState(t *testing.T) {
	must.Eq(t, 0, exitResultFromState(&container.State{ExitCode: 0}).Signal)
	r := exitResultFromState(&container.State{ExitCode: 137, OOMKilled: true})
	must.True(t, r.OOMKilled)
	must.Eq(t, 9, r.Signal)
	must.Eq(t, 15, exitResultFromState(&container.State{ExitCode: 143}).Signal)
	must.Eq(t, 0, exitResultFromState(&container.State{ExitCode: 3}).Signal)
	must.Error(t, exitResultFromState(nil).Err)
}

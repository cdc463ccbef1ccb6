package driver

import (
	"context"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/client"
	"github.com/hashicorp/nomad/client/allocdir"
	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/dockmr/dockmr/contract"
)

// Container logs are kept by Docker only until the driver has copied them
// to Nomad's log files; the cap bounds the disk a chatty task can fill.
var containerLogConfig = container.LogConfig{
	Type:   "json-file",
	Config: map[string]string{"max-size": "64m", "max-file": "2"},
}

// createSpec is everything ContainerCreate needs for one task.
type createSpec struct {
	Name   string
	Config *container.Config
	Host   *container.HostConfig

	// beforeStart, when set, checks the created container before it is
	// started; an error removes it.
	beforeStart func(ctx context.Context, docker *client.Client, id string) error
}

// buildCreateSpec turns a Nomad task and its decoded config into a Docker
// container definition: image, command, user, environment, host network,
// Nomad's task directories and the task's own mounts, resource limits and
// labels. It is pure so that every mapping is unit-tested.
func buildCreateSpec(cfg *drivers.TaskConfig, tc *TaskConfig, runtime string) createSpec {
	cmd := tc.Args
	if tc.Command != "" {
		cmd = append([]string{tc.Command}, tc.Args...)
	}
	config := &container.Config{
		Image:      tc.Image,
		Cmd:        cmd,
		Entrypoint: tc.Entrypoint,
		WorkingDir: tc.WorkDir,
		User:       cfg.User,
		Env:        cfg.EnvList(),
		Labels:     containerLabels(cfg, tc.Labels),
	}
	host := &container.HostConfig{
		NetworkMode: "host",
		Mounts:      taskMounts(cfg, tc, runtime),
		LogConfig:   containerLogConfig,
		Resources:   taskResources(cfg),
	}
	return createSpec{Name: containerName(cfg), Config: config, Host: host}
}

// taskMounts mounts Nomad's shared alloc, local and secrets directories at
// the paths Nomad's environment announces (NOMAD_ALLOC_DIR, …), then the
// volumes Nomad itself manages, then the task's own bind mounts, which
// validation has already checked against allowed_mounts, and last the
// dockmr-task runtime, read-only.
func taskMounts(cfg *drivers.TaskConfig, tc *TaskConfig, runtime string) []mount.Mount {
	var mounts []mount.Mount
	bind := func(src, dst string, ro bool) {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: dst, ReadOnly: ro})
	}
	if cfg.AllocDir != "" {
		dir := cfg.TaskDir()
		bind(dir.SharedAllocDir, allocdir.SharedAllocContainerPath, false)
		bind(dir.LocalDir, allocdir.TaskLocalContainerPath, false)
		bind(dir.SecretsDir, allocdir.TaskSecretsContainerPath, false)
	}
	for _, m := range cfg.Mounts {
		bind(m.HostPath, m.TaskPath, m.Readonly)
	}
	for _, m := range tc.Mounts {
		bind(m.Source, m.Target, m.ReadOnly)
	}
	if runtime != "" {
		bind(runtime, contract.RuntimePath, true)
	}
	return mounts
}

// taskResources maps Nomad's cpu and memory to cgroup limits. With
// memory_max set, memory is the soft reservation and memory_max the hard
// limit, as in Nomad's docker driver. Swap is off: a task over its memory
// is OOM-killed, which Wait reports, instead of slowing the node down.
func taskResources(cfg *drivers.TaskConfig) container.Resources {
	var r container.Resources
	if cfg.Resources == nil {
		return r
	}
	if lr := cfg.Resources.LinuxResources; lr != nil {
		r.CPUShares = lr.CPUShares
		r.CPUPeriod = lr.CPUPeriod
		r.CPUQuota = lr.CPUQuota
		r.Memory = lr.MemoryLimitBytes
	}
	if nr := cfg.Resources.NomadResources; nr != nil {
		mem := nr.Memory.MemoryMB * 1024 * 1024
		maxMem := nr.Memory.MemoryMaxMB * 1024 * 1024
		if maxMem > mem {
			r.Memory = maxMem
			r.MemoryReservation = mem
		} else if mem > 0 {
			r.Memory = mem
		}
	}
	if r.Memory > 0 {
		r.MemorySwap = r.Memory
	}
	return r
}

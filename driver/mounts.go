package driver

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"

	"github.com/hashicorp/nomad/plugins/drivers"
)

// The host side of the mount policy: resolving symlinks and finding the
// paths no task may reach. checkMountSource (policy.go) decides.

// alwaysProtected are host paths no container may mount, nor any directory
// holding them: the kernel's views of every process and device, and the
// Docker daemon's usual sockets, through which a task could start a
// privileged container of its own.
var alwaysProtected = []string{"/proc", "/sys", "/var/run/docker.sock", "/run/docker.sock"}

// protectedPaths returns the paths the plugin config makes unmountable:
// alwaysProtected, the socket of the Docker endpoint in use, the plugin's
// own binary directory and keeper socket, and the task runtime, each with
// symlinks resolved where they exist.
func protectedPaths(endpoint, taskRuntime, keeperSocket string) []string {
	paths := slices.Clone(alwaysProtected)
	for _, host := range []string{endpoint, os.Getenv("DOCKER_HOST")} {
		if u, err := url.Parse(host); err == nil && u.Scheme == "unix" && u.Path != "" {
			paths = append(paths, u.Path)
		}
	}
	if exe, err := os.Executable(); err == nil {
		paths = append(paths, filepath.Dir(exe))
	}
	if taskRuntime != "" {
		paths = append(paths, taskRuntime)
	}
	if keeperSocket != "" {
		paths = append(paths, keeperSocket)
	}
	var out []string
	for _, p := range paths {
		out = append(out, filepath.Clean(p))
		if r, err := filepath.EvalSymlinks(p); err == nil && r != filepath.Clean(p) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// resolveMounts checks every task mount against the policy, with its
// source's symlinks resolved, and returns the mounts with their resolved
// sources: Docker then binds the very directory that was checked, even if
// a symlink on the way is swapped afterwards. Nomad's directory of all
// allocations is protected too: other tasks' secrets live there.
func resolveMounts(pc *PluginConfig, cfg *drivers.TaskConfig, mounts []Mount) ([]Mount, error) {
	protected := pc.protected
	if cfg.AllocDir != "" {
		protected = append(slices.Clone(protected), filepath.Dir(cfg.AllocDir))
	}
	out := make([]Mount, len(mounts))
	for i, m := range mounts {
		field := fmt.Sprintf("mounts[%d].source", i)
		resolved, err := filepath.EvalSymlinks(m.Source)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %q does not exist on this host; give an existing file or directory under allowed_mounts %q", field, m.Source, pc.AllowedMounts)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %q cannot be resolved: %w", field, m.Source, err)
		}
		if resolved, err = filepath.Abs(resolved); err != nil {
			return nil, fmt.Errorf("%s: %q: %w", field, m.Source, err)
		}
		if err := checkMountSource(field, m.Source, resolved, pc.resolvedMounts, protected); err != nil {
			return nil, err
		}
		out[i] = m
		out[i].Source = resolved
	}
	return out, nil
}

// resolvePrefix resolves the symlinks of an allowed_mounts entry, so that
// a prefix reached through a symlink ("/data" → "/srv/data") still admits
// the sources below it. A prefix that does not exist yet is kept as
// written: nothing can be resolved into it until it does.
func resolvePrefix(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

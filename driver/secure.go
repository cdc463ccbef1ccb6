package driver

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// applyPolicy decides the task's security settings and resolves its mounts
// (replacing tc.Mounts by the resolved ones), or says which rule refuses
// the task.
func applyPolicy(pc *PluginConfig, cfg *drivers.TaskConfig, tc *TaskConfig) (security, error) {
	sec, err := decideSecurity(pc, tc, cfg.User)
	if err != nil {
		return security{}, err
	}
	if tc.Mounts, err = resolveMounts(pc, cfg, tc.Mounts); err != nil {
		return security{}, err
	}
	return sec, nil
}

// secure applies the security decisions to a container definition: the
// user; no capabilities but those granted; no new privileges through
// setuid binaries; Docker's default seccomp profile, which is left on;
// the PIDs limit and the read-only root filesystem.
func (s *createSpec) secure(sec security, allowRoot bool) {
	s.Config.User = sec.User
	s.Host.Privileged = sec.Privileged
	if !sec.Privileged {
		s.Host.CapDrop = []string{"ALL"}
		s.Host.CapAdd = sec.CapAdd
	}
	s.Host.SecurityOpt = append(s.Host.SecurityOpt, "no-new-privileges")
	s.Host.ReadonlyRootfs = sec.ReadonlyRootfs
	if sec.PidsLimit > 0 {
		limit := sec.PidsLimit
		s.Host.PidsLimit = &limit
	}
	if !allowRoot && hasUserName(sec.User) {
		user := sec.User
		s.beforeStart = func(ctx context.Context, docker *client.Client, id string) error {
			return checkNamedUser(ctx, docker, id, user)
		}
	}
}

// hasUserName reports whether user or group is given by name, which only
// the image's /etc/passwd and /etc/group turn into IDs.
func hasUserName(user string) bool {
	name, group, _ := strings.Cut(user, ":")
	_, err := strconv.ParseUint(name, 10, 32)
	if err != nil {
		return true
	}
	if group == "" {
		return false
	}
	_, err = strconv.ParseUint(group, 10, 32)
	return err != nil
}

// checkNamedUser resolves a user and group given by name in the created
// (not yet started) container's /etc/passwd and /etc/group, and refuses
// names that stand for uid or gid 0: an image may call root anything.
func checkNamedUser(ctx context.Context, docker *client.Client, id, user string) error {
	name, group, _ := strings.Cut(user, ":")
	if _, err := strconv.ParseUint(name, 10, 32); err != nil {
		uid, gid, found, err := lookupID(ctx, docker, id, "/etc/passwd", name)
		if err != nil {
			return err
		}
		if found && (uid == 0 || (group == "" && gid == 0)) {
			return fmt.Errorf("user: %q is uid %d gid %d in the image's /etc/passwd: running as root is refused on this node; the node's operator would have to set allow_root = true in the plugin config", name, uid, gid)
		}
	}
	if group != "" {
		if _, err := strconv.ParseUint(group, 10, 32); err != nil {
			gid, _, found, err := lookupID(ctx, docker, id, "/etc/group", group)
			if err != nil {
				return err
			}
			if found && gid == 0 {
				return fmt.Errorf("user: group %q is gid 0 in the image's /etc/group: running as root's group is refused on this node; the node's operator would have to set allow_root = true in the plugin config", group)
			}
		}
	}
	return nil
}

// lookupID finds name in a passwd or group file of the container and
// returns its third and fourth fields (uid and gid, or gid). A file or
// name that is not there is not found: Docker then fails the start.
func lookupID(ctx context.Context, docker *client.Client, id, file, name string) (int, int, bool, error) {
	rc, _, err := docker.CopyFromContainer(ctx, id, file)
	if cerrdefs.IsNotFound(err) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("user: read the image's %s: %w", file, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	if _, err := tr.Next(); err != nil {
		return 0, 0, false, fmt.Errorf("user: read the image's %s: %w", file, err)
	}
	return findID(tr, name)
}

// findID scans passwd or group lines (name:x:id:id2:...) for name.
func findID(r io.Reader, name string) (int, int, bool, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 3 || f[0] != name {
			continue
		}
		id, err := strconv.Atoi(f[2])
		if err != nil {
			return 0, 0, false, fmt.Errorf("user: %q has id %q, not a number", name, f[2])
		}
		id2 := -1
		if len(f) > 3 {
			if n, err := strconv.Atoi(f[3]); err == nil {
				id2 = n
			}
		}
		return id, id2, true, nil
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return 0, 0, false, fmt.Errorf("user: scan the image's user database: %w", err)
	}
	return 0, 0, false, nil
}

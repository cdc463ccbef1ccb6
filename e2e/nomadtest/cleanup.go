package nomadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/dockmr/dockmr/internal/testimage"
	"github.com/hashicorp/nomad/api"
)

// Labels the drivers put on containers, used to find the ones this agent made.
const (
	labelDockmrNode  = "com.dockmr.node_id"
	labelNomadAlloc  = "com.hashicorp.nomad.alloc_id"
	cleanupTaskLimit = 30 * time.Second
)

// Close stops every job, shuts both agents down, kills any process they left
// behind, removes the cluster's containers and deletes its directory.
func (c *Cluster) Close() error {
	var errs []error
	allocs := c.stopAllJobs()
	for _, p := range []*agentProc{c.client, c.server} {
		if err := p.stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.killLeftovers(); err != nil {
		errs = append(errs, err)
	}
	if err := c.removeContainers(allocs); err != nil {
		errs = append(errs, err)
	}
	if err := removeTree(c.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// stopAllJobs purges every job, waits a while for the tasks to stop and has
// the client collect the allocations, so task containers are removed and the
// secrets mounts are released. It returns the IDs of all allocations seen.
func (c *Cluster) stopAllJobs() []string {
	if !c.client.running() || !c.server.running() {
		return nil
	}
	allocs, _, err := c.API.Allocations().List(nil)
	if err != nil {
		return nil
	}
	ids := make([]string, len(allocs))
	for i, al := range allocs {
		ids[i] = al.ID
	}
	jobs, _, err := c.API.Jobs().List(nil)
	if err != nil {
		return ids
	}
	for _, j := range jobs {
		c.API.Jobs().Deregister(j.ID, true, nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTaskLimit)
	defer cancel()
	waitFor(ctx, "tasks to stop", func() (bool, string, error) {
		running := 0
		for _, id := range ids {
			al, _, err := c.API.Allocations().Info(id, nil)
			if err != nil {
				continue // purged with its job
			}
			if al.ClientStatus == api.AllocClientStatusRunning || al.ClientStatus == api.AllocClientStatusPending {
				running++
			}
		}
		return running == 0, fmt.Sprintf("%d allocations still running", running), nil
	})
	if c.NodeID != "" {
		c.API.Nodes().GC(c.NodeID, nil)
	}
	return ids
}

// removeContainers force-removes the containers dockmr-driver labelled with
// this agent's node and the docker driver's containers of its allocations.
func (c *Cluster) removeContainers(allocIDs []string) error {
	cli, err := testimage.NewClient()
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var ids []string
	if c.NodeID != "" {
		list, err := cli.ContainerList(ctx, container.ListOptions{
			All:     true,
			Filters: filters.NewArgs(filters.Arg("label", labelDockmrNode+"="+c.NodeID)),
		})
		if err != nil {
			return fmt.Errorf("list containers of node %s: %w", c.NodeID, err)
		}
		for _, c := range list {
			ids = append(ids, c.ID)
		}
	}
	for _, alloc := range allocIDs {
		list, err := cli.ContainerList(ctx, container.ListOptions{
			All:     true,
			Filters: filters.NewArgs(filters.Arg("label", labelNomadAlloc+"="+alloc)),
		})
		if err != nil {
			return fmt.Errorf("list containers of allocation %s: %w", alloc, err)
		}
		for _, c := range list {
			ids = append(ids, c.ID)
		}
	}
	var errs []error
	for _, id := range ids {
		if err := cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove container %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// removeTree deletes dir after detaching whatever is still mounted beneath it
// (task secrets directories are tmpfs mounts).
func removeTree(dir string) error {
	if dir == "" {
		return nil
	}
	mounts, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	for _, m := range mounts {
		syscall.Unmount(m, syscall.MNT_DETACH)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove agent directory: %w", err)
	}
	return nil
}

// mountsUnder lists the mount points at or below dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, nil
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mount table: %w", err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountPath(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, s.Err()
}

// unescapeMountPath decodes the octal escapes (\040 for space) of mountinfo.
func unescapeMountPath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

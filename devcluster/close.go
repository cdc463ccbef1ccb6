package devcluster

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
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/hashicorp/nomad/api"
)

// jobStopTimeout bounds the wait for the cluster's tasks to stop when it
// closes; tasks still running then are killed with their containers.
const jobStopTimeout = 30 * time.Second

// labelNode is the label dockmr-driver puts on every container with the
// ID of the node that runs it.
const labelNode = "com.dockmr.node_id"

// Close stops the cluster: it stops every job and lets the clients remove
// their allocations, shuts down the clients and then the server, kills
// any process they left behind, removes the containers of the cluster's
// nodes and, if Start made it, the state directory. It is safe to call
// more than once.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.close() })
	return c.closeErr
}

func (c *Cluster) close() error {
	var errs []error
	c.stopJobs()
	var wg sync.WaitGroup
	clientErrs := make([]error, len(c.clients))
	for i, a := range c.clients {
		wg.Go(func() { clientErrs[i] = a.stop() })
	}
	wg.Wait()
	errs = append(errs, clientErrs...)
	if c.server != nil {
		errs = append(errs, c.server.stop())
	}
	errs = append(errs, c.killLeftovers(), c.removeContainers())
	if c.ownState {
		errs = append(errs, removeTree(c.stateDir))
	}
	return errors.Join(errs...)
}

// stopJobs stops every job in every namespace, waits a while for their
// allocations to stop, and has each client collect them, which destroys
// their tasks and so removes their containers.
func (c *Cluster) stopJobs() {
	if c.API == nil || !c.server.running() {
		return
	}
	all := &api.QueryOptions{Namespace: "*"}
	jobs, _, err := c.API.Jobs().List(all)
	if err != nil {
		return
	}
	for _, j := range jobs {
		if j.Stop || j.Status == "dead" {
			continue
		}
		c.API.Jobs().Deregister(j.ID, false, &api.WriteOptions{Namespace: j.Namespace})
	}
	ctx, cancel := context.WithTimeout(context.Background(), jobStopTimeout)
	defer cancel()
	poll(ctx, "the tasks to stop", func() (bool, string, error) {
		allocs, _, err := c.API.Allocations().List(all)
		if err != nil {
			return false, err.Error(), nil
		}
		live := 0
		for _, a := range allocs {
			if a.ClientStatus == api.AllocClientStatusRunning || a.ClientStatus == api.AllocClientStatusPending {
				live++
			}
		}
		return live == 0, fmt.Sprintf("%d allocations running", live), nil
	})
	for _, id := range c.nodeIDs {
		c.API.Nodes().GC(id, nil)
	}
}

// removeContainers force-removes the containers that dockmr-driver ran
// for the cluster's nodes and that are still there.
func (c *Cluster) removeContainers() error {
	if len(c.nodeIDs) == 0 {
		return nil
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("remove containers: %w", err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	for _, node := range c.nodeIDs {
		list, err := cli.ContainerList(ctx, container.ListOptions{
			All:     true,
			Filters: filters.NewArgs(filters.Arg("label", labelNode+"="+node)),
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("list containers of node %s: %w", node, err))
			continue
		}
		for _, ct := range list {
			if err := cli.ContainerRemove(ctx, ct.ID, container.RemoveOptions{Force: true}); err != nil {
				errs = append(errs, fmt.Errorf("remove container %s: %w", ct.ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

// removeTree deletes dir after detaching whatever is still mounted beneath
// it (task secrets directories are tmpfs mounts).
func removeTree(dir string) error {
	mounts, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	for _, m := range mounts {
		syscall.Unmount(m, syscall.MNT_DETACH)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove state directory: %w", err)
	}
	return nil
}

// mountsUnder lists the mount points at or below dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, nil // nothing there
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

// unescapeMountPath decodes the octal escapes (\040 for a space) of
// /proc/self/mountinfo.
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

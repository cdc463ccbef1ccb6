package devcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/internal/mountinfo"
)

// jobStopTimeout bounds the wait for the cluster's tasks to stop when it
// closes; tasks still running then are killed with their containers.
const jobStopTimeout = 30 * time.Second

// The labels by which the cluster's containers are found: dockmr-driver
// puts the ID of the node that runs a container on it, Nomad's docker
// driver the ID of the allocation.
const (
	labelNode  = "com.dockmr.node_id"
	labelAlloc = "com.hashicorp.nomad.alloc_id"
)

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
	allocs, stopErr := c.stopJobs()
	errs := []error{stopErr}
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
	errs = append(errs, c.killLeftovers(), c.removeContainers(allocs))
	if c.hosts != nil {
		errs = append(errs, c.hosts.close())
	}
	if c.ownState {
		errs = append(errs, removeTree(c.stateDir))
	}
	return errors.Join(errs...)
}

// stopJobs stops every job in every namespace, waits a while for the
// allocations on running clients to stop, and has those clients collect
// them, which destroys their tasks and so removes their containers. It
// returns the IDs of all the allocations it saw, and what the server
// refused. Allocations still running after the wait are no error: Close
// kills them with their containers.
func (c *Cluster) stopJobs() ([]string, error) {
	if c.API == nil || !c.server.running() {
		return nil, nil
	}
	all := &api.QueryOptions{Namespace: "*"}
	allocs, _, err := c.API.Allocations().List(all)
	if err != nil {
		return nil, fmt.Errorf("list the allocations to stop: %w", err)
	}
	ids := make([]string, len(allocs))
	for i, a := range allocs {
		ids[i] = a.ID
	}
	jobs, _, err := c.API.Jobs().List(all)
	if err != nil {
		return ids, fmt.Errorf("list the jobs to stop: %w", err)
	}
	var errs []error
	for _, j := range jobs {
		if j.Stop || j.Status == "dead" {
			continue
		}
		if _, _, err := c.API.Jobs().Deregister(j.ID, false, &api.WriteOptions{Namespace: j.Namespace}); err != nil {
			errs = append(errs, fmt.Errorf("stop job %s: %w", j.ID, err))
		}
	}
	// A stopped or killed client cannot stop its tasks: waiting for them
	// would only time out, and Close kills them with their containers.
	live := make(map[string]bool)
	for i, a := range c.clients {
		if a.running() && i < len(c.nodeIDs) && c.nodeIDs[i] != "" {
			live[c.nodeIDs[i]] = true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), jobStopTimeout)
	defer cancel()
	// A timeout leaves tasks running, which Close kills: not an error.
	_ = Poll(ctx, "the tasks to stop", func() (bool, string, error) {
		allocs, _, err := c.API.Allocations().List(all)
		if err != nil {
			return false, err.Error(), nil
		}
		running := 0
		for _, a := range allocs {
			if live[a.NodeID] && (a.ClientStatus == api.AllocClientStatusRunning || a.ClientStatus == api.AllocClientStatusPending) {
				running++
			}
		}
		return running == 0, fmt.Sprintf("%d allocations running", running), nil
	})
	for id := range live {
		// The API reads the empty reply of a collection that worked as
		// io.EOF.
		if err := c.API.Nodes().GC(id, nil); err != nil && !errors.Is(err, io.EOF) {
			errs = append(errs, fmt.Errorf("collect the allocations of node %s: %w", id, err))
		}
	}
	return ids, errors.Join(errs...)
}

// removeContainers force-removes the containers still there that
// dockmr-driver ran for the cluster's nodes or that Nomad's docker driver
// ran for the given allocations.
func (c *Cluster) removeContainers(allocIDs []string) error {
	var selectors []string
	for _, node := range c.nodeIDs {
		if node != "" {
			selectors = append(selectors, labelNode+"="+node)
		}
	}
	for _, alloc := range allocIDs {
		selectors = append(selectors, labelAlloc+"="+alloc)
	}
	if len(selectors) == 0 {
		return nil
	}
	if c.hosts == nil {
		return removeContainersAt(c.opts.DockerEndpoint, selectors)
	}
	var errs []error
	for _, e := range c.hosts.endpoints() {
		errs = append(errs, removeContainersAt(e, selectors))
	}
	return errors.Join(errs...)
}

// removeContainersAt force-removes the containers of the daemon at
// endpoint that carry any of the labels.
func removeContainersAt(endpoint string, selectors []string) error {
	cli, err := dockerClient(endpoint)
	if err != nil {
		return fmt.Errorf("remove containers: %w", err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	for _, label := range selectors {
		list, err := cli.ContainerList(ctx, container.ListOptions{
			All:     true,
			Filters: filters.NewArgs(filters.Arg("label", label)),
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("list containers labelled %s: %w", label, err))
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
	mounts, err := mountinfo.Under(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range mounts {
		// EINVAL, ENOENT: no longer a mount point.
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		// What could not be unmounted explains what could not be removed.
		return errors.Join(append(errs, fmt.Errorf("remove state directory: %w", err))...)
	}
	return nil
}

package nomad

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/contract"
)

// PrefetchArg makes dockmr-task report that its image is present and exit:
// the whole work of a prefetch task is done by the driver before the
// container starts.
const PrefetchArg = "prefetched"

// grpcPrefix is how a driver's error reaches the task events; it says
// nothing to a user.
const grpcPrefix = "rpc error: code = FailedPrecondition desc = "

// PrefetchJobPrefix starts the ID of every prefetch job.
const PrefetchJobPrefix = JobPrefix + "prefetch-"

// prefetchTask is the task name in a prefetch job.
const prefetchTask = "prefetch"

// PrefetchOptions say which image to put on the nodes, and how.
type PrefetchOptions struct {
	// Image is the image reference, as a task's config would name it.
	Image string
	// Load, when set, is a `docker save` tarball to load the image from
	// instead of pulling it: an http(s) URL the nodes download it from,
	// or an absolute path every node sees (under the driver's
	// allowed_mounts).
	Load string
	// Force pulls or loads the image even on nodes that have it.
	Force bool
	// Datacenters to prefetch in; empty means all.
	Datacenters []string
	// Timeout bounds the whole prefetch; zero means 10 minutes.
	Timeout time.Duration
}

// NodeResult is how a prefetch went on one node.
type NodeResult struct {
	Node string
	// Result is "pulled", "loaded" or "present" when the image is on
	// the node, else "failed" (or "not placed").
	Result string
	// Detail is the failure's message, or the driver's account of the
	// pull or load.
	Detail string
	// Duration is from the task's arrival on the node to its end.
	Duration time.Duration
}

// OK reports whether the node has the image.
func (r NodeResult) OK() bool { return r.Result != "failed" && r.Result != "not placed" }

// check validates the options, naming the bad one.
func (o PrefetchOptions) check() error {
	if strings.TrimSpace(o.Image) == "" {
		return errors.New("prefetch: no image; give the image to put on every node, such as \"registry:5000/team/app:1\"")
	}
	if o.Load == "" || isURL(o.Load) {
		return nil
	}
	if !filepath.IsAbs(o.Load) {
		return fmt.Errorf("prefetch: --load %q is neither an http(s) URL nor an absolute path; give a URL the nodes can download the tarball from, or its path on storage every node mounts", o.Load)
	}
	return nil
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// PrefetchJob is the sysbatch job that runs one short task on every client
// node: the driver pulls or loads the image before starting it, and the
// container, running the mounted dockmr-task runtime, exits at once.
func PrefetchJob(id string, o PrefetchOptions) *api.Job {
	config := map[string]any{
		"image":      o.Image,
		"entrypoint": []string{contract.RuntimePath},
		"args":       []string{PrefetchArg},
		"force_pull": o.Force,
	}
	task := &api.Task{
		Name:   prefetchTask,
		Driver: contract.DriverName,
		Config: config,
		Resources: &api.Resources{
			CPU:      ptr(20),
			MemoryMB: ptr(16),
		},
	}
	if o.Load != "" {
		config["load"] = o.Load
		if isURL(o.Load) {
			name := path.Base(strings.SplitN(o.Load, "?", 2)[0])
			config["load"] = "local/" + name
			task.Artifacts = []*api.TaskArtifact{{
				GetterSource:  &o.Load,
				RelativeDest:  ptr("local/"),
				GetterOptions: map[string]string{"archive": "false"},
			}}
		}
	}
	group := &api.TaskGroup{
		Name:          ptr("prefetch"),
		Tasks:         []*api.Task{task},
		RestartPolicy: &api.RestartPolicy{Attempts: ptr(0), Mode: ptr("fail")},
	}
	job := api.NewSysbatchJob(id, id, "", 50)
	job.TaskGroups = []*api.TaskGroup{group}
	if len(o.Datacenters) > 0 {
		job.Datacenters = o.Datacenters
	} else {
		job.Datacenters = []string{"*"}
	}
	job.Meta = map[string]string{MetaImage: o.Image}
	return job
}

// Prefetch puts the image on every ready client node that runs
// dockmr-driver, and reports per node. The job is purged afterwards.
func Prefetch(ctx context.Context, client *api.Client, o PrefetchOptions) ([]NodeResult, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	nodes, err := driverNodes(client, o.Datacenters)
	if err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("prefetch: no ready client node has %s healthy%s", contract.DriverName, inDatacenters(o.Datacenters))
	}
	id := PrefetchJobPrefix + randomSuffix()
	if _, _, err := client.Jobs().Register(PrefetchJob(id, o), nil); err != nil {
		return nil, fmt.Errorf("prefetch: submit job %s: %w", id, err)
	}
	defer func() {
		// Best effort: a job left behind has ended (its tasks exit at
		// once) and only shows in 'nomad job status' until Nomad's
		// garbage collection.
		if _, _, err := client.Jobs().Deregister(id, true, nil); err != nil {
			return
		}
	}()

	allocs, err := waitPrefetch(ctx, client, id, nodes)
	if err != nil {
		return nil, fmt.Errorf("prefetch: %w", err)
	}
	return prefetchResults(nodes, allocs), nil
}

// driverNodes returns the ready, eligible nodes with dockmr-driver
// healthy, by ID, with their names.
func driverNodes(client *api.Client, datacenters []string) (map[string]string, error) {
	stubs, _, err := client.Nodes().List(&api.QueryOptions{Params: map[string]string{"resources": "false"}})
	if err != nil {
		return nil, fmt.Errorf("prefetch: list nodes: %w", err)
	}
	nodes := map[string]string{}
	for _, n := range stubs {
		d := n.Drivers[contract.DriverName]
		if n.Status != api.NodeStatusReady || n.SchedulingEligibility != api.NodeSchedulingEligible || d == nil || !d.Healthy {
			continue
		}
		if len(datacenters) > 0 && !slices.Contains(datacenters, n.Datacenter) {
			continue
		}
		nodes[n.ID] = n.Name
	}
	return nodes, nil
}

// waitPrefetch waits until every node's allocation has finished, or the
// scheduler has placed all it will.
func waitPrefetch(ctx context.Context, client *api.Client, id string, nodes map[string]string) ([]*api.Allocation, error) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		// The scheduler's verdict is read before the allocations: read
		// after, it could be done with allocations the list missed.
		scheduled := evalsDone(client, id)
		stubs, _, err := client.Jobs().Allocations(id, true, nil)
		if err != nil {
			return nil, fmt.Errorf("allocations of %s: %w", id, err)
		}
		done := 0
		for _, s := range stubs {
			if s.ClientStatus == api.AllocClientStatusComplete || s.ClientStatus == api.AllocClientStatusFailed || s.ClientStatus == api.AllocClientStatusLost {
				done++
			}
		}
		settled := done == len(stubs) && (len(stubs) >= len(nodes) || scheduled)
		if settled {
			var allocs []*api.Allocation
			for _, s := range stubs {
				a, _, err := client.Allocations().Info(s.ID, nil)
				if err != nil {
					return nil, fmt.Errorf("allocation %s: %w", s.ID, err)
				}
				allocs = append(allocs, a)
			}
			return allocs, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d nodes done when the time ran out (%w); see 'nomad job status %s'", done, len(nodes), ctx.Err(), id)
		case <-tick.C:
		}
	}
}

// evalsDone reports whether the scheduler has finished with the job, so
// that nodes still without an allocation will not get one.
func evalsDone(client *api.Client, id string) bool {
	evals, _, err := client.Jobs().Evaluations(id, nil)
	if err != nil || len(evals) == 0 {
		return false
	}
	for _, e := range evals {
		if e.Status == api.EvalStatusPending {
			return false
		}
	}
	return true
}

// prefetchResults reads each node's outcome from its allocation's events,
// sorted by node name; nodes the scheduler skipped are "not placed".
func prefetchResults(nodes map[string]string, allocs []*api.Allocation) []NodeResult {
	var out []NodeResult
	seen := map[string]bool{}
	for _, a := range allocs {
		seen[a.NodeID] = true
		r := allocResult(a)
		r.Node = nodes[a.NodeID]
		if r.Node == "" {
			r.Node = a.NodeName
		}
		out = append(out, r)
	}
	for id, name := range nodes {
		if !seen[id] {
			out = append(out, NodeResult{Node: name, Result: "not placed", Detail: "the scheduler placed no prefetch task on this node; see 'nomad job status'"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// allocResult classifies one allocation of a prefetch job.
func allocResult(a *api.Allocation) NodeResult {
	ts := a.TaskStates[prefetchTask]
	if ts == nil {
		return NodeResult{Result: "failed", Detail: "the task never started: " + a.ClientDescription}
	}
	var r NodeResult
	var first, last time.Time
	var failure string
	for _, e := range ts.Events {
		t := time.Unix(0, e.Time)
		if first.IsZero() {
			first = t
		}
		last = t
		switch {
		case e.Type == api.TaskDriverMessage && strings.HasPrefix(e.DriverMessage, "Pulled image "):
			r.Result, r.Detail = "pulled", e.DriverMessage
		case e.Type == api.TaskDriverMessage && strings.HasPrefix(e.DriverMessage, "Loaded image "):
			r.Result, r.Detail = "loaded", e.DriverMessage
		case e.Type == api.TaskDriverFailure || e.Type == api.TaskArtifactDownloadFailed || e.Type == api.TaskSetupFailure:
			failure = strings.TrimPrefix(e.DisplayMessage, grpcPrefix)
		}
	}
	r.Duration = last.Sub(first)
	switch {
	case failure != "":
		r.Result, r.Detail = "failed", failure
	case ts.Failed || a.ClientStatus != api.AllocClientStatusComplete:
		r.Result, r.Detail = "failed", fmt.Sprintf("allocation %.8s is %s: %s", a.ID, a.ClientStatus, a.ClientDescription)
	case r.Result == "":
		r.Result = "present"
	}
	return r
}

func inDatacenters(dcs []string) string {
	if len(dcs) == 0 {
		return ""
	}
	return fmt.Sprintf(" in datacenters %q", dcs)
}

func randomSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return time.Now().UTC().Format("20060102150405") + "-" + hex.EncodeToString(b)
}

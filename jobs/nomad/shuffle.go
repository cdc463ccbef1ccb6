package nomad

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/task"
	"github.com/dockmr/dockmr/shuffle"
)

// ShuffleJobID is the ID of the Nomad system job that runs a shuffle
// server on every node that has a shuffle directory.
const ShuffleJobID = JobPrefix + "shuffle"

// The node meta that gives a node a shuffle server: the directory map
// output stays in (local disk, in the driver's allowed_mounts) and the
// address the server listens on, which the reduces of other nodes reach.
const (
	MetaShuffleDir  = "dockmr_shuffle_dir"
	MetaShuffleAddr = "dockmr_shuffle_addr"
)

// ShuffleOptions shape the shuffle servers' system job.
type ShuffleOptions struct {
	// Image is the image the server's container runs; dockmr-task comes
	// from the node (the driver's task_runtime), so any image does.
	Image string
	// MaxAge is how long a job's data may stay unchanged on a node before
	// its server removes it; zero means shuffle.DefaultMaxAge.
	MaxAge time.Duration
	// Datacenters to run in; empty means all.
	Datacenters []string
}

// ShuffleJob is the system job that runs `dockmr-task shuffle-serve` on
// every node whose meta names a shuffle directory and address. Nomad
// restarts a server that dies, and starts one on every node that joins.
func ShuffleJob(o ShuffleOptions) *api.Job {
	maxAge := o.MaxAge
	if maxAge <= 0 {
		maxAge = shuffle.DefaultMaxAge
	}
	dir, addr := "${meta."+MetaShuffleDir+"}", "${meta."+MetaShuffleAddr+"}"
	t := &api.Task{
		Name:   "shuffle",
		Driver: contract.DriverName,
		Config: map[string]any{
			"image":   o.Image,
			"command": contract.RuntimePath,
			"args":    []string{shuffle.ServeCommand, "--dir", dir, "--listen", addr, "--max-age", maxAge.String()},
			"mounts":  []map[string]any{{"source": dir, "target": dir, "readonly": false}},
		},
		Resources:   &api.Resources{CPU: ptr(200), MemoryMB: ptr(64), MemoryMaxMB: ptr(512)},
		KillTimeout: ptr(5 * time.Second),
		LogConfig:   &api.LogConfig{MaxFiles: ptr(2), MaxFileSizeMB: ptr(10)},
	}
	g := &api.TaskGroup{
		Name:          ptr("shuffle"),
		Tasks:         []*api.Task{t},
		EphemeralDisk: &api.EphemeralDisk{SizeMB: ptr(32)},
		// A server that dies is restarted at once, and again, for ever:
		// reduces retry their fetches meanwhile.
		RestartPolicy: &api.RestartPolicy{Attempts: ptr(10), Interval: ptr(time.Minute), Delay: ptr(time.Second), Mode: ptr("delay")},
	}
	return &api.Job{
		ID:          ptr(ShuffleJobID),
		Name:        ptr(ShuffleJobID),
		Type:        ptr(api.JobTypeSystem),
		Datacenters: datacenters(Settings{Datacenters: o.Datacenters}),
		Constraints: shuffleConstraints(),
		TaskGroups:  []*api.TaskGroup{g},
	}
}

// shuffleConstraints keep a job to the nodes with a shuffle server.
func shuffleConstraints() []*api.Constraint {
	return []*api.Constraint{
		{LTarget: "${meta." + MetaShuffleDir + "}", Operand: "is_set"},
		{LTarget: "${meta." + MetaShuffleAddr + "}", Operand: "is_set"},
	}
}

// StartShuffle registers the shuffle servers' system job and, with wait,
// waits until a server runs on every ready node that has the shuffle
// meta. The nodes and their servers' addresses are returned.
func StartShuffle(ctx context.Context, client *api.Client, o ShuffleOptions, wait bool) (map[string]string, error) {
	if o.Image == "" {
		return nil, errors.New("shuffle servers: no image; pass --image")
	}
	if _, _, err := client.Jobs().Register(ShuffleJob(o), nil); err != nil {
		return nil, fmt.Errorf("register the shuffle servers' job %s: %w", ShuffleJobID, err)
	}
	nodes, err := ShuffleNodes(client)
	if err != nil || !wait {
		return nodes, err
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("no ready node has the meta %s and %s: give the clients a shuffle directory and address", MetaShuffleDir, MetaShuffleAddr)
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		allocs, _, err := client.Jobs().Allocations(ShuffleJobID, false, nil)
		if err != nil {
			return nil, fmt.Errorf("follow the shuffle servers' job: %w", err)
		}
		running := map[string]bool{}
		for _, a := range allocs {
			if a.ClientStatus == api.AllocClientStatusRunning {
				running[a.NodeID] = true
			}
		}
		all := true
		for id := range nodes {
			all = all && running[id]
		}
		if all {
			return nodes, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for a shuffle server on every node (%d of %d running): %w", len(running), len(nodes), ctx.Err())
		case <-tick.C:
		}
	}
}

// ShuffleNodes returns the ready nodes with a shuffle server's meta, by
// node ID, with the server's address.
func ShuffleNodes(client *api.Client) (map[string]string, error) {
	stubs, _, err := client.Nodes().List(&api.QueryOptions{Params: map[string]string{"resources": "false"}})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	nodes := map[string]string{}
	for _, n := range stubs {
		if n.Status != api.NodeStatusReady {
			continue
		}
		node, _, err := client.Nodes().Info(n.ID, nil)
		if err != nil {
			return nil, fmt.Errorf("read node %s: %w", n.Name, err)
		}
		if addr := node.Meta[MetaShuffleAddr]; addr != "" && node.Meta[MetaShuffleDir] != "" {
			nodes[n.ID] = addr
		}
	}
	return nodes, nil
}

// shuffleEnv is what a task of a job with node shuffle learns of its node.
func shuffleEnv() map[string]string {
	return map[string]string{
		task.EnvShuffleDir:  "${meta." + MetaShuffleDir + "}",
		task.EnvShuffleAddr: "${meta." + MetaShuffleAddr + "}",
		task.EnvNode:        "${node.unique.name}",
	}
}

// RemoveShuffleData asks every node's shuffle server to remove a job's
// map output, signed with the job's secret. Nodes that cannot be reached
// now remove it by age (shuffle-serve --max-age). It returns the first
// failure, having asked every node.
func RemoveShuffleData(ctx context.Context, client *api.Client, jobID, secret string) error {
	nodes, err := ShuffleNodes(client)
	if err != nil {
		return fmt.Errorf("remove the job's shuffle data: %w", err)
	}
	var errs []error
	for _, addr := range nodes {
		if err := deleteShuffleJob(ctx, addr, jobID, secret); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func deleteShuffleJob(ctx context.Context, addr, jobID, secret string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	path := shuffle.JobPath(jobID)
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set(shuffle.SignatureHeader, shuffle.Sign(secret, http.MethodDelete, path))
	resp, err := shuffleHTTP.Do(req)
	if err != nil {
		return fmt.Errorf("remove shuffle data of %s on %s: %w", jobID, addr, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("remove shuffle data of %s on %s: %s", jobID, addr, resp.Status)
	}
	return nil
}

var shuffleHTTP = &http.Client{Transport: &http.Transport{Proxy: nil}}

// removeShuffleOf removes a plan's shuffle data from every node, if the
// job keeps its map output there. It runs on a context of its own: the
// job's may have ended (a cancelled job).
func removeShuffleOf(client *api.Client, plan *jobs.Plan) error {
	if plan.Job.Settings.Shuffle != jobs.NodeShuffle {
		return nil
	}
	secret, err := plan.ShuffleSecret()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return RemoveShuffleData(ctx, client, plan.ID, secret)
}

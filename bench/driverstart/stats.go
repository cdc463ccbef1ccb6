package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/nomad/api"
)

// latency splits a task's start at Nomad's "Task Setup" event: before it
// the client queues the allocation and runs its alloc-level hooks; after it
// come the task hooks (task directory, logmon) and the driver's StartTask.
type latency struct {
	total, toSetup, fromSetup time.Duration
}

// startLatency is the time from Nomad's "Received" task event to its first
// "Started" event: everything the client and the driver do to get the task
// running, image checks and container creation included.
func startLatency(alloc *api.Allocation, task string) (latency, error) {
	ts := alloc.TaskStates[task]
	if ts == nil {
		return latency{}, fmt.Errorf("allocation %s has no state for task %s", alloc.ID, task)
	}
	first := map[string]int64{}
	for _, e := range ts.Events {
		if _, ok := first[e.Type]; !ok {
			first[e.Type] = e.Time
		}
	}
	received, setup, started := first[api.TaskReceived], first[api.TaskSetup], first[api.TaskStarted]
	if received == 0 || setup == 0 || started == 0 {
		return latency{}, fmt.Errorf("allocation %s task %s lacks a Received, Task Setup or Started event", alloc.ID, task)
	}
	return latency{
		total:     time.Duration(started - received),
		toSetup:   time.Duration(setup - received),
		fromSetup: time.Duration(started - setup),
	}, nil
}

// quantile returns the q-quantile (0..1) of ds by the nearest-rank method;
// it sorts ds in place.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	rank := int(q*float64(len(ds))+0.999999) - 1
	return ds[min(max(rank, 0), len(ds)-1)]
}

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/e2e/nomadtest"
)

// taskName is the one task of every benchmark allocation.
const taskName = "main"

// batch is one burst of tasks of one driver.
type batch struct {
	latencies             []latency
	before, during, after census
}

// runBatch starts tasks allocations of driver at once, waits until all run,
// takes the process census, and stops them again.
func runBatch(ctx context.Context, c *nomadtest.Cluster, driver, image string, tasks int) (batch, error) {
	var b batch
	var err error
	if b.before, err = takeClusterCensus(c); err != nil {
		return b, err
	}
	job := nomadtest.Unique(burstJob(driver, image, tasks), "driver-start-"+driver)
	if _, err := c.Register(job); err != nil {
		return b, err
	}
	stubs, err := c.WaitAllocations(ctx, *job.ID, tasks)
	if err != nil {
		return b, err
	}
	for _, s := range stubs {
		alloc, err := c.WaitTaskState(ctx, s.ID, taskName, "running")
		if err != nil {
			return b, err
		}
		lat, err := startLatency(alloc, taskName)
		if err != nil {
			return b, err
		}
		b.latencies = append(b.latencies, lat)
	}
	if b.during, err = takeClusterCensus(c); err != nil {
		return b, err
	}

	if _, _, err := c.API.Jobs().Deregister(*job.ID, false, nil); err != nil {
		return b, fmt.Errorf("stop job %s: %w", *job.ID, err)
	}
	for _, s := range stubs {
		if _, err := c.WaitClientStatus(ctx, s.ID, api.AllocClientStatusComplete, api.AllocClientStatusFailed); err != nil {
			return b, err
		}
	}
	b.after, err = takeClusterCensus(c)
	return b, err
}

func takeClusterCensus(c *nomadtest.Cluster) (census, error) {
	procs, err := c.Processes()
	if err != nil {
		return census{}, err
	}
	keepers, err := nomadtest.FIFOKeepers()
	if err != nil {
		return census{}, err
	}
	return takeCensus(procs, keepers), nil
}

// burstJob is a batch job of tasks allocations, each a container of the
// test image on the host network that sleeps until stopped.
func burstJob(driver, image string, tasks int) *api.Job {
	job := api.NewBatchJob("driver-start", "driver-start", "global", 50)
	tg := api.NewTaskGroup("g", tasks)
	tg.RestartPolicy = &api.RestartPolicy{Attempts: ptr(0), Mode: ptr("fail")}
	tg.ReschedulePolicy = &api.ReschedulePolicy{Attempts: ptr(0), Unlimited: ptr(false)}

	config := map[string]any{
		"image":   image,
		"command": "sh",
		// Exit at once on SIGTERM so stopping the burst is quick.
		"args": []string{"-c", "trap 'exit 0' TERM; sleep 3600 & wait"},
	}
	switch driver {
	case "docker":
		// dockmr-driver always uses the host network; give the docker
		// driver the same.
		config["network_mode"] = "host"
	case mockDriver:
		config = map[string]any{"run_for": "1h"}
	}
	task := api.NewTask(taskName, driver)
	task.Config = config
	task.Resources = &api.Resources{CPU: ptr(20), MemoryMB: ptr(16)}
	task.KillTimeout = ptr(5 * time.Second)
	tg.AddTask(task)
	job.AddTaskGroup(tg)
	return job
}

func ptr[T any](v T) *T { return &v }

package clustertest

import (
	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/contract"
)

// SleeperJob is a batch job "sleeper" of one dockmr-driver task that runs
// script with sh in image, with dataDir mounted at the same path, and is
// neither restarted nor rescheduled.
func SleeperJob(image, dataDir, script string) *api.Job {
	cpu, mem := 50, 32
	job := api.NewBatchJob("sleeper", "sleeper", "global", 50)
	job.Datacenters = []string{"*"}
	task := api.NewTask("main", contract.DriverName)
	task.Config = map[string]any{
		"image":   image,
		"command": "sh",
		"args":    []string{"-c", script},
		"mounts":  []map[string]any{{"source": dataDir, "target": dataDir}},
	}
	task.Resources = &api.Resources{CPU: &cpu, MemoryMB: &mem}
	group := api.NewTaskGroup("g", 1).AddTask(task)
	group.RestartPolicy = &api.RestartPolicy{Attempts: ptr(0), Mode: ptr("fail")}
	group.ReschedulePolicy = &api.ReschedulePolicy{Attempts: ptr(0), Unlimited: ptr(false)}
	return job.AddTaskGroup(group)
}

func ptr[T any](v T) *T { return &v }

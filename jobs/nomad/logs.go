package nomad

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/jobs"
)

var taskName = regexp.MustCompile(`^([mr])-(\d+)$`)

// ParseTask reads a task name, m-00003 or r-0, or "am" for the
// application master.
func ParseTask(name string) (phase string, index int, err error) {
	if name == AMPhase {
		return AMPhase, 0, nil
	}
	m := taskName.FindStringSubmatch(name)
	if m == nil {
		return "", 0, fmt.Errorf("task %q: want a task like m-00003 (map 3), r-00000 (reduce 0) or am (the application master)", name)
	}
	index, err = strconv.Atoi(m[2])
	if err != nil {
		return "", 0, fmt.Errorf("task %q: index: %w", name, err)
	}
	if m[1] == "m" {
		return string(jobs.MapTask), index, nil
	}
	return string(jobs.ReduceTask), index, nil
}

// Logs copies the stdout or stderr (logType) of the latest attempt of a
// task of a dockmr job to w. An empty task means the application master
// of a detached job.
func Logs(ctx context.Context, client *api.Client, id, task, logType string, w io.Writer) error {
	if task == "" {
		task = AMPhase
	}
	phase, index, err := ParseTask(task)
	if err != nil {
		return err
	}
	js, err := jobsOf(client, id)
	if err != nil {
		return err
	}
	alloc, err := latestAttempt(client, js, phase, index)
	if err != nil {
		return fmt.Errorf("job %s: task %s: %w", id, task, err)
	}
	return copyLogs(ctx, client, alloc, phase, logType, w)
}

func latestAttempt(client *api.Client, js []nomadJob, phase string, index int) (*api.Allocation, error) {
	for _, j := range js {
		if j.phase != phase {
			continue
		}
		allocs, _, err := client.Jobs().Allocations(j.stub.ID, true, nil)
		if err != nil {
			return nil, fmt.Errorf("read allocations of Nomad job %s: %w", j.stub.ID, err)
		}
		var latest *api.AllocationListStub
		for _, a := range allocs {
			if i, ok := indexOf(a.Name); ok && i == index && (latest == nil || a.CreateIndex > latest.CreateIndex) {
				latest = a
			}
		}
		if latest == nil {
			return nil, fmt.Errorf("no attempt has started yet")
		}
		alloc, _, err := client.Allocations().Info(latest.ID, nil)
		if err != nil {
			return nil, fmt.Errorf("read allocation %s: %w", latest.ID, err)
		}
		return alloc, nil
	}
	if phase == AMPhase {
		return nil, fmt.Errorf("the job was not detached, so it has no application master; name a task such as m-00000")
	}
	return nil, fmt.Errorf("the job has no %s phase in Nomad yet", phase)
}

func copyLogs(ctx context.Context, client *api.Client, alloc *api.Allocation, task, logType string, w io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cancelCh := make(chan struct{})
	go func() { <-ctx.Done(); close(cancelCh) }()
	frames, errs := client.AllocFS().Logs(alloc, false, task, logType, api.OriginStart, 0, cancelCh, nil)
	for {
		select {
		case f, ok := <-frames:
			if !ok {
				return nil
			}
			if _, err := w.Write(f.Data); err != nil {
				return err
			}
		case err := <-errs:
			if err != nil {
				return fmt.Errorf("read %s of allocation %.8s: %w", logType, alloc.ID, err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

package nomad

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/nomad/api"
)

// Attempt is one attempt of a task: one Nomad allocation of a phase.
type Attempt struct {
	Phase string `json:"phase"`
	Task  int    `json:"task"`
	// Number counts the task's attempts from 1, in the order Nomad
	// created their allocations.
	Number   int    `json:"attempt"`
	AllocID  string `json:"alloc_id"`
	NodeID   string `json:"node_id"`
	NodeName string `json:"node_name"`
	Image    string `json:"image"`
	// ClientStatus is Nomad's: pending, running, complete, failed, lost.
	ClientStatus string `json:"client_status"`
	// Stopped is set when Nomad told the allocation to stop, as it does
	// when its job is stopped.
	Stopped bool `json:"stopped"`
	// Received is when the node got the allocation, Started when its
	// container started, Finished when it ended; a time the attempt has
	// not reached is zero.
	Received time.Time `json:"received"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// ExitCode is the container's, once it has terminated.
	ExitCode int  `json:"exit_code"`
	Failed   bool `json:"failed"`
	// Failure says why a failed attempt failed.
	Failure string `json:"failure,omitempty"`
}

// PhaseAttempts lists the attempts of one phase's Nomad job.
func PhaseAttempts(client *api.Client, nomadJobID string) ([]Attempt, error) {
	job, _, err := client.Jobs().Info(nomadJobID, nil)
	if err != nil {
		return nil, fmt.Errorf("read Nomad job %s: %w", nomadJobID, err)
	}
	allocs, _, err := client.Jobs().Allocations(nomadJobID, true, nil)
	if err != nil {
		return nil, fmt.Errorf("read the allocations of Nomad job %s: %w", nomadJobID, err)
	}
	return attemptsOf(job.Meta[MetaPhase], job.Meta[MetaImage], allocs), nil
}

// JobAttempts lists the task attempts of every phase of a dockmr job, in
// phase order. The application master's allocations are not task attempts
// and are left out.
func JobAttempts(client *api.Client, id string) ([]Attempt, error) {
	js, err := jobsOf(client, id)
	if err != nil {
		return nil, err
	}
	var all []Attempt
	for _, j := range js {
		if j.phase == AMPhase {
			continue
		}
		as, err := PhaseAttempts(client, j.stub.ID)
		if err != nil {
			return nil, err
		}
		all = append(all, as...)
	}
	return all, nil
}

// attemptsOf converts a phase's allocations into attempts, sorted by task
// and attempt number. Allocations that never were attempts (stopped before
// their task started) are left out, as progress does.
func attemptsOf(phase, image string, allocs []*api.AllocationListStub) []Attempt {
	allocs = slices.Clone(allocs)
	slices.SortStableFunc(allocs, func(a, b *api.AllocationListStub) int {
		return cmp.Or(cmp.Compare(a.CreateIndex, b.CreateIndex), cmp.Compare(a.CreateTime, b.CreateTime))
	})
	var out []Attempt
	numbers := map[int]int{}
	for _, a := range allocs {
		i, ok := indexOf(a.Name)
		if !ok || !isAttempt(a) {
			continue
		}
		numbers[i]++
		out = append(out, attemptOf(phase, image, i, numbers[i], a))
	}
	slices.SortStableFunc(out, func(a, b Attempt) int {
		return cmp.Or(cmp.Compare(a.Task, b.Task), cmp.Compare(a.Number, b.Number))
	})
	return out
}

// attemptOf converts one allocation; its task state (one task per group)
// gives the times and the exit code.
func attemptOf(phase, image string, index, number int, a *api.AllocationListStub) Attempt {
	at := Attempt{
		Phase: phase, Task: index, Number: number,
		AllocID: a.ID, NodeID: a.NodeID, NodeName: a.NodeName, Image: image,
		ClientStatus: a.ClientStatus, Stopped: a.DesiredStatus == api.AllocDesiredStatusStop,
	}
	for _, ts := range a.TaskStates {
		at.Started = ts.StartedAt
		at.Finished = ts.FinishedAt
		for _, ev := range ts.Events {
			switch ev.Type {
			case api.TaskReceived:
				if at.Received.IsZero() {
					at.Received = eventTime(ev)
				}
			case api.TaskStarted:
				if at.Started.IsZero() {
					at.Started = eventTime(ev)
				}
			case api.TaskTerminated:
				at.ExitCode = ev.ExitCode
				if at.Finished.IsZero() {
					at.Finished = eventTime(ev)
				}
			}
		}
	}
	if at.Received.IsZero() && a.CreateTime != 0 {
		at.Received = time.Unix(0, a.CreateTime).UTC()
	}
	switch a.ClientStatus {
	case api.AllocClientStatusFailed, api.AllocClientStatusLost:
		at.Failed = true
		at.Failure = failureOf(index, a).Message
		// A lost allocation's task state may still say running: it ended
		// when Nomad last heard of it.
		if at.Finished.IsZero() && a.ModifyTime != 0 {
			at.Finished = time.Unix(0, a.ModifyTime).UTC()
		}
	}
	return at
}

func eventTime(ev *api.TaskEvent) time.Time {
	if ev.Time == 0 {
		return time.Time{}
	}
	return time.Unix(0, ev.Time).UTC()
}

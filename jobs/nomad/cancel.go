package nomad

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/jobs"
)

// ErrCommitted is returned by Cancel for a job that has committed its
// output already, which cancelling leaves alone.
var ErrCommitted = errors.New("the job has committed its output; nothing to cancel")

// Cancel stops a dockmr job and removes what it wrote: it stops the
// application master first, so that no new phase starts, then every phase,
// waits until their allocations have stopped (their containers are gone),
// and removes the job's staging directory and the output directory if
// the job created it. A committed job is left alone.
func Cancel(ctx context.Context, client *api.Client, id string) error {
	js, err := jobsOf(client, id)
	if err != nil {
		return err
	}
	output := js[0].stub.Meta[MetaOutput]
	if committedResult(output, id) != nil {
		return fmt.Errorf("job %s: %w", id, ErrCommitted)
	}
	if js[0].phase == AMPhase {
		if err := stopAndWait(ctx, clientAPI{client}, js[0].stub.ID); err != nil {
			return err
		}
	}
	// Listed again: the application master may have submitted a phase
	// before it stopped.
	if js, err = jobsOf(client, id); err != nil {
		return err
	}
	for _, j := range js {
		if err := stopAndWait(ctx, clientAPI{client}, j.stub.ID); err != nil {
			return err
		}
	}
	if committedResult(output, id) != nil {
		return fmt.Errorf("job %s: %w", id, ErrCommitted)
	}
	if plan, err := jobs.ReadPlan(js[0].stub.Meta[MetaPlan]); err == nil {
		// Nodes not reached now remove it by age.
		_ = removeShuffleOf(client, plan)
	}
	return abort(js[0].stub.Meta[MetaPlan], output)
}

// stopAndWait stops a Nomad job and waits until none of its allocations
// runs any more.
func stopAndWait(ctx context.Context, napi phaseAPI, jobID string) error {
	if err := napi.Deregister(jobID); err != nil {
		return fmt.Errorf("stop Nomad job %s: %w", jobID, err)
	}
	var index uint64
	for {
		allocs, next, err := napi.Allocations(ctx, jobID, index, 5*time.Second)
		if err != nil {
			return fmt.Errorf("wait for Nomad job %s to stop: %w", jobID, err)
		}
		index = next
		if allStopped(allocs) {
			return nil
		}
	}
}

func allStopped(allocs []*api.AllocationListStub) bool {
	for _, a := range allocs {
		switch a.ClientStatus {
		case api.AllocClientStatusComplete, api.AllocClientStatusFailed, api.AllocClientStatusLost:
		default:
			return false
		}
	}
	return true
}

// abort removes a stopped job's staging directory, and its output
// directory unless the job may overwrite one that existed before it or
// something else is in it. The plan says which.
func abort(planFile, output string) error {
	if planFile == "" || output == "" {
		return nil
	}
	overwrite := true
	if b, err := os.ReadFile(planFile); err == nil {
		var plan jobs.Plan
		if json.Unmarshal(b, &plan) == nil {
			overwrite = plan.Job.Settings.Overwrite
		}
	}
	staging := filepath.Dir(planFile)
	if err := os.RemoveAll(staging); err != nil {
		return fmt.Errorf("remove the job's staging directory: %w", err)
	}
	os.Remove(filepath.Dir(staging)) // _temporary, unless other jobs stage there
	if !overwrite {
		os.Remove(output) // only if empty: the job created it
	}
	return nil
}

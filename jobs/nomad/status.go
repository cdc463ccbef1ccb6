package nomad

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/jobs"
)

// The states of a dockmr job, as Status and List report them.
const (
	StateRunning   = "running"
	StateComplete  = "complete"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// JobStatus is what Nomad and the job's output directory tell about a
// dockmr job.
type JobStatus struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Output string `json:"output"`
	Image  string `json:"image"`
	// State is running, complete, failed or cancelled.
	State string `json:"state"`
	// Detached is set for a job run by an application master.
	Detached bool          `json:"detached"`
	Phases   []PhaseStatus `json:"phases"`
	// Error is why the job failed, when a phase says so.
	Error string `json:"error,omitempty"`
	// Result is the committed job's result, read from its _SUCCESS file
	// when this machine sees the output directory.
	Result *jobs.Result `json:"result,omitempty"`
	// Counters add up the counters of the tasks that have committed, when
	// this machine sees the job's files.
	Counters *jobs.Counters `json:"counters,omitempty"`
	// Tasks are the map and then the reduce tasks.
	Tasks []TaskStatus `json:"tasks"`
}

// PhaseStatus is one Nomad job of a dockmr job.
type PhaseStatus struct {
	Progress
	NomadJob    string `json:"nomad_job"`
	NomadStatus string `json:"nomad_status"`
	Stopped     bool   `json:"stopped"`
	Error       string `json:"error,omitempty"`
}

// Status returns the status of a dockmr job.
func Status(client *api.Client, id string) (*JobStatus, error) {
	js, err := jobsOf(client, id)
	if err != nil {
		return nil, err
	}
	return status(client, id, js)
}

// List returns the status of every dockmr job Nomad knows, newest first.
func List(client *api.Client) ([]*JobStatus, error) {
	byJob, err := listJobs(client, JobPrefix)
	if err != nil {
		return nil, err
	}
	var all []*JobStatus
	for id, js := range byJob {
		st, err := status(client, id, js)
		if err != nil {
			return nil, err
		}
		all = append(all, st)
	}
	// Job IDs start with their UTC submission time.
	slices.SortFunc(all, func(a, b *JobStatus) int { return strings.Compare(b.ID, a.ID) })
	return all, nil
}

func status(client *api.Client, id string, js []nomadJob) (*JobStatus, error) {
	first := js[0].stub
	st := &JobStatus{ID: id, Name: first.Meta[MetaName], Output: first.Meta[MetaOutput], Image: first.Meta[MetaImage]}
	stopped := true
	for _, j := range js {
		ph, tasks, err := phaseStatus(client, j)
		if err != nil {
			return nil, err
		}
		st.Tasks = append(st.Tasks, tasks...)
		st.Phases = append(st.Phases, ph)
		st.Detached = st.Detached || j.phase == AMPhase
		stopped = stopped && ph.Stopped
		if ph.Error != "" && st.Error == "" {
			st.Error = ph.Error
		}
	}
	st.Result = committedResult(st.Output, id)
	st.State = judgeState(st, stopped, first.Meta[MetaLastPhase])
	addCounters(st, first.Meta[MetaPlan])
	return st, nil
}

// judgeState tells the job's state from its phases: committed output is
// complete whatever Nomad says, a failure fails it, a stop cancels it.
func judgeState(st *JobStatus, stopped bool, lastPhase string) string {
	switch {
	case st.Result != nil:
		return StateComplete
	case st.Error != "":
		return StateFailed
	case stopped:
		return StateCancelled
	}
	for _, ph := range st.Phases {
		if ph.NomadStatus != "dead" {
			return StateRunning
		}
	}
	// Every Nomad job ended and none failed: a committed job whose output
	// this machine does not see, or a foreground job between its phases.
	if st.Detached || len(st.Phases) > 0 && st.Phases[len(st.Phases)-1].Phase == lastPhase {
		return StateComplete
	}
	return StateRunning
}

// phaseStatus returns the status of a phase and of its tasks.
func phaseStatus(client *api.Client, j nomadJob) (PhaseStatus, []TaskStatus, error) {
	ph := PhaseStatus{NomadJob: j.stub.ID, NomadStatus: j.stub.Status, Stopped: j.stub.Stop}
	job, _, err := client.Jobs().Info(j.stub.ID, nil)
	if err != nil {
		return ph, nil, fmt.Errorf("read Nomad job %s: %w", j.stub.ID, err)
	}
	allocs, _, err := client.Jobs().Allocations(j.stub.ID, true, nil)
	if err != nil {
		return ph, nil, fmt.Errorf("read the allocations of Nomad job %s: %w", j.stub.ID, err)
	}
	tasks := 0
	if len(job.TaskGroups) > 0 && job.TaskGroups[0].Count != nil {
		tasks = *job.TaskGroups[0].Count
	}
	maxAttempts := 1
	if len(job.TaskGroups) > 0 && job.TaskGroups[0].ReschedulePolicy != nil && job.TaskGroups[0].ReschedulePolicy.Attempts != nil {
		maxAttempts = *job.TaskGroups[0].ReschedulePolicy.Attempts + 1
	}
	v := phaseState{phase: j.phase, tasks: tasks, maxAttempts: maxAttempts}.judge(allocs)
	ph.Progress = v.progress
	if v.failure != nil {
		ph.Error = v.failure.Error()
	}
	return ph, taskStatuses(j.phase, tasks, attemptsOf(j.phase, job.Meta[MetaImage], allocs)), nil
}

// committedResult reads the result a job committed to its output, nil if
// the output is not there, not this job's, or not visible from here.
func committedResult(output, id string) *jobs.Result {
	if output == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(output, jobs.SuccessFile))
	if err != nil {
		return nil
	}
	var res jobs.Result
	if json.Unmarshal(b, &res) != nil || res.ID != id {
		return nil
	}
	return &res
}

package nomad

import (
	"path/filepath"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/history"
)

// The states of a task, as Status reports them.
const (
	TaskDone    = "done"
	TaskRunning = "running"
	TaskFailed  = "failed"
	TaskPending = "pending"
)

// TaskStatus is one task of a phase: its attempts so far, and its
// counters once it has committed.
type TaskStatus struct {
	Phase string `json:"phase"`
	Index int    `json:"index"`
	Name  string `json:"name"`
	// State is done, running, failed (its latest attempt failed) or
	// pending.
	State          string `json:"state"`
	Attempts       int    `json:"attempts"`
	FailedAttempts int    `json:"failed_attempts"`
	// Node ran the latest attempt.
	Node string `json:"node,omitempty"`
	// Counters are the committed attempt's, when this machine sees the
	// job's files.
	Counters *jobs.Counters `json:"counters,omitempty"`
}

// taskStatuses folds a phase's attempts into one status per task.
func taskStatuses(phase string, tasks int, attempts []Attempt) []TaskStatus {
	kind, err := jobs.ParseTaskKind(phase)
	if err != nil {
		return nil
	}
	out := make([]TaskStatus, tasks)
	for i := range out {
		out[i] = TaskStatus{Phase: phase, Index: i, Name: jobs.TaskName(kind, i), State: TaskPending}
	}
	done := make([]bool, tasks)
	for _, a := range attempts { // in task and attempt order
		if a.Task < 0 || a.Task >= tasks {
			continue
		}
		t := &out[a.Task]
		t.Attempts++
		t.Node = a.NodeName
		switch {
		case a.Failed:
			t.FailedAttempts++
			t.State = TaskFailed
		case a.ClientStatus == "complete" && !a.Stopped:
			done[a.Task] = true
		case a.ClientStatus == "running":
			t.State = TaskRunning
		default:
			t.State = TaskPending
		}
	}
	for i := range out {
		if done[i] {
			out[i].State = TaskDone
		}
	}
	return out
}

// addCounters sets the counters of the job's committed tasks, read from
// its history once it has ended, or else from the manifests of a running
// job's staging directory, and adds them up into the job's. Files this
// machine does not see leave them unset.
func addCounters(st *JobStatus, planFile string) {
	byTask := committedCounters(st, planFile)
	var sum jobs.Counters
	found := false
	for i := range st.Tasks {
		t := &st.Tasks[i]
		if c, ok := byTask[t.Name]; ok {
			t.Counters = &c
			sum.Add(c)
			found = true
		}
	}
	if found {
		st.Counters = &sum
	}
}

func committedCounters(st *JobStatus, planFile string) map[string]jobs.Counters {
	out := map[string]jobs.Counters{}
	if st.Output == "" {
		return out
	}
	if rec, err := history.Read(history.Path(st.Output, st.ID)); err == nil {
		for _, a := range rec.Attempts {
			if a.State == history.AttemptCommitted && a.Counters != nil {
				out[a.TaskName()] = *a.Counters
			}
		}
		return out
	}
	if planFile == "" || filepath.Dir(filepath.Dir(planFile)) != filepath.Join(st.Output, jobs.TemporaryDir) {
		return out
	}
	plan, err := jobs.ReadPlan(planFile)
	if err != nil {
		return out
	}
	for _, t := range st.Tasks {
		kind, err := jobs.ParseTaskKind(t.Phase)
		if err != nil {
			continue
		}
		if m, err := plan.ReadManifest(kind, t.Index); err == nil {
			out[t.Name] = m.Counters
		}
	}
	return out
}

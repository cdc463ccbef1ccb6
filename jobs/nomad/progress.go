package nomad

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// Progress is the state of one phase's tasks.
type Progress struct {
	Phase string `json:"phase"`
	// Tasks is the number of tasks; Done have committed, Running have a
	// running allocation, Pending wait for placement or a retry.
	Tasks   int `json:"tasks"`
	Done    int `json:"done"`
	Running int `json:"running"`
	Pending int `json:"pending"`
	// Attempts counts allocations so far; FailedAttempts those that failed.
	Attempts       int `json:"attempts"`
	FailedAttempts int `json:"failed_attempts"`
}

func (p Progress) String() string {
	return fmt.Sprintf("%s: %d/%d done, %d running, %d pending, %d failed attempts",
		p.Phase, p.Done, p.Tasks, p.Running, p.Pending, p.FailedAttempts)
}

// taskFailure is why a task's attempt failed, in the driver's or the task's
// own words.
type taskFailure struct {
	Index   int
	AllocID string
	Message string
	// Final is set when retrying cannot help: the driver refused the task
	// (bad image, disallowed mount, bad config) or Nomad will not restart it.
	Final bool
}

func (f taskFailure) Error() string {
	return fmt.Sprintf("task %d (allocation %.8s): %s", f.Index, f.AllocID, f.Message)
}

// phaseState folds a phase's allocations into progress and a verdict.
type phaseState struct {
	phase       string
	tasks       int
	maxAttempts int
}

// verdict is what the allocations say about the phase.
type verdict struct {
	progress Progress
	done     bool
	// failure is set when the phase has failed for good.
	failure *taskFailure
	// stopping is set when Nomad told some allocation to stop, as it does
	// when the job is stopped.
	stopping bool
	// unplaced counts the tasks that wait for an allocation: not done,
	// with none running or about to, and attempts left.
	unplaced int
}

var allocIndex = regexp.MustCompile(`\[(\d+)\]$`)

// indexOf reads the task index from an allocation name, "job.group[3]".
func indexOf(name string) (int, bool) {
	m := allocIndex.FindStringSubmatch(name)
	if m == nil {
		return 0, false
	}
	i, err := strconv.Atoi(m[1])
	return i, err == nil
}

func (s phaseState) judge(allocs []*api.AllocationListStub) verdict {
	type task struct {
		done, running bool
		// placed is set when an allocation Nomad wants running has
		// not started yet.
		placed      bool
		failed      int
		lastFailure *taskFailure
	}
	tasks := make([]task, s.tasks)
	v := verdict{progress: Progress{Phase: s.phase, Tasks: s.tasks}}
	for _, a := range allocs {
		i, ok := indexOf(a.Name)
		if !ok || i < 0 || i >= s.tasks {
			continue
		}
		t := &tasks[i]
		if a.DesiredStatus == api.AllocDesiredStatusStop {
			v.stopping = true
		}
		if isAttempt(a) {
			v.progress.Attempts++
		}
		switch a.ClientStatus {
		case api.AllocClientStatusComplete:
			// A stopped batch task also ends "complete"; only one Nomad
			// still wants running finished its work.
			if a.DesiredStatus == api.AllocDesiredStatusRun {
				t.done = true
			}
		case api.AllocClientStatusRunning:
			t.running = true
		case api.AllocClientStatusPending:
			t.placed = t.placed || a.DesiredStatus == api.AllocDesiredStatusRun
		case api.AllocClientStatusFailed, api.AllocClientStatusLost:
			t.failed++
			v.progress.FailedAttempts++
			f := failureOf(i, a)
			t.lastFailure = &f
			if f.Final && v.failure == nil {
				v.failure = &f
			}
		}
	}
	for i := range tasks {
		t := &tasks[i]
		switch {
		case t.done:
			v.progress.Done++
		case t.running:
			v.progress.Running++
		default:
			v.progress.Pending++
			if t.failed >= s.maxAttempts && v.failure == nil {
				f := *t.lastFailure
				f.Message = fmt.Sprintf("failed %d of %d allowed attempts; last: %s", t.failed, s.maxAttempts, f.Message)
				v.failure = &f
			}
			if t.failed < s.maxAttempts && !t.placed {
				v.unplaced++
			}
		}
	}
	v.done = v.progress.Done == s.tasks
	return v
}

// isAttempt tells whether an allocation counts as an attempt of its task:
// one that Nomad has stopped before its task started, as it does with a
// retry placed just before the phase is stopped, was none.
func isAttempt(a *api.AllocationListStub) bool {
	if a.DesiredStatus == api.AllocDesiredStatusRun {
		return true
	}
	switch a.ClientStatus {
	case api.AllocClientStatusFailed, api.AllocClientStatusLost:
		return true
	}
	for _, ts := range a.TaskStates {
		if !ts.StartedAt.IsZero() {
			return true
		}
	}
	return false
}

// failureOf explains a failed allocation from its task events.
func failureOf(index int, a *api.AllocationListStub) taskFailure {
	f := taskFailure{Index: index, AllocID: a.ID, Message: a.ClientDescription}
	if a.ClientStatus == api.AllocClientStatusLost {
		f.Message = "allocation lost (its node went down)"
		return f
	}
	for _, ts := range a.TaskStates {
		for _, ev := range ts.Events {
			switch ev.Type {
			case api.TaskDriverFailure, api.TaskSetupFailure, api.TaskFailedValidation:
				f.Message = firstNonEmpty(ev.DriverError, ev.SetupError, ev.ValidationError, ev.DisplayMessage)
				if ev.Type == api.TaskFailedValidation || finalDriverError(f.Message) {
					f.Final = true
				}
			case api.TaskTerminated:
				f.Message = terminatedMessage(ev)
			case api.TaskNotRestarting:
				if strings.Contains(strings.ToLower(ev.RestartReason+ev.DisplayMessage), "unrecoverable") {
					f.Final = true
				}
			case api.TaskKilled, api.TaskKilling:
				if f.Message == "" {
					f.Message = firstNonEmpty(ev.KillError, ev.DisplayMessage)
				}
			}
		}
	}
	if f.Message == "" {
		f.Message = "allocation failed"
	}
	return f
}

func terminatedMessage(ev *api.TaskEvent) string {
	msg := fmt.Sprintf("exit code %d", ev.ExitCode)
	if ev.Signal != 0 {
		msg += fmt.Sprintf(", signal %d", ev.Signal)
	}
	if ev.Details["oom_killed"] == "true" {
		msg += ", killed for using more memory than allowed"
	}
	return msg
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// finalDriverError reports whether dockmr-driver refused to start a task for
// a reason that no other attempt would escape: a task config it cannot
// parse, a bad image reference, an image the registry does not have, a
// mount outside allowed_mounts. The driver marks these errors
// unrecoverable, but Nomad says so in a task event only when the restart
// policy allows restarts, and a phase allows none (a retry is a new
// allocation, for a new attempt directory), so the message tells.
func finalDriverError(msg string) bool {
	msg = strings.ToLower(msg)
	for _, s := range []string{"failed to parse config", "invalid reference format", "allowed_mounts"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	if !strings.Contains(msg, "pull image") {
		return false
	}
	for _, s := range []string{"manifest unknown", "repository does not exist", "no such image", "not found"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

package nomad

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

func stub(id string, index int, client, desired string, events ...*api.TaskEvent) *api.AllocationListStub {
	return &api.AllocationListStub{
		ID:            id,
		Name:          fmt.Sprintf("dockmr-x-map.map[%d]", index),
		ClientStatus:  client,
		DesiredStatus: desired,
		TaskStates:    map[string]*api.TaskState{"map": {Events: events}},
	}
}

func TestJudge_Progress(t *testing.T) {
	s := phaseState{phase: "map", tasks: 3, maxAttempts: 2}
	v := s.judge([]*api.AllocationListStub{
		stub("a0", 0, "complete", "run"),
		stub("a1", 1, "running", "run"),
		stub("a2", 2, "failed", "run", &api.TaskEvent{Type: api.TaskTerminated, ExitCode: 1}),
		stub("a3", 2, "pending", "run"),
	})
	must.False(t, v.done)
	must.Nil(t, v.failure)
	must.Eq(t, Progress{Phase: "map", Tasks: 3, Done: 1, Running: 1, Pending: 1, Attempts: 4, FailedAttempts: 1}, v.progress)

	v = s.judge([]*api.AllocationListStub{
		stub("a0", 0, "complete", "run"), stub("a1", 1, "complete", "run"), stub("a2", 2, "complete", "run"),
	})
	must.True(t, v.done)
}

func TestJudge_RetriesExhausted(t *testing.T) {
	s := phaseState{phase: "reduce", tasks: 1, maxAttempts: 2}
	term := &api.TaskEvent{Type: api.TaskTerminated, ExitCode: 3}
	v := s.judge([]*api.AllocationListStub{stub("a0", 0, "failed", "run", term), stub("a1", 0, "failed", "run", term)})
	must.NotNil(t, v.failure)
	must.StrContains(t, v.failure.Error(), "failed 2 of 2 allowed attempts; last: exit code 3")
}

func TestJudge_UnrecoverableDriverFailureStopsAtOnce(t *testing.T) {
	s := phaseState{phase: "map", tasks: 2, maxAttempts: 4}
	v := s.judge([]*api.AllocationListStub{
		stub("a0", 0, "failed", "run",
			&api.TaskEvent{Type: api.TaskDriverFailure, DriverError: `pull image "nope:1": not found`},
			&api.TaskEvent{Type: api.TaskNotRestarting, RestartReason: "Error was unrecoverable"}),
		stub("a1", 1, "running", "run"),
	})
	must.NotNil(t, v.failure)
	must.True(t, v.failure.Final)
	must.StrContains(t, v.failure.Error(), `pull image "nope:1": not found`)
}

func TestJudge_StoppedTasksAreNotDone(t *testing.T) {
	s := phaseState{phase: "map", tasks: 1, maxAttempts: 1}
	v := s.judge([]*api.AllocationListStub{stub("a0", 0, "complete", "stop")})
	must.False(t, v.done)
	must.True(t, v.stopping)
}

func TestJudge_OOMMessage(t *testing.T) {
	s := phaseState{phase: "map", tasks: 1, maxAttempts: 1}
	v := s.judge([]*api.AllocationListStub{stub("a0", 0, "failed", "run",
		&api.TaskEvent{Type: api.TaskTerminated, ExitCode: 137, Signal: 9, Details: map[string]string{"oom_killed": "true"}})})
	must.StrContains(t, v.failure.Error(), "exit code 137, signal 9, killed for using more memory than allowed")
}

// With no restarts allowed, Nomad reports "Policy allows no restarts", not
// "Error was unrecoverable": the driver's message decides.
func TestJudge_FinalDriverFailureWithoutRestarts(t *testing.T) {
	s := phaseState{phase: "map", tasks: 2, maxAttempts: 4}
	for msg, final := range map[string]bool{
		`rpc error: code = FailedPrecondition desc = pull image "127.0.0.1:5000/x:1": Error response from daemon: manifest for 127.0.0.1:5000/x:1 not found: manifest unknown`: true,
		`failed to parse config: Incorrect attribute value type`:                                                       true,
		`mounts[0].source: "/etc" is not under any of allowed_mounts ["/srv"]`:                                         true,
		`pull image "x:1": Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: no such host`: false,
		`start container "m": Error response from daemon: driver failed programming external connectivity`:             false,
	} {
		v := s.judge([]*api.AllocationListStub{
			stub("a0", 0, "failed", "run",
				&api.TaskEvent{Type: api.TaskDriverFailure, DriverError: msg},
				&api.TaskEvent{Type: api.TaskNotRestarting, RestartReason: "Policy allows no restarts"}),
			stub("a1", 1, "running", "run"),
		})
		must.Eq(t, final, v.failure != nil, must.Sprint(msg))
		if final {
			must.StrContains(t, v.failure.Error(), msg)
		}
	}
}

func TestJudge_StoppedBeforeRunningIsNoAttempt(t *testing.T) {
	s := phaseState{phase: "map", tasks: 1, maxAttempts: 4}
	started := stub("a3", 0, "complete", "stop")
	started.TaskStates["map"].StartedAt = time.Now()
	v := s.judge([]*api.AllocationListStub{
		stub("a0", 0, "failed", "run", &api.TaskEvent{Type: api.TaskTerminated, ExitCode: 1}),
		stub("a1", 0, "pending", "stop"),
		stub("a2", 0, "complete", "stop"),
		started,
	})
	must.Eq(t, 2, v.progress.Attempts)
	must.Eq(t, 1, v.progress.FailedAttempts)
}

func TestJudge_Unplaced(t *testing.T) {
	s := phaseState{phase: "map", tasks: 4, maxAttempts: 2}
	term := &api.TaskEvent{Type: api.TaskTerminated, ExitCode: 137}
	v := s.judge([]*api.AllocationListStub{
		// Failed once, no new allocation: waits for its retry.
		stub("a0", 0, "failed", "run", term),
		// Failed once, its retry placed but not started.
		stub("a1", 1, "failed", "stop", term), stub("a2", 1, "pending", "run"),
		// Failed once, its retry running.
		stub("a3", 2, "lost", "stop"), stub("a4", 2, "running", "run"),
		// Its only allocation stopped before it started: unplaced too.
		stub("a5", 3, "pending", "stop"),
	})
	must.Nil(t, v.failure)
	must.Eq(t, 2, v.unplaced)

	// A phase Nomad has placed nothing of yet.
	must.Eq(t, 4, s.judge(nil).unplaced)

	// A task out of attempts fails the phase; it awaits nothing.
	s.tasks = 1
	v = s.judge([]*api.AllocationListStub{stub("a0", 0, "failed", "run", term), stub("a1", 0, "failed", "run", term)})
	must.NotNil(t, v.failure)
	must.Zero(t, v.unplaced)
}

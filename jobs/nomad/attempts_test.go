package nomad

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// allocFixture is an allocation as Nomad lists it, with the task events
// a dockmr-driver task goes through.
func allocFixture(id string, index int, create uint64, node, client string, events ...*api.TaskEvent) *api.AllocationListStub {
	a := stub(id, index, client, "run", events...)
	a.CreateIndex = create
	a.CreateTime = at(0).UnixNano()
	a.NodeID = "node-id-" + node
	a.NodeName = node
	ts := a.TaskStates["map"]
	for _, ev := range events {
		switch ev.Type {
		case api.TaskStarted:
			ts.StartedAt = time.Unix(0, ev.Time)
		case api.TaskTerminated:
			ts.FinishedAt = time.Unix(0, ev.Time)
		}
	}
	return a
}

func ev(typ string, s float64) *api.TaskEvent {
	return &api.TaskEvent{Type: typ, Time: at(s).UnixNano()}
}

func TestAttemptsOf_TimesNodesAndNumbers(t *testing.T) {
	term := ev(api.TaskTerminated, 4)
	term.ExitCode = 3
	retryTerm := ev(api.TaskTerminated, 12)
	allocs := []*api.AllocationListStub{
		// Listed out of order, as Nomad may list them.
		allocFixture("a2", 0, 30, "client-2", "complete",
			ev(api.TaskReceived, 9), ev(api.TaskStarted, 10), retryTerm),
		allocFixture("a0", 0, 10, "client-1", "failed",
			ev(api.TaskReceived, 0.5), ev(api.TaskStarted, 1), term, ev(api.TaskNotRestarting, 4)),
		allocFixture("a1", 1, 11, "client-2", "running",
			ev(api.TaskReceived, 0.5), ev(api.TaskStarted, 1.5)),
	}
	got := attemptsOf("map", "dockmr/tera:1", allocs)
	must.Eq(t, []Attempt{
		{Phase: "map", Task: 0, Number: 1, AllocID: "a0", NodeID: "node-id-client-1", NodeName: "client-1",
			Image: "dockmr/tera:1", ClientStatus: "failed",
			Received: at(0.5), Started: at(1), Finished: at(4), ExitCode: 3, Failed: true, Failure: "exit code 3"},
		{Phase: "map", Task: 0, Number: 2, AllocID: "a2", NodeID: "node-id-client-2", NodeName: "client-2",
			Image: "dockmr/tera:1", ClientStatus: "complete",
			Received: at(9), Started: at(10), Finished: at(12)},
		{Phase: "map", Task: 1, Number: 1, AllocID: "a1", NodeID: "node-id-client-2", NodeName: "client-2",
			Image: "dockmr/tera:1", ClientStatus: "running",
			Received: at(0.5), Started: at(1.5)},
	}, normalize(got))
}

// normalize puts every time in UTC, as the fixtures are.
func normalize(as []Attempt) []Attempt {
	for i := range as {
		for _, p := range []*time.Time{&as[i].Received, &as[i].Started, &as[i].Finished} {
			if !p.IsZero() {
				*p = p.UTC()
			}
		}
	}
	return as
}

func TestAttemptsOf_DriverFailureNeverStarted(t *testing.T) {
	fail := ev(api.TaskDriverFailure, 2)
	fail.DriverError = `pull image "nope:1": not found`
	a := allocFixture("a0", 0, 10, "client-1", "failed", ev(api.TaskReceived, 1), fail)
	a.TaskStates["map"].FinishedAt = at(2)
	got := normalize(attemptsOf("map", "nope:1", []*api.AllocationListStub{a}))
	must.SliceLen(t, 1, got)
	must.True(t, got[0].Started.IsZero())
	must.Eq(t, at(2), got[0].Finished)
	must.True(t, got[0].Failed)
	must.Eq(t, `pull image "nope:1": not found`, got[0].Failure)
}

func TestAttemptsOf_LostAndSkipped(t *testing.T) {
	lost := allocFixture("a0", 0, 10, "client-1", "lost", ev(api.TaskReceived, 1), ev(api.TaskStarted, 2))
	lost.ModifyTime = at(30).UnixNano()
	// Stopped before its task started: no attempt.
	never := stub("a1", 0, "complete", "stop")
	// A name without an index is not a task's.
	odd := stub("a2", 0, "complete", "run")
	odd.Name = "dockmr-x-map.map"
	got := normalize(attemptsOf("map", "img", []*api.AllocationListStub{lost, never, odd}))
	must.SliceLen(t, 1, got)
	must.Eq(t, "allocation lost (its node went down)", got[0].Failure)
	must.Eq(t, at(30), got[0].Finished)
	must.Eq(t, at(1), got[0].Received)
}

func TestAttemptsOf_ReceivedFallsBackOnCreateTime(t *testing.T) {
	a := stub("a0", 0, "pending", "run")
	a.CreateTime = at(7).UnixNano()
	got := normalize(attemptsOf("reduce", "img", []*api.AllocationListStub{a}))
	must.SliceLen(t, 1, got)
	must.Eq(t, at(7), got[0].Received)
	must.Eq(t, "reduce", got[0].Phase)
	must.False(t, got[0].Failed)
}

func TestTaskStatuses(t *testing.T) {
	attempts := []Attempt{
		{Phase: "map", Task: 0, Number: 1, NodeName: "n1", ClientStatus: "failed", Failed: true},
		{Phase: "map", Task: 0, Number: 2, NodeName: "n2", ClientStatus: "complete"},
		{Phase: "map", Task: 1, Number: 1, NodeName: "n1", ClientStatus: "running"},
		{Phase: "map", Task: 2, Number: 1, NodeName: "n2", ClientStatus: "failed", Failed: true},
		{Phase: "map", Task: 3, Number: 1, NodeName: "n2", ClientStatus: "complete", Stopped: true},
		{Phase: "map", Task: 9, Number: 1, ClientStatus: "complete"}, // beyond the phase's tasks
	}
	got := taskStatuses("map", 5, attempts)
	must.Eq(t, []TaskStatus{
		{Phase: "map", Index: 0, Name: "m-00000", State: TaskDone, Attempts: 2, FailedAttempts: 1, Node: "n2"},
		{Phase: "map", Index: 1, Name: "m-00001", State: TaskRunning, Attempts: 1, Node: "n1"},
		{Phase: "map", Index: 2, Name: "m-00002", State: TaskFailed, Attempts: 1, FailedAttempts: 1, Node: "n2"},
		{Phase: "map", Index: 3, Name: "m-00003", State: TaskPending, Attempts: 1, Node: "n2"},
		{Phase: "map", Index: 4, Name: "m-00004", State: TaskPending},
	}, got)
	must.Nil(t, taskStatuses("am", 1, nil), must.Sprint("the application master has no tasks"))
}

// testdata/map-allocs.json is what Nomad listed for the map phase of a
// terasort on two clients, one of whose containers was killed with
// `docker kill`: Nomad placed a second attempt of map 1 on the other node.
func TestAttemptsOf_RecordedAllocations(t *testing.T) {
	b, err := os.ReadFile("testdata/map-allocs.json")
	must.NoError(t, err)
	var allocs []*api.AllocationListStub
	must.NoError(t, json.Unmarshal(b, &allocs))

	got := attemptsOf("map", "dockmr/examples:dev", allocs)
	must.SliceLen(t, 5, got)
	var tasks []string
	for _, a := range got {
		tasks = append(tasks, fmt.Sprintf("%d.%d", a.Task, a.Number))
		must.StrHasPrefix(t, "dev-client-", a.NodeName)
		must.UUIDv4(t, a.NodeID)
		must.Eq(t, "dockmr/examples:dev", a.Image)
		must.False(t, a.Received.IsZero() || a.Started.IsZero() || a.Finished.IsZero(), must.Sprint(a))
		must.True(t, !a.Started.Before(a.Received) && !a.Finished.Before(a.Started), must.Sprint(a))
	}
	must.Eq(t, []string{"0.1", "1.1", "1.2", "2.1", "3.1"}, tasks)

	killed, retry := got[1], got[2]
	must.True(t, killed.Failed)
	must.Eq(t, 137, killed.ExitCode)
	must.Eq(t, "exit code 137, signal 9", killed.Failure)
	must.Eq(t, "dev-client-1", killed.NodeName)
	must.False(t, retry.Failed)
	must.Eq(t, "complete", retry.ClientStatus)
	must.Eq(t, "dev-client-2", retry.NodeName)
	must.True(t, retry.Received.After(killed.Finished), must.Sprint("the retry is placed after the first attempt died"))

	// Progress counts the same attempts.
	v := phaseState{phase: "map", tasks: 4, maxAttempts: 4}.judge(allocs)
	must.Eq(t, Progress{Phase: "map", Tasks: 4, Done: 4, Attempts: 5, FailedAttempts: 1}, v.progress)
	must.True(t, v.done)
}

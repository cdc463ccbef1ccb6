package main

import (
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/e2e/nomadtest"
)

func TestStartLatency(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	alloc := &api.Allocation{ID: "a", TaskStates: map[string]*api.TaskState{"main": {Events: []*api.TaskEvent{
		{Type: api.TaskReceived, Time: base},
		{Type: api.TaskSetup, Time: base + int64(10*time.Millisecond)},
		{Type: api.TaskStarted, Time: base + int64(250*time.Millisecond)},
		{Type: api.TaskStarted, Time: base + int64(9*time.Second)}, // a restart: not the first start
	}}}}
	lat, err := startLatency(alloc, "main")
	must.NoError(t, err)
	must.Eq(t, latency{total: 250 * time.Millisecond, toSetup: 10 * time.Millisecond, fromSetup: 240 * time.Millisecond}, lat)

	_, err = startLatency(alloc, "other")
	must.ErrorContains(t, err, "no state for task other")
	alloc.TaskStates["main"].Events = alloc.TaskStates["main"].Events[:2]
	_, err = startLatency(alloc, "main")
	must.ErrorContains(t, err, "lacks a Received, Task Setup or Started event")
}

func TestQuantile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	must.Eq(t, time.Duration(5), quantile(ds, 0.5))
	must.Eq(t, time.Duration(9), quantile(ds, 0.9))
	must.Eq(t, time.Duration(10), quantile(ds, 1))
	must.Eq(t, time.Duration(1), quantile(ds, 0))
	must.Eq(t, time.Duration(0), quantile(nil, 0.5))
}

func TestCensusPerTask(t *testing.T) {
	agent := nomadtest.Process{PID: 1, Exe: "/bin/nomad", Args: []string{"/bin/nomad", "agent"}, RSS: 100}
	plugin := nomadtest.Process{PID: 2, Exe: "/bin/plugins/dockmr-driver", Args: []string{"dockmr-driver"}, RSS: 10}
	keeper := nomadtest.Process{PID: 3, Exe: "/bin/plugins/dockmr-driver (deleted)", RSS: 1,
		Env: []string{"DOCKMR_FIFO_KEEPER_SOCKET=/tmp/k.sock"}}
	logmon := func(pid int) nomadtest.Process {
		return nomadtest.Process{PID: pid, Exe: "/bin/nomad", Args: []string{"/bin/nomad", "logmon"}, RSS: 5}
	}
	logger := func(pid int) nomadtest.Process {
		return nomadtest.Process{PID: pid, Exe: "/bin/nomad", Args: []string{"/bin/nomad", "docker_logger"}, RSS: 7}
	}

	before := takeCensus([]nomadtest.Process{agent, plugin}, nil)
	// The keeper shows up among the cluster's processes and machine-wide: once.
	during := takeCensus([]nomadtest.Process{agent, plugin, keeper, logmon(10), logmon(11), logger(20), logger(21)},
		[]nomadtest.Process{keeper})
	must.Eq(t, 1, during.count[kindKeeper])
	must.Eq(t, uint64(14), during.rss[kindDockerLogger])

	per := perTask(before, during, 2)
	must.Eq(t, map[string]float64{kindLogmon: 1, kindDockerLogger: 1, kindKeeper: 0.5}, per)
	must.Eq(t, 1.5, driverExtra(per))
	must.Eq(t, "logmon 1, docker_logger 1, dockmr-driver FIFO keeper 0.5", describeKinds(per))
	must.Eq(t, "none", describeKinds(nil))
}

package nomad

import (
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
)

func TestPrefetchJob_OneShortTaskPerNode(t *testing.T) {
	job := PrefetchJob("dockmr-prefetch-x", PrefetchOptions{Image: "reg:5000/app:1", Force: true})
	must.Eq(t, api.JobTypeSysbatch, *job.Type)
	must.Eq(t, []string{"*"}, job.Datacenters)
	task := job.TaskGroups[0].Tasks[0]
	must.Eq(t, contract.DriverName, task.Driver)
	must.Eq(t, "reg:5000/app:1", task.Config["image"])
	must.Eq[any](t, []string{contract.RuntimePath}, task.Config["entrypoint"])
	must.Eq[any](t, []string{PrefetchArg}, task.Config["args"])
	must.Eq(t, true, task.Config["force_pull"])
	must.Nil(t, task.Config["load"])
	must.SliceEmpty(t, task.Artifacts)

	url := PrefetchJob("j", PrefetchOptions{Image: "app:1", Load: "https://files.lan/images/app.tar?v=2", Datacenters: []string{"dc2"}})
	task = url.TaskGroups[0].Tasks[0]
	must.Eq(t, "local/app.tar", task.Config["load"])
	must.Eq(t, "https://files.lan/images/app.tar?v=2", *task.Artifacts[0].GetterSource)
	must.Eq(t, "false", task.Artifacts[0].GetterOptions["archive"], must.Sprint("a tarball must not be unpacked"))
	must.Eq(t, []string{"dc2"}, url.Datacenters)

	shared := PrefetchJob("j", PrefetchOptions{Image: "app:1", Load: "/srv/images/app.tar"})
	must.Eq(t, "/srv/images/app.tar", shared.TaskGroups[0].Tasks[0].Config["load"])
	must.SliceEmpty(t, shared.TaskGroups[0].Tasks[0].Artifacts)
}

func TestPrefetchOptions_BadValuesAreNamed(t *testing.T) {
	must.ErrorContains(t, PrefetchOptions{Image: " "}.check(), "prefetch: no image")
	must.ErrorContains(t, PrefetchOptions{Image: "a", Load: "app.tar"}.check(), `--load "app.tar" is neither an http(s) URL nor an absolute path`)
	must.ErrorContains(t, PrefetchOptions{Image: "a", Load: "ftp://x/app.tar"}.check(), `--load "ftp://x/app.tar" is neither`)
	must.NoError(t, PrefetchOptions{Image: "a", Load: "http://x/app.tar"}.check())
}

func event(at time.Time, typ, msg string) *api.TaskEvent {
	e := &api.TaskEvent{Type: typ, Time: at.UnixNano(), DriverMessage: msg}
	if typ != api.TaskDriverMessage {
		e.DisplayMessage = msg
	}
	return e
}

func TestPrefetchResults_ReadEachNodesEvents(t *testing.T) {
	t0 := time.Unix(1000, 0)
	alloc := func(node, status string, failed bool, events ...*api.TaskEvent) *api.Allocation {
		return &api.Allocation{ID: node + "-alloc", NodeID: node, ClientStatus: status,
			TaskStates: map[string]*api.TaskState{prefetchTask: {Failed: failed, Events: events}}}
	}
	nodes := map[string]string{"n1": "client-1", "n2": "client-2", "n3": "client-3", "n4": "client-4", "n5": "client-5"}
	got := prefetchResults(nodes, []*api.Allocation{
		alloc("n1", api.AllocClientStatusComplete, false,
			event(t0, api.TaskReceived, ""), event(t0.Add(time.Second), api.TaskDriverMessage, "Pulled image x in 900ms"),
			event(t0.Add(2*time.Second), api.TaskTerminated, "")),
		alloc("n2", api.AllocClientStatusComplete, false,
			event(t0, api.TaskReceived, ""), event(t0.Add(time.Second), api.TaskDriverMessage, "Loaded image x in 1s")),
		alloc("n3", api.AllocClientStatusComplete, false, event(t0, api.TaskReceived, ""), event(t0.Add(time.Second), api.TaskTerminated, "")),
		alloc("n4", api.AllocClientStatusFailed, true, event(t0, api.TaskReceived, ""),
			event(t0.Add(time.Second), api.TaskDriverFailure, grpcPrefix+`pull image "x": authentication failed`)),
	})
	must.Eq(t, []NodeResult{
		{Node: "client-1", Result: "pulled", Detail: "Pulled image x in 900ms", Duration: 2 * time.Second},
		{Node: "client-2", Result: "loaded", Detail: "Loaded image x in 1s", Duration: time.Second},
		{Node: "client-3", Result: "present", Duration: time.Second},
		{Node: "client-4", Result: "failed", Detail: `pull image "x": authentication failed`, Duration: time.Second},
		{Node: "client-5", Result: "not placed", Detail: "the scheduler placed no prefetch task on this node; see 'nomad job status'"},
	}, got)
	must.True(t, got[0].OK())
	must.False(t, got[3].OK())
	must.False(t, got[4].OK())
}

func TestIsPermissionDenied(t *testing.T) {
	must.False(t, IsPermissionDenied(nil))
	must.False(t, IsPermissionDenied(errors.New("connection refused")))
	must.True(t, IsPermissionDenied(errors.New("submit: Unexpected response code: 403 (Permission denied)")))
	must.StrContains(t, PermissionDenied(errors.New("x")).Error(), "Nomad refused the request: permission denied; set NOMAD_TOKEN")
}

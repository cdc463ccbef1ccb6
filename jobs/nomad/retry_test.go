package nomad

import (
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

func TestRetryWatch(t *testing.T) {
	w := retryWatch{after: 15 * time.Second}
	t0 := time.Unix(1000, 0)
	must.False(t, w.due(0, t0))
	must.False(t, w.due(1, t0), must.Sprint("starts waiting"))
	must.False(t, w.due(2, t0.Add(14*time.Second)))
	must.True(t, w.due(1, t0.Add(15*time.Second)))
	must.False(t, w.due(1, t0.Add(20*time.Second)), must.Sprint("counts again from the nudge"))
	must.True(t, w.due(1, t0.Add(30*time.Second)))
	must.False(t, w.due(0, t0.Add(31*time.Second)), must.Sprint("the retry was placed"))
	must.False(t, w.due(1, t0.Add(32*time.Second)))
	must.False(t, w.due(1, t0.Add(46*time.Second)))
	must.True(t, w.due(1, t0.Add(47*time.Second)))
}

func TestBlockedOnDrivers(t *testing.T) {
	drivers := &api.AllocationMetric{ConstraintFiltered: map[string]int{"missing drivers": 2}}
	room := &api.AllocationMetric{ConstraintFiltered: map[string]int{}, NodesExhausted: 2}
	must.False(t, blockedOnDrivers(nil))
	must.True(t, blockedOnDrivers([]*api.Evaluation{
		{Status: api.EvalStatusComplete},
		{Status: api.EvalStatusBlocked, FailedTGAllocs: map[string]*api.AllocationMetric{"map": drivers}},
	}))
	must.False(t, blockedOnDrivers([]*api.Evaluation{
		{Status: api.EvalStatusBlocked, FailedTGAllocs: map[string]*api.AllocationMetric{"map": room}},
	}), must.Sprint("waiting for room is Nomad's business"))
	must.False(t, blockedOnDrivers([]*api.Evaluation{
		{Status: api.EvalStatusCancelled, FailedTGAllocs: map[string]*api.AllocationMetric{"map": drivers}},
	}), must.Sprint("only a blocked evaluation waits"))
}

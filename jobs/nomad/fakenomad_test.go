package nomad

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

// fakeNomad is a phaseAPI that scripts Nomad's answers over time: each
// scene holds from its time on until the next one. Its clock moves only
// when the follower waits: a blocking query returns at the next change of
// scene or when its wait is over, and sleep moves the clock by what is
// asked. So no test waits in real time, and every time it checks is exact.
type fakeNomad struct {
	t      *testing.T
	start  time.Time
	now    time.Time
	scenes []scene
	// tails are the stderr of allocations, by allocation ID.
	tails map[string]string
	// cancel, when set, is called once the clock reaches cancelAt.
	cancel   context.CancelFunc
	cancelAt time.Duration

	// What the follower did, at which times since the start.
	sleeps       []time.Duration
	evalReads    int
	forced       []time.Duration
	deregistered []time.Duration
}

// scene is what Nomad says from a time on.
type scene struct {
	at     time.Duration
	allocs []*api.AllocationListStub
	evals  []*api.Evaluation
	// down makes every query fail with this error: Nomad does not
	// answer.
	down error
	// stopped is set once the job has been stopped.
	stopped bool
}

// errRefused is what a client gets from a Nomad that is down.
var errRefused = errors.New("dial tcp 127.0.0.1:4646: connect: connection refused")

// scriptLimit is the scripted time after which a follower still running
// fails the test rather than run forever.
const scriptLimit = 24 * time.Hour

func newFakeNomad(t *testing.T, scenes ...scene) *fakeNomad {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &fakeNomad{t: t, start: start, now: start, scenes: scenes, tails: map[string]string{}}
}

// follower returns a follower of the fake's job with the clock and sleep
// of the fake.
func (n *fakeNomad) follower(tasks, maxAttempts int) *phaseFollower {
	r := &Runner{WaitTime: 5 * time.Second, Settings: Settings{OutageWait: 2 * time.Minute}}
	f := r.follower(n, "dockmr-x-map", phaseState{phase: "map", tasks: tasks, maxAttempts: maxAttempts}, nil)
	f.now = func() time.Time { return n.now }
	f.sleep = n.sleep
	return f
}

func (n *fakeNomad) elapsed() time.Duration { return n.now.Sub(n.start) }

// current is the index of the scene in force now.
func (n *fakeNomad) current() int {
	i := 0
	for j, s := range n.scenes {
		if s.at <= n.elapsed() {
			i = j
		}
	}
	return i
}

// advance moves the clock to at most until, stopping at the next change
// of scene.
func (n *fakeNomad) advance(until time.Time) {
	for _, s := range n.scenes {
		if at := n.start.Add(s.at); at.After(n.now) && at.Before(until) {
			until = at
			break
		}
	}
	n.now = until
	if n.elapsed() > scriptLimit {
		n.t.Fatalf("the follower still runs after %s of scripted time", scriptLimit)
	}
	if n.cancel != nil && n.elapsed() >= n.cancelAt {
		n.cancel()
	}
}

func (n *fakeNomad) sleep(ctx context.Context, d time.Duration) error {
	n.sleeps = append(n.sleeps, d)
	n.advance(n.now.Add(d))
	return ctx.Err()
}

func (n *fakeNomad) Register(*api.Job) error { return nil }

// Deregister stops every allocation a second later, and ends the script:
// what it held for later no longer happens.
func (n *fakeNomad) Deregister(string) error {
	n.deregistered = append(n.deregistered, n.elapsed())
	cur := n.scenes[n.current()]
	if cur.down != nil {
		return cur.down
	}
	stopped := scene{at: n.elapsed() + time.Second, evals: cur.evals, stopped: true}
	for _, a := range cur.allocs {
		c := *a
		c.DesiredStatus = api.AllocDesiredStatusStop
		if c.ClientStatus == api.AllocClientStatusRunning || c.ClientStatus == api.AllocClientStatusPending {
			c.ClientStatus = api.AllocClientStatusComplete
		}
		stopped.allocs = append(stopped.allocs, &c)
	}
	n.scenes = append(n.scenes[:n.current()+1], stopped)
	return nil
}

func (n *fakeNomad) Allocations(ctx context.Context, _ string, index uint64, wait time.Duration) ([]*api.AllocationListStub, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if index >= uint64(n.current()+1) {
		n.advance(n.now.Add(wait))
	}
	s := n.scenes[n.current()]
	if s.down != nil {
		return nil, 0, s.down
	}
	return s.allocs, uint64(n.current() + 1), nil
}

func (n *fakeNomad) Evaluations(string) ([]*api.Evaluation, error) {
	n.evalReads++
	s := n.scenes[n.current()]
	return s.evals, s.down
}

func (n *fakeNomad) ForceEvaluate(string) error {
	n.forced = append(n.forced, n.elapsed())
	return n.scenes[n.current()].down
}

func (n *fakeNomad) Stopped(string) (bool, error) {
	s := n.scenes[n.current()]
	return s.stopped, s.down
}

func (n *fakeNomad) StderrTail(allocID, _ string) string { return n.tails[allocID] }

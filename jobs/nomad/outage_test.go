package nomad

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
)

func TestFollow_RidesOutANomadOutage(t *testing.T) {
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(running("a0", 0))},
		scene{at: 10 * time.Second, down: errRefused},
		scene{at: 70 * time.Second, allocs: allocs(complete("a0", 0))},
	)
	must.NoError(t, n.follower(1, 3).run(context.Background()))
	must.SliceEmpty(t, n.deregistered)
	must.Eq(t, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second}, n.sleeps[:5],
		must.Sprint("backs off, doubling up to 5s"))
	for _, d := range n.sleeps[5:] {
		must.Eq(t, 5*time.Second, d)
	}
}

func TestFollow_FailsWhenNomadStaysUnreachable(t *testing.T) {
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(running("a0", 0))},
		scene{at: 10 * time.Second, down: errRefused},
	)
	err := n.follower(1, 3).run(context.Background())

	must.ErrorIs(t, err, ErrUnreachable)
	must.ErrorContains(t, err, "Nomad unreachable since 2026-01-02T03:04:15Z")
	must.ErrorContains(t, err, "connection refused")
	must.ErrorContains(t, err, "nomad server members")
	must.Eq(t, 2*time.Minute, n.elapsed()-10*time.Second, must.Sprint("failed at the outage limit, no sooner, no later"))
	must.Eq(t, 1, len(n.deregistered), must.Sprint("tried to stop the phase"))
}

func TestFollow_EachOutageHasItsOwnLimit(t *testing.T) {
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(running("a0", 0))},
		scene{at: 10 * time.Second, down: errRefused},
		scene{at: 100 * time.Second, allocs: allocs(running("a0", 0))},
		scene{at: 110 * time.Second, down: errRefused},
		scene{at: 200 * time.Second, allocs: allocs(complete("a0", 0))},
	)
	must.NoError(t, n.follower(1, 3).run(context.Background()),
		must.Sprint("two outages of 90s, each under the 2m limit"))
}

func TestFollow_RefusalFailsWithoutWaiting(t *testing.T) {
	denied := responseError(t, http.StatusForbidden)
	n := newFakeNomad(t,
		scene{at: 0, allocs: allocs(running("a0", 0))},
		scene{at: 10 * time.Second, down: denied},
	)
	err := n.follower(1, 3).run(context.Background())

	must.True(t, IsPermissionDenied(err), must.Sprintf("got %v", err))
	must.SliceEmpty(t, n.sleeps, must.Sprint("waiting cannot mend a refusal"))
	must.Eq(t, 10*time.Second, n.elapsed())
}

func TestOutageWatch_LimitAndBackoff(t *testing.T) {
	w := outageWatch{limit: 10 * time.Second}
	t0 := time.Unix(1000, 0)
	must.NoError(t, w.failed(errRefused, t0))
	must.Eq(t, firstOutageBackoff, w.backoff(t0))
	must.NoError(t, w.failed(errRefused, t0.Add(time.Second)))
	must.Eq(t, 2*firstOutageBackoff, w.backoff(t0.Add(time.Second)))
	must.NoError(t, w.failed(errRefused, t0.Add(9*time.Second)))
	must.Eq(t, time.Second, w.backoff(t0.Add(9*time.Second)), must.Sprint("no wait past the limit"))
	must.ErrorIs(t, w.failed(errRefused, t0.Add(10*time.Second)), ErrUnreachable)

	w.answered()
	t1 := t0.Add(30 * time.Second)
	must.NoError(t, w.failed(errRefused, t1), must.Sprint("a new outage counts from its own start"))
	must.Eq(t, firstOutageBackoff, w.backoff(t1))
	for range 10 {
		_ = w.failed(errRefused, t1)
	}
	must.Eq(t, maxOutageBackoff, w.backoff(t1))
}

func TestIsOutage(t *testing.T) {
	must.True(t, isOutage(errRefused), must.Sprint("no answer"))
	must.True(t, isOutage(context.DeadlineExceeded), must.Sprint("no answer in time"))
	must.True(t, isOutage(responseError(t, http.StatusInternalServerError)), must.Sprint("no cluster leader yet"))
	must.True(t, isOutage(responseError(t, http.StatusTooManyRequests)))
	must.False(t, isOutage(responseError(t, http.StatusForbidden)))
	must.False(t, isOutage(responseError(t, http.StatusBadRequest)))
}

// responseError is the error Nomad's API client returns for an answer with
// the given status, from a server on the loopback address.
func responseError(t *testing.T, status int) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, http.StatusText(status), status)
	}))
	defer srv.Close()
	c, err := api.NewClient(&api.Config{Address: srv.URL})
	must.NoError(t, err)
	_, _, err = c.Jobs().Allocations("dockmr-x-map", true, nil)
	must.Error(t, err)
	return err
}

package nomad

import (
	"errors"
	"fmt"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/shoenig/test/must"
)

func TestOutageToleratesAnAbsentServerForAWhile(t *testing.T) {
	refused := &url.Error{Op: "Get", URL: "http://198.18.0.2:4646/v1/job/x/allocations", Err: syscall.ECONNREFUSED}
	o := outage{max: time.Minute}
	t0 := time.Unix(1000, 0)
	must.True(t, o.tolerate(refused, t0))
	must.True(t, o.tolerate(fmt.Errorf("wrapped: %w", refused), t0.Add(59*time.Second)))
	must.False(t, o.tolerate(refused, t0.Add(time.Minute)), must.Sprint("past the bound"))

	o.over()
	must.True(t, o.tolerate(refused, t0.Add(2*time.Minute)), must.Sprint("a new outage starts afresh"))
}

func TestOutageRefusesLastingErrors(t *testing.T) {
	o := outage{max: time.Minute}
	must.False(t, o.tolerate(errors.New("job not found"), time.Now()))
}

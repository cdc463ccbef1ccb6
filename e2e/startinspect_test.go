package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/e2e/nomadtest"
)

// containerPath matches the Docker API paths of one container, with or
// without the API version in front: /v1.41/containers/ID/start.
var containerPath = regexp.MustCompile(`^(/v[0-9.]+)?/containers/[^/]+/(start|json)$`)

// A daemon busy starting hundreds of containers may leave the inspect that
// follows a start unanswered. The container did start: the driver asks
// again rather than throwing it away and failing the task.
func TestStartRetriesAnUnansweredInspect(t *testing.T) {
	t.Parallel()
	proxy, err := nomadtest.StartDockerProxy(t.TempDir())
	must.NoError(t, err)
	t.Cleanup(func() { proxy.Close() })
	c := nomadtest.StartT(t, nomadtest.Options{DriverConfig: fmt.Sprintf("endpoint = %q", proxy.Endpoint())})

	var mu sync.Mutex
	started, dropped := false, 0
	proxy.DropRequests(func(r *http.Request) bool {
		m := containerPath.FindStringSubmatch(r.URL.Path)
		if m == nil {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case m[2] == "start":
			started = true
		case r.Method == http.MethodGet && started && dropped < 2:
			// Two: Go's HTTP client sends a GET again by itself when
			// a reused connection closes without an answer.
			dropped++
			return true
		}
		return false
	})

	alloc, err := c.WaitClientStatus(t.Context(), runScript(t, c, "echo started anyway", nil).ID, api.AllocClientStatusFailed, api.AllocClientStatusComplete)
	must.NoError(t, err)
	must.Eq(t, api.AllocClientStatusComplete, alloc.ClientStatus, must.Sprint(describe(alloc)))
	requireStdout(t, c, alloc.ID, "started anyway\n")
	mu.Lock()
	defer mu.Unlock()
	must.Eq(t, 2, dropped, must.Sprint("the inspect after the start was dropped"))
}

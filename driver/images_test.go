package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"
)

// fakeImages is an image store whose pulls are slow and counted.
type fakeImages struct {
	mu      sync.Mutex
	present map[string]bool
	pulls   atomic.Int32
	loads   int // guarded by mu
	pullErr error
	delay   time.Duration
}

func (f *fakeImages) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.present[ref] {
		return image.InspectResponse{}, fmt.Errorf("no such image: %w", cerrdefs.ErrNotFound)
	}
	return image.InspectResponse{ID: "sha256:" + ref}, nil
}

func (f *fakeImages) ImagePull(ctx context.Context, ref string, _ image.PullOptions) (io.ReadCloser, error) {
	f.pulls.Add(1)
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.pullErr != nil {
		return nil, f.pullErr
	}
	f.mu.Lock()
	f.present[ref] = true
	f.mu.Unlock()
	body := `{"status":"Pulling fs layer","id":"l1"}
{"status":"Downloading","id":"l1","progressDetail":{"current":50,"total":100}}
{"status":"Pull complete","id":"l1"}
`
	return io.NopCloser(strings.NewReader(body)), nil
}

func TestImageCoordinator_OnePullForManyTasks(t *testing.T) {
	api := &fakeImages{present: map[string]bool{}, delay: 200 * time.Millisecond}
	c := newImageCoordinator(api, hclog.NewNullLogger())

	var wg sync.WaitGroup
	var events atomic.Int32
	ids := make([]string, 20)
	errs := make([]error, 20)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = c.ensure(context.Background(), pullRequest{
				ref: "docker.io/library/app:1", timeout: time.Minute,
				progress: func(string) { events.Add(1) },
			})
		}()
	}
	wg.Wait()
	for i := range ids {
		must.NoError(t, errs[i])
		must.Eq(t, "sha256:docker.io/library/app:1", ids[i])
	}
	must.Eq(t, int32(1), api.pulls.Load())
	must.Positive(t, events.Load())

	// Present now: no pull unless forced.
	_, err := c.ensure(context.Background(), pullRequest{ref: "docker.io/library/app:1", timeout: time.Minute})
	must.NoError(t, err)
	must.Eq(t, int32(1), api.pulls.Load())
	_, err = c.ensure(context.Background(), pullRequest{ref: "docker.io/library/app:1", force: true, timeout: time.Minute})
	must.NoError(t, err)
	must.Eq(t, int32(2), api.pulls.Load())
}

func TestImageCoordinator_TimeoutAndErrorsNameTheImage(t *testing.T) {
	api := &fakeImages{present: map[string]bool{}, delay: time.Minute}
	c := newImageCoordinator(api, hclog.NewNullLogger())
	_, err := c.ensure(context.Background(), pullRequest{ref: "docker.io/library/slow:1", timeout: 100 * time.Millisecond})
	must.ErrorContains(t, err, `pull image "docker.io/library/slow:1": timed out after 100ms (image_pull_timeout)`)

	api = &fakeImages{present: map[string]bool{}, pullErr: errors.New("pull access denied for nope, repository does not exist")}
	c = newImageCoordinator(api, hclog.NewNullLogger())
	_, err = c.ensure(context.Background(), pullRequest{ref: "docker.io/library/nope:1", timeout: time.Minute})
	must.ErrorContains(t, err, `pull image "docker.io/library/nope:1": pull access denied`)
	var rec interface{ IsRecoverable() bool }
	must.True(t, errors.As(err, &rec))
	must.False(t, rec.IsRecoverable(), must.Sprint("a missing image is not worth retrying"))
}

func TestPullProgress_Summarises(t *testing.T) {
	p := newPullProgress()
	must.Eq(t, "0.0 MB of 0.0 MB, 0 of 0 layers done", p.String())
}

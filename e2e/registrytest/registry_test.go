package registrytest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/internal/testimage"
)

// The daemon pulls an image served by the registry, layers and all, and
// gets the same image.
func TestDaemonPullsFromRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Docker daemon")
	}
	ctx := context.Background()
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	defer cli.Close()

	// An image whose layer the daemon has nowhere else, so the pull must
	// download it.
	local := fmt.Sprintf("dockmr/registrytest-src:%d-%d", os.Getpid(), time.Now().UnixNano())
	must.NoError(t, testimage.Build(ctx, local, testimage.File{Path: "/unique", Data: []byte(local)}))
	orig, err := cli.ImageInspect(ctx, local)
	must.NoError(t, err)

	s, err := Start()
	must.NoError(t, err)
	defer s.Close()
	ref, err := s.Add(ctx, cli, local, "dockmr/pulled", "v1")
	must.NoError(t, err)
	_, err = cli.ImageRemove(ctx, local, image.RemoveOptions{Force: true, PruneChildren: true})
	must.NoError(t, err)
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
	})

	rc, err := cli.ImagePull(ctx, ref, image.PullOptions{})
	must.NoError(t, err)
	_, err = io.Copy(io.Discard, rc)
	must.NoError(t, err)
	rc.Close()
	must.Eq(t, 1, s.Resolutions("dockmr/pulled", "v1"))

	pulled, err := cli.ImageInspect(ctx, ref)
	must.NoError(t, err)
	must.Eq(t, orig.ID, pulled.ID)
	must.Eq(t, orig.RootFS.Layers, pulled.RootFS.Layers)

	// A second pull resolves the tag again.
	rc, err = cli.ImagePull(ctx, ref, image.PullOptions{})
	must.NoError(t, err)
	_, err = io.Copy(io.Discard, rc)
	must.NoError(t, err)
	rc.Close()
	must.Eq(t, 2, s.Resolutions("dockmr/pulled", "v1"))
}

func TestUnknownAndHanging(t *testing.T) {
	s, err := Start()
	must.NoError(t, err)
	defer s.Close()
	base := "http://" + s.Addr()

	resp, err := http.Get(base + "/v2/")
	must.NoError(t, err)
	resp.Body.Close()
	must.Eq(t, http.StatusOK, resp.StatusCode)

	resp, err = http.Get(base + "/v2/no/such/manifests/v1")
	must.NoError(t, err)
	resp.Body.Close()
	must.Eq(t, http.StatusNotFound, resp.StatusCode)

	s.Hang(true)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v2/no/such/manifests/v1", nil)
	must.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	must.ErrorIs(t, err, context.DeadlineExceeded)

	s.Hang(false)
	resp, err = http.Get(base + "/v2/no/such/manifests/v1")
	must.NoError(t, err)
	resp.Body.Close()
	must.Eq(t, http.StatusNotFound, resp.StatusCode)
}

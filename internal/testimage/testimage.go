// Package testimage builds the small local Docker image that driver and
// end-to-end tests run their containers from. No registry is needed: the image
// is FROM scratch plus the machine's static busybox with all its applets, so
// tasks have sh, sleep, echo, seq, yes, head, tail, cat, readlink and trap.
package testimage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

// Ref is the reference of the shared test image built by Ensure.
const Ref = "dockmr/testimage:dev"

// HashLabel is the image label holding the hash of the build context, so an
// image that is already present with the same content is not built again.
const HashLabel = "com.dockmr.testimage.hash"

var (
	ensureOnce sync.Once
	ensureErr  error
)

// Ensure makes sure Ref exists in the local Docker daemon, building it at most
// once per process, and returns Ref.
func Ensure(ctx context.Context) (string, error) {
	ensureOnce.Do(func() { ensureErr = Build(ctx, Ref) })
	if ensureErr != nil {
		return "", ensureErr
	}
	return Ref, nil
}

// EnsureT is Ensure for tests: it fails the test if the image cannot be
// built. Under -short it skips the test, which needs Docker and a static
// busybox.
func EnsureT(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs Docker and busybox for the test image")
	}
	ref, err := Ensure(context.Background())
	if err != nil {
		t.Fatalf("test image: %v", err)
	}
	return ref
}

// Build builds the busybox image plus the extra files and tags it ref. It does
// nothing when ref already names an image built from the same content.
func Build(ctx context.Context, ref string, extra ...File) error {
	if ref == "" {
		return errors.New("image reference is empty: give a name such as \"dockmr/testimage:dev\"")
	}
	// Bad input is named before what this machine lacks.
	if err := checkFiles(extra); err != nil {
		return fmt.Errorf("image %s: %w", ref, err)
	}
	busybox, applets, err := loadBusybox()
	if err != nil {
		return err
	}
	bc, err := newBuildContext(busybox, applets, extra)
	if err != nil {
		return fmt.Errorf("image %s: %w", ref, err)
	}

	cli, err := NewClient()
	if err != nil {
		return err
	}
	defer cli.Close()

	if current, err := imageHash(ctx, cli, ref); err != nil {
		return err
	} else if current == bc.hash {
		return nil
	}
	return buildImage(ctx, cli, ref, bc)
}

// NewClient returns a Docker client configured from the environment
// (DOCKER_HOST etc.) that negotiates the API version with the daemon.
func NewClient() (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("create docker client: %w", err)
	}
	return cli, nil
}

// imageHash returns the content hash label of ref, or "" if ref does not exist.
func imageHash(ctx context.Context, cli *client.Client, ref string) (string, error) {
	img, err := cli.ImageInspect(ctx, ref)
	if cerrdefs.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("inspect image %s: %w", ref, err)
	}
	if img.Config == nil {
		return "", nil
	}
	return img.Config.Labels[HashLabel], nil
}

func buildImage(ctx context.Context, cli *client.Client, ref string, bc *buildContext) error {
	resp, err := cli.ImageBuild(ctx, bytes.NewReader(bc.tar), build.ImageBuildOptions{
		Tags:        []string{ref},
		Labels:      map[string]string{HashLabel: bc.hash},
		Remove:      true,
		ForceRemove: true,
	})
	if err != nil {
		return fmt.Errorf("build image %s: %w", ref, err)
	}
	defer resp.Body.Close()

	// The daemon reports build failures inside the JSON stream, not as an
	// HTTP error, so the stream must be read to the end and checked.
	var progress bytes.Buffer
	if err := jsonmessage.DisplayJSONMessagesStream(resp.Body, &progress, 0, false, nil); err != nil {
		return fmt.Errorf("build image %s: %w\n%s", ref, err, tail(progress.Bytes(), 2048))
	}
	return nil
}

// tail returns at most the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[len(b)-n:]
}

package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/nomad/structs"
)

// progressInterval is how often a running pull reports progress as a task
// event; often enough to show a slow pull is alive, rarely enough not to
// flood the allocation's event list.
const progressInterval = 10 * time.Second

// parseImageRef normalises a user-written image reference ("busybox" →
// "docker.io/library/busybox:latest") and rejects malformed ones.
func parseImageRef(s string) (string, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return "", fmt.Errorf("image: %q is not a valid image reference (%v); use NAME[:TAG] or NAME@DIGEST, such as \"registry:5000/team/app:1.2\"", s, err)
	}
	return reference.TagNameOnly(named).String(), nil
}

// imageAPI is the part of the Docker client the coordinator needs.
type imageAPI interface {
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImagePull(ctx context.Context, ref string, opts image.PullOptions) (io.ReadCloser, error)
	ImageLoad(ctx context.Context, input io.Reader, opts ...client.ImageLoadOption) (image.LoadResponse, error)
}

// pullRequest is one task's wish for an image.
type pullRequest struct {
	ref      string
	force    bool
	timeout  time.Duration
	progress func(msg string)

	// inactivity aborts a pull that reports no progress for this long;
	// zero means no limit but timeout.
	inactivity time.Duration
	// auth is the registry credentials; nil pulls anonymously.
	auth *registryAuth
	// check vets the image's registry before a pull, and may refuse it.
	check func(ctx context.Context) error
	// load is the host path of a `docker save` tarball to load the
	// image from instead of pulling it.
	load string
}

// key identifies the pulls that may be shared: same image, and same
// credentials, so that a task with wrong ones never rides on a pull made
// with right ones, nor the reverse.
func (r pullRequest) key() string {
	if r.load != "" {
		return "load\x00" + r.ref
	}
	auth, _ := r.auth.encoded()
	return r.ref + "\x00" + auth
}

// imageCoordinator makes sure an image is present, pulling each image at
// most once at a time however many tasks ask for it concurrently: the
// second to hundredth map task of a job wait for the first one's pull.
type imageCoordinator struct {
	api    imageAPI
	logger hclog.Logger

	mu    sync.Mutex
	pulls map[string]*pull
}

// pull is one in-flight pull shared by every task waiting for it.
type pull struct {
	done      chan struct{}
	err       error
	listeners []func(string)
}

func newImageCoordinator(api imageAPI, logger hclog.Logger) *imageCoordinator {
	return &imageCoordinator{api: api, logger: logger.Named("images"), pulls: map[string]*pull{}}
}

// ensure returns the ID of the image, pulling it when it is missing or the
// request forces a pull.
func (c *imageCoordinator) ensure(ctx context.Context, req pullRequest) (string, error) {
	if !req.force {
		if id, err := c.inspect(ctx, req.ref); err == nil {
			return id, nil
		} else if !cerrdefs.IsNotFound(err) {
			return "", fmt.Errorf("inspect image %q: %w", req.ref, err)
		}
	}
	if err := c.pull(ctx, req); err != nil {
		return "", err
	}
	id, err := c.inspect(ctx, req.ref)
	if err != nil {
		return "", fmt.Errorf("inspect image %q after pull: %w", req.ref, err)
	}
	return id, nil
}

func (c *imageCoordinator) inspect(ctx context.Context, ref string) (string, error) {
	resp, err := c.api.ImageInspect(ctx, ref)
	if err != nil {
		return "", err
	}
	return resp.ID, nil
}

// pull joins the in-flight pull of ref or starts one.
func (c *imageCoordinator) pull(ctx context.Context, req pullRequest) error {
	c.mu.Lock()
	p, running := c.pulls[req.key()]
	if !running {
		p = &pull{done: make(chan struct{})}
		c.pulls[req.key()] = p
	}
	if req.progress != nil {
		p.listeners = append(p.listeners, req.progress)
	}
	c.mu.Unlock()

	if !running {
		go c.run(req, p)
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return fmt.Errorf("waiting for image %q: %w", req.ref, ctx.Err())
	}
}

// run performs the pull on its own context so that one waiting task giving
// up does not abort the pull the others are waiting for.
func (c *imageCoordinator) run(req pullRequest, p *pull) {
	ctx, cancel := context.WithTimeout(context.Background(), req.timeout)
	defer cancel()

	var err error
	start := time.Now()
	if req.load != "" {
		err = c.runLoad(ctx, req, p)
	} else {
		err = c.runPull(ctx, req, p)
	}
	recordPull(time.Since(start), err)

	c.mu.Lock()
	p.err = err
	delete(c.pulls, req.key())
	c.mu.Unlock()
	close(p.done)
}

// runPull pulls the image, turning the daemon's failures into errors
// that say what to do and whether a retry may help.
func (c *imageCoordinator) runPull(ctx context.Context, req pullRequest, p *pull) error {
	if req.check != nil {
		if err := req.check(ctx); err != nil {
			return structs.NewRecoverableError(err, false)
		}
	}
	start := time.Now()
	c.notify(p, fmt.Sprintf("Pulling image %s", req.ref))
	err := c.doPull(ctx, req, func(msg string) { c.notify(p, msg) })
	if err == nil {
		c.logger.Info("pulled image", "image", req.ref, "duration", time.Since(start))
		c.notify(p, fmt.Sprintf("Pulled image %s in %s", req.ref, time.Since(start).Round(time.Millisecond)))
		return nil
	}
	switch {
	case errors.Is(err, errPullStalled):
		err = fmt.Errorf("pull image %q: no progress for %s (image_pull_inactivity_timeout): %w", req.ref, req.inactivity, err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		err = fmt.Errorf("pull image %q: timed out after %s (image_pull_timeout): %w", req.ref, req.timeout, err)
	case isAuthFailure(err):
		// Wrong credentials stay wrong: fail the task at once rather
		// than have Nomad retry it against the registry.
		err = structs.NewRecoverableError(authFailure(req.ref, req.auth, err), false)
		c.logger.Warn("image pull refused", "image", req.ref, "error", err)
		return err
	case isHTTPSMismatch(err):
		err = fmt.Errorf("pull image %q: registry %s speaks plain HTTP but the Docker daemon reaches it over HTTPS; add it to the daemon's insecure-registries (daemon.json): %w", req.ref, registryHost(req.ref), err)
	default:
		err = fmt.Errorf("pull image %q: %w", req.ref, err)
	}
	// A missing image will not appear by retrying; anything else
	// (registry down, timeout) may.
	err = structs.NewRecoverableError(err, !cerrdefs.IsNotFound(err) && !isNotFoundMessage(err))
	c.logger.Warn("image pull failed", "image", req.ref, "error", err)
	return err
}

func (c *imageCoordinator) notify(p *pull, msg string) {
	c.mu.Lock()
	listeners := append([]func(string){}, p.listeners...)
	c.mu.Unlock()
	for _, l := range listeners {
		l(msg)
	}
}

// doPull streams the daemon's pull progress, reporting the bytes fetched
// so far every progressInterval, and gives up when the stream stays silent
// for req.inactivity.
func (c *imageCoordinator) doPull(ctx context.Context, req pullRequest, report func(string)) error {
	ref := req.ref
	auth, err := req.auth.encoded()
	if err != nil {
		return fmt.Errorf("encode registry credentials: %w", err)
	}
	ctx, watchdog := newStallWatchdog(ctx, req.inactivity)
	defer watchdog.stop()
	body, err := c.api.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: auth})
	if err != nil {
		return watchdog.explain(err)
	}
	defer body.Close()

	dec := json.NewDecoder(body)
	progress := newPullProgress()
	last := time.Now()
	for {
		var msg jsonmessage.JSONMessage
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if ctx.Err() != nil {
				return watchdog.explain(ctx.Err())
			}
			return fmt.Errorf("read pull progress: %w", err)
		}
		if msg.Error != nil {
			return errors.New(msg.Error.Message)
		}
		watchdog.alive()
		progress.update(msg)
		if time.Since(last) >= progressInterval {
			last = time.Now()
			report(fmt.Sprintf("Pulling image %s: %s", ref, progress))
		}
	}
}

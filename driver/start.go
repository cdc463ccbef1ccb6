package driver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
	"go.opentelemetry.io/otel/attribute"

	"github.com/dockmr/dockmr/internal/telemetry"
)

// apiTimeout bounds short Docker calls (create, start, inspect, kill), so a
// wedged daemon fails the task instead of hanging the agent.
const apiTimeout = 2 * time.Minute

// StartTask pulls the image if needed, creates and starts the container,
// and starts following its exit and logs.
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, *drivers.DriverNetwork, error) {
	if _, ok := d.tasks.Get(cfg.ID); ok {
		return nil, nil, fmt.Errorf("task %q already started", cfg.ID)
	}
	d.learnNodeID(cfg.NodeID)
	pc, docker, images := d.current()
	if docker == nil {
		return nil, nil, errors.New("driver is not configured yet")
	}

	var tc TaskConfig
	if err := cfg.DecodeDriverConfig(&tc); err != nil {
		return nil, nil, fmt.Errorf("task config: %w", err)
	}
	if err := tc.validate(pc); err != nil {
		return nil, nil, fmt.Errorf("task config: %w", err)
	}
	sec, err := applyPolicy(pc, cfg, &tc)
	if err != nil {
		return nil, nil, fmt.Errorf("task config: %w", err)
	}

	began := time.Now()
	ctx, cancel := context.WithCancel(attemptContext(d.ctx, cfg))
	defer cancel()
	if err := pingDocker(ctx, docker); err != nil {
		d.recheckHealth()
		return nil, nil, structs.NewRecoverableError(err, true)
	}

	req, err := imageRequest(cfg, &tc, pc, docker)
	if err != nil {
		return nil, nil, err
	}
	req.progress = func(msg string) { d.emit(cfg, msg, nil) }
	pullCtx, span := startSpan(ctx, "image pull", telemetry.ImageName.String(req.ref))
	imageID, err := images.ensure(pullCtx, req)
	endSpan(span, err)
	if err != nil {
		return nil, nil, err
	}
	ref := req.ref

	spec := buildCreateSpec(cfg, &tc, pc.TaskRuntime)
	spec.secure(sec, pc.AllowRoot)
	spec.Config.Image = ref
	spec.Config.Env = containerEnv(cfg, spec.Config.Env)
	c, err := d.createAndStart(ctx, docker, spec)
	if err != nil {
		return nil, nil, err
	}

	h := newTaskHandle(d, docker, cfg, TaskState{
		TaskConfig:    cfg,
		ContainerID:   c.ID,
		ContainerName: spec.Name,
		Image:         imageID,
		PID:           c.State.Pid,
		StartedAt:     time.Now(),
	}, logCursor{})

	handle := drivers.NewTaskHandle(taskHandleVersion)
	handle.Config = cfg
	if err := handle.SetDriverState(h.state()); err != nil {
		d.removeContainer(docker, c.ID)
		return nil, nil, fmt.Errorf("save driver state: %w", err)
	}

	d.tasks.Set(cfg.ID, h)
	h.start()
	recordStart(began)
	annotations := map[string]string{
		"container_id":   c.ID,
		"container_name": spec.Name,
		"image":          tc.Image,
	}
	// A container that already exited by the time it was inspected has
	// no PID left to report.
	if c.State.Pid > 0 {
		annotations["pid"] = strconv.Itoa(c.State.Pid)
	}
	d.emit(cfg, fmt.Sprintf("Started container %.12s", c.ID), annotations)
	d.logger.Info("started container", "task", cfg.Name, "alloc_id", cfg.AllocID, "container_id", c.ID, "pid", c.State.Pid)
	return handle, nil, nil
}

// createAndStart creates and starts the container and returns its
// inspected state (which carries the PID). A stale container of the same
// name, left by an earlier attempt of this very task that died before Nomad
// recorded it, is removed and creation retried once.
func (d *Driver) createAndStart(ctx context.Context, docker *client.Client, spec createSpec) (container.InspectResponse, error) {
	id, err := d.create(ctx, docker, spec)
	if cerrdefs.IsConflict(err) {
		d.logger.Warn("removing stale container with the task's name", "name", spec.Name)
		d.removeContainer(docker, spec.Name)
		id, err = d.create(ctx, docker, spec)
	}
	if err != nil {
		return container.InspectResponse{}, structs.NewRecoverableError(fmt.Errorf("create container %q: %w", spec.Name, err), true)
	}

	startCtx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	if spec.beforeStart != nil {
		if err := spec.beforeStart(startCtx, docker, id); err != nil {
			d.removeContainer(docker, id)
			return container.InspectResponse{}, err
		}
	}
	startCtx, span := startSpan(startCtx, "container start", telemetry.ContainerID.String(id))
	err = docker.ContainerStart(startCtx, id, container.StartOptions{})
	endSpan(span, err)
	if err != nil {
		d.removeContainer(docker, id)
		return container.InspectResponse{}, structs.NewRecoverableError(fmt.Errorf("start container %q: %w", spec.Name, err), true)
	}
	c, err := d.inspectStarted(ctx, docker, id)
	if err != nil {
		d.removeContainer(docker, id)
		return container.InspectResponse{}, structs.NewRecoverableError(fmt.Errorf("inspect started container %q: %w", spec.Name, err), true)
	}
	return c, nil
}

// startedInspectAttempts is how many times a container that started is
// inspected before its start counts as failed. A daemon starting hundreds
// of containers at once can take most of apiTimeout over the start alone;
// the container, started at that cost, is worth a few more tries.
const startedInspectAttempts = 3

// inspectStarted reads the state of a container just started, each
// attempt with an apiTimeout of its own rather than what the start left.
func (d *Driver) inspectStarted(ctx context.Context, docker *client.Client, id string) (container.InspectResponse, error) {
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		inspectCtx, cancel := context.WithTimeout(ctx, apiTimeout)
		c, err := docker.ContainerInspect(inspectCtx, id)
		cancel()
		if err == nil || cerrdefs.IsNotFound(err) || ctx.Err() != nil || attempt == startedInspectAttempts {
			return c, err
		}
		d.logger.Warn("inspecting a started container failed; retrying", "container_id", id, "attempt", attempt, "error", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return c, err
		}
		backoff *= 2
	}
}

func (d *Driver) create(ctx context.Context, docker *client.Client, spec createSpec) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	ctx, span := startSpan(ctx, "container create", attribute.String("container.name", spec.Name))
	resp, err := docker.ContainerCreate(ctx, spec.Config, spec.Host, nil, nil, spec.Name)
	endSpan(span, err)
	if err != nil {
		return "", err
	}
	return resp.ID, nil
}

// removeContainer force-removes a container, logging rather than
// returning failures: callers are already on an error or cleanup path.
func (d *Driver) removeContainer(docker *client.Client, id string) {
	if err := tryRemoveContainer(docker, id); err != nil {
		d.logger.Warn("failed to remove container", "container", id, "error", err)
	}
}

// tryRemoveContainer force-removes a container; one that is gone already
// is no error.
func tryRemoveContainer(docker *client.Client, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	err := docker.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return err
	}
	return nil
}

// emit sends a driver event for the task; Nomad shows it among the
// allocation's task events with the annotations as details.
func (d *Driver) emit(cfg *drivers.TaskConfig, msg string, annotations map[string]string) {
	err := d.eventer.EmitEvent(&drivers.TaskEvent{
		TaskID:      cfg.ID,
		AllocID:     cfg.AllocID,
		TaskName:    cfg.Name,
		Timestamp:   time.Now(),
		Message:     msg,
		Annotations: annotations,
	})
	if err != nil {
		d.logger.Debug("failed to emit task event", "error", err)
	}
}

// pingDocker tells a daemon that does not answer apart from every later
// failure, so the task event says what is really wrong.
func pingDocker(ctx context.Context, docker *client.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := docker.Ping(ctx); err != nil {
		return fmt.Errorf("docker daemon at %s does not answer: %w", docker.DaemonHost(), err)
	}
	return nil
}

package driver

import (
	"context"
	"fmt"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// logDrainTimeout bounds how long a finished task waits for the last of its
// logs to reach Nomad before its exit is reported.
const logDrainTimeout = 30 * time.Second

// taskHandle is one running (or finished) task: its container, the
// goroutine waiting for its exit, and the one copying its logs.
type taskHandle struct {
	docker *client.Client
	logger hclog.Logger
	cfg    *drivers.TaskConfig

	containerID   string
	containerName string
	image         string
	pid           int
	startedAt     time.Time

	logs  *logStreamer
	stats *statsCollector

	// ctx ends the handle's goroutines when the task is destroyed.
	ctx    context.Context
	cancel context.CancelFunc

	mu          sync.Mutex
	exit        *drivers.ExitResult
	completedAt time.Time
	done        chan struct{}
}

func newTaskHandle(d *Driver, docker *client.Client, cfg *drivers.TaskConfig, st TaskState, cursor logCursor) *taskHandle {
	ctx, cancel := context.WithCancel(context.Background())
	logger := d.logger.With("alloc_id", cfg.AllocID, "task", cfg.Name, "container_id", st.ContainerID)
	h := &taskHandle{
		docker:        docker,
		logger:        logger,
		cfg:           cfg,
		containerID:   st.ContainerID,
		containerName: st.ContainerName,
		image:         st.Image,
		pid:           st.PID,
		startedAt:     st.StartedAt,
		ctx:           ctx,
		cancel:        cancel,
		done:          make(chan struct{}),
	}
	h.logs = newLogStreamer(docker, logger, d.keeper, st.ContainerID, cfg, cursor)
	h.stats = newStatsCollector(docker, logger, st.ContainerID, st.PID, d.nodeCompute())
	return h
}

func (h *taskHandle) state() *TaskState {
	return &TaskState{
		TaskConfig:    h.cfg,
		ContainerID:   h.containerID,
		ContainerName: h.containerName,
		Image:         h.image,
		PID:           h.pid,
		StartedAt:     h.startedAt,
	}
}

// start launches the log copier and the exit waiter.
func (h *taskHandle) start() {
	go h.logs.run(h.ctx)
	go h.run()
}

// run waits for the container to exit, lets the log copier deliver the
// last lines, then publishes the exit result.
func (h *taskHandle) run() {
	res := h.waitExit()
	h.recordWait(res)
	select {
	case <-h.logs.done:
	case <-time.After(logDrainTimeout):
		h.logger.Warn("logs not fully delivered before exit was reported")
	case <-h.ctx.Done():
	}
	h.mu.Lock()
	h.exit = res
	h.completedAt = time.Now()
	h.mu.Unlock()
	close(h.done)
}

// waitExit blocks until the container is no longer running. A failed wait
// (the daemon restarting, say) is retried with backoff: the container
// outlives the daemon connection, so the task must too.
func (h *taskHandle) waitExit() *drivers.ExitResult {
	backoff := time.Second
	for {
		waitCh, errCh := h.docker.ContainerWait(h.ctx, h.containerID, container.WaitConditionNotRunning)
		select {
		case <-waitCh:
			return h.inspectExit()
		case err := <-errCh:
			if h.ctx.Err() != nil {
				return &drivers.ExitResult{Err: fmt.Errorf("task destroyed while running")}
			}
			if cerrdefs.IsNotFound(err) {
				return &drivers.ExitResult{ExitCode: -1, Err: fmt.Errorf("container %.12s no longer exists", h.containerID)}
			}
			h.logger.Warn("waiting for container failed; retrying", "error", err, "backoff", backoff)
		}
		select {
		case <-time.After(backoff):
		case <-h.ctx.Done():
			return &drivers.ExitResult{Err: fmt.Errorf("task destroyed while running")}
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// inspectExit reads the exit code and OOM flag from the container's state:
// Docker reports 137 both for an OOM kill and for `kill -9`, only the
// state's OOMKilled tells them apart.
func (h *taskHandle) inspectExit() *drivers.ExitResult {
	backoff := time.Second
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(h.ctx, apiTimeout)
		c, err := h.docker.ContainerInspect(ctx, h.containerID)
		cancel()
		if err == nil {
			return exitResultFromState(c.State)
		}
		if cerrdefs.IsNotFound(err) || attempt == 5 || h.ctx.Err() != nil {
			return &drivers.ExitResult{ExitCode: -1, Err: fmt.Errorf("inspect exited container %.12s: %w", h.containerID, err)}
		}
		time.Sleep(backoff)
		backoff *= 2
	}
}

// exitResultFromState maps Docker's container state to Nomad's exit
// result. Docker records a signal death as 128+signal (the shell
// convention); the signal is reported as such.
func exitResultFromState(s *container.State) *drivers.ExitResult {
	if s == nil {
		return &drivers.ExitResult{ExitCode: -1, Err: fmt.Errorf("container has no state")}
	}
	res := &drivers.ExitResult{ExitCode: s.ExitCode, OOMKilled: s.OOMKilled}
	if s.ExitCode > 128 && s.ExitCode < 128+65 {
		res.Signal = s.ExitCode - 128
	}
	if s.Error != "" {
		res.Err = fmt.Errorf("container error: %s", s.Error)
	}
	return res
}

func (h *taskHandle) exitResult() (*drivers.ExitResult, time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.exit == nil {
		return nil, time.Time{}, false
	}
	return h.exit.Copy(), h.completedAt, true
}

func (h *taskHandle) running() bool {
	_, _, exited := h.exitResult()
	return !exited
}

func (h *taskHandle) status() *drivers.TaskStatus {
	st := &drivers.TaskStatus{
		ID:        h.cfg.ID,
		Name:      h.cfg.Name,
		State:     drivers.TaskStateRunning,
		StartedAt: h.startedAt,
		DriverAttributes: map[string]string{
			"container_id": h.containerID,
			"pid":          fmt.Sprint(h.pid),
		},
	}
	if res, at, ok := h.exitResult(); ok {
		st.State = drivers.TaskStateExited
		st.ExitResult = res
		st.CompletedAt = at
	}
	return st
}

// detach stops following the task without ending it, as when the plugin
// shuts down: a later plugin recovers the task and resumes its logs.
func (h *taskHandle) detach() {
	h.logs.abandoned.Store(true)
	h.cancel()
}

// kill sends sig to the container's init process.
func (h *taskHandle) kill(sig string) error {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	err := h.docker.ContainerKill(ctx, h.containerID, sig)
	if err != nil && (cerrdefs.IsNotFound(err) || cerrdefs.IsConflict(err) || isNotRunning(err)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("send %s to container %.12s: %w", sig, h.containerID, err)
	}
	return nil
}

// stop sends sig, then SIGKILL if the container is still running after
// timeout (the task's kill_timeout).
func (h *taskHandle) stop(sig string, timeout time.Duration) error {
	if sig == "" {
		sig = "SIGTERM"
	}
	if err := h.kill(sig); err != nil {
		return err
	}
	select {
	case <-h.done:
		return nil
	case <-time.After(timeout):
	}
	h.logger.Info("container outlived its kill timeout; killing", "timeout", timeout)
	return h.kill("SIGKILL")
}

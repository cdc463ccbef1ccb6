package driver

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
)

func (d *Driver) handle(taskID string) (*taskHandle, error) {
	h, ok := d.tasks.Get(taskID)
	if !ok {
		return nil, drivers.ErrTaskNotFound
	}
	return h, nil
}

// WaitTask returns a channel that yields the task's exit result.
func (d *Driver) WaitTask(ctx context.Context, taskID string) (<-chan *drivers.ExitResult, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	ch := make(chan *drivers.ExitResult, 1)
	go func() {
		defer close(ch)
		select {
		case <-h.done:
			res, _, _ := h.exitResult()
			ch <- res
		case <-ctx.Done():
		case <-d.ctx.Done():
		}
	}()
	return ch, nil
}

// StopTask sends the signal (SIGTERM by default), then SIGKILL after the
// timeout.
func (d *Driver) StopTask(taskID string, timeout time.Duration, signal string) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	return h.stop(signal, timeout)
}

// DestroyTask removes the task's container. A running task is refused
// unless force is set, in which case it is killed first.
func (d *Driver) DestroyTask(taskID string, force bool) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	if h.running() {
		if !force {
			return fmt.Errorf("task %q is still running; stop it first or destroy with force", taskID)
		}
		if err := h.kill("SIGKILL"); err != nil {
			return err
		}
		select {
		case <-h.done:
		case <-time.After(apiTimeout):
			h.logger.Warn("container did not report its exit after SIGKILL")
		}
	}
	h.cancel()
	pc, _, _ := d.current()
	if pc.GC.Container {
		d.removeContainerEventually(h.docker, h.containerID)
	}
	d.tasks.Delete(taskID)
	return nil
}

// InspectTask reports the task's state, exit and container.
func (d *Driver) InspectTask(taskID string) (*drivers.TaskStatus, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	return h.status(), nil
}

// TaskStats streams resource usage at the requested interval.
func (d *Driver) TaskStats(ctx context.Context, taskID string, interval time.Duration) (<-chan *drivers.TaskResourceUsage, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	return h.stats.stream(ctx, interval, h.done), nil
}

// SignalTask sends a signal to the container's init process.
func (d *Driver) SignalTask(taskID string, signal string) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	if signal == "" {
		return fmt.Errorf("signal: empty; give a signal name such as SIGHUP")
	}
	return h.kill(signal)
}

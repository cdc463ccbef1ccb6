package driver

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/nomad/plugins/drivers"
)

// RecoverTask reattaches to a task's container after the plugin or the
// agent restarted: waiting, stats, logs (from where they stopped) and stop
// work again, and a container that exited meanwhile reports its real exit.
func (d *Driver) RecoverTask(handle *drivers.TaskHandle) error {
	if handle == nil || handle.Config == nil {
		return errors.New("recover task: no task handle")
	}
	if _, ok := d.tasks.Get(handle.Config.ID); ok {
		return nil
	}
	var st TaskState
	if err := handle.GetDriverState(&st); err != nil {
		return fmt.Errorf("recover task %q: decode driver state: %w", handle.Config.ID, err)
	}
	d.learnNodeID(handle.Config.NodeID)
	_, docker, _ := d.current()
	if docker == nil {
		return errors.New("recover task: driver is not configured yet")
	}

	ctx, cancel := context.WithTimeout(d.ctx, apiTimeout)
	defer cancel()
	c, err := docker.ContainerInspect(ctx, st.ContainerID)
	if err != nil {
		return fmt.Errorf("recover task %q: inspect container %.12s: %w", handle.Config.ID, st.ContainerID, err)
	}
	if c.State != nil && c.State.Running && c.State.Pid != 0 {
		st.PID = c.State.Pid // changes if the daemon restarted the container
	}

	h := newTaskHandle(d, docker, handle.Config, st, loadLogCursor(handle.Config))
	d.tasks.Set(handle.Config.ID, h)
	h.start()
	d.logger.Info("recovered task", "task", handle.Config.Name, "alloc_id", handle.Config.AllocID, "container_id", st.ContainerID, "running", c.State != nil && c.State.Running)
	return nil
}

package driver

import (
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
)

// TaskState is the driver state Nomad saves with the task handle, enough
// to find the container again after the plugin or the agent restarts.
type TaskState struct {
	TaskConfig    *drivers.TaskConfig
	ContainerID   string
	ContainerName string
	Image         string
	// PID is the container's init process on the host, as Docker reported
	// it at start.
	PID       int
	StartedAt time.Time
}

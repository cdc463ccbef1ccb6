package driver

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/nomad/plugins/drivers"
)

// Labels put on every container the driver creates. They let the
// reconciler tell this node's containers from another node's sharing the
// same daemon, and let operators find a task's container with
// `docker ps --filter label=...`.
const (
	labelPrefix    = "com.dockmr."
	labelAllocID   = labelPrefix + "alloc_id"
	labelJob       = labelPrefix + "job"
	labelTaskGroup = labelPrefix + "task_group"
	labelTask      = labelPrefix + "task"
	labelNodeID    = labelPrefix + "node_id"
	labelNamespace = labelPrefix + "namespace"
)

// containerLabels returns the task's own labels plus the driver's.
func containerLabels(cfg *drivers.TaskConfig, user map[string]string) map[string]string {
	labels := make(map[string]string, len(user)+6)
	for k, v := range user {
		labels[k] = v
	}
	labels[labelAllocID] = cfg.AllocID
	labels[labelJob] = cfg.JobName
	labels[labelTaskGroup] = cfg.TaskGroupName
	labels[labelTask] = cfg.Name
	labels[labelNodeID] = cfg.NodeID
	labels[labelNamespace] = cfg.Namespace
	return labels
}

// invalidNameChars are characters Docker refuses in container names.
var invalidNameChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]`)

// containerName is unique per task and allocation, and readable in
// `docker ps`: "<task>.<alloc id>". The dot matters: Nomad's own docker
// driver reaps, as dangling, unlabelled running containers whose name has
// a dash right before a UUID, which "<task>-<alloc id>" would be.
func containerName(cfg *drivers.TaskConfig) string {
	return fmt.Sprintf("%s.%s", invalidNameChars.ReplaceAllString(cfg.Name, "_"), cfg.AllocID)
}

// Package contract is what dockmr's job runner and dockmr-driver agree on
// without either importing the other: the driver's name, where the task
// runtime appears inside every container, and a task's default resources.
// It has no dependencies, so the driver, the runners, the dev cluster and
// the telemetry set-up can all import it.
package contract

// DriverName is the task driver's name in job files (`driver = ...`), in
// the agent's `plugin "..."` block, the plugin binary's file name in
// plugin_dir, and the service name of its telemetry.
const DriverName = "dockmr-driver"

// RuntimePath is where dockmr-driver mounts the node's dockmr-task
// runtime (its task_runtime setting), read-only, in every container; the
// job runner starts every task with it.
const RuntimePath = "/.dockmr/bin/dockmr-task"

// DefaultCPU is a task's CPU in MHz when the job does not say.
const DefaultCPU = 500

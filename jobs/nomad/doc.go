// Package nomad runs dockmr jobs on a Nomad cluster: each phase of a job is
// one Nomad batch job whose task group has a task per map or reduce task,
// run by dockmr-driver as a host-networked container of the job's image.
// NOMAD_ALLOC_INDEX tells each allocation which task it is, and each
// allocation's ID names its attempt, so a rescheduled allocation writes a
// fresh attempt directory and Hadoop's commit protocol keeps the output
// exact. The runner follows the allocations to the end of the phase and
// stops the phase early when a failure cannot get better by retrying.
//
// A detached job has an application master, as in Hadoop: a Nomad job of
// its own (dockmr-<job id>-am) whose one task runs `dockmr-task am` in the
// job's image and runs the job with the same Runner from inside the
// cluster. Every Nomad job of a dockmr job carries the dockmr job's ID in
// its Meta, which is all that List, Status, Logs and Cancel need.
package nomad

// Package cgstats reads the resource usage of a Docker container from its
// cgroup (v1 or v2) and /proc and converts it to Nomad's
// drivers.TaskResourceUsage, without a Docker stats stream per container.
//
// A Sampler is made once per stats stream from the container's init pid:
// Locate joins /proc/<pid>/cgroup with the cgroup mounts of
// /proc/self/mountinfo, so the systemd and cgroupfs layouts of both versions
// are found without guessing paths. Each Sample then reads a few interface
// files and /proc/<pid>/stat of every process listed in cgroup.procs, all
// kept open between samples; Close the Sampler when the stream ends. A
// sample costs tens of microseconds (BenchmarkSample_RealContainer), against
// up to a second of waiting for the daemon's one-shot stats call
// (BenchmarkDockerStatsOneShot, run it with -benchtime=10x).
//
// The parsing and the arithmetic are pure functions over file contents:
// FromV1, FromV2, ParseProcStat, Rates and FromDockerStats, the last one for
// hosts where only the Docker API is reachable.
//
// Units follow Nomad: Percent, UserMode and SystemMode are percentages of one
// core; TotalTicks is MHz of the node's compute; ThrottledTime is in
// nanoseconds and ThrottledPeriods counts the periods in which the cgroup was
// throttled; memory is in bytes. Measured lists the fields that were read,
// with two exceptions Nomad's own drivers share: TotalTicks is set with
// Percent but never listed, because `nomad alloc status -stats` prints a
// column per listed field and has none for it, and MappedFile has no field
// name at all (nor does it cross the plugin protocol).
package cgstats

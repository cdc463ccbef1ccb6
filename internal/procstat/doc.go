// Package procstat samples what a long-running Go process costs: memory
// (RSS and PSS from /proc/<pid>/smaps_rollup), CPU time (utime + stime
// from /proc/<pid>/stat), threads, open file descriptors and, through its
// net/http/pprof listener, goroutines. The scale tests and bench/scale.sh
// use it on dockmr-driver to show what a running task costs the plugin and
// that nothing is left behind once the tasks are gone.
//
// The parsers are pure functions over the files' contents, so that they are
// tested on fixtures; Read and Goroutines do the I/O.
package procstat

package history

import (
	"fmt"
	"time"

	"github.com/dockmr/dockmr/jobs"
)

var base = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func sec(s float64) time.Time { return base.Add(time.Duration(s * float64(time.Second))) }

// sampleRecord is a terasort over two nodes with one failed map attempt.
func sampleRecord() *Record {
	rec := &Record{
		Version: Version, ID: "job_20260304100000_0123abcd", Name: "terasort", Kind: "terasort+identity",
		Image: "dockmr/tera:dev", Runner: "nomad", Output: "/data/sorted",
		Submitted: sec(0), Finished: sec(14), State: StateComplete,
	}
	nodes := []string{"client-1", "client-2"}
	for i := range 4 {
		c := jobs.Counters{RecordsIn: 1000, RecordsOut: 1000, BytesIn: 100000, BytesOut: 100000, Spills: uint64(i % 2)}
		start := 1 + float64(i)*0.3
		if i == 1 {
			rec.Attempts = append(rec.Attempts, Attempt{Phase: jobs.MapTask, Task: i, Number: 1, ID: "alloc-fail",
				Node: nodes[0], State: AttemptFailed, ExitCode: 1, Failure: "exit code 1",
				Queued: sec(start - 0.4), Started: sec(start), Finished: sec(start + 1.5)})
			start += 7
		}
		rec.Attempts = append(rec.Attempts, Attempt{Phase: jobs.MapTask, Task: i, Number: map[bool]int{true: 2, false: 1}[i == 1],
			ID: fmt.Sprintf("alloc-m%d", i), Node: nodes[i%2], Image: "dockmr/tera:dev", State: AttemptCommitted,
			Queued: sec(start - 0.5), Started: sec(start), Finished: sec(start + 3), Counters: &c})
	}
	for i := range 2 {
		c := jobs.Counters{RecordsIn: 2000, RecordsOut: 2000, BytesIn: 200000, BytesOut: 200000, ShuffleBytes: 200000}
		rec.Attempts = append(rec.Attempts, Attempt{Phase: jobs.ReduceTask, Task: i, Number: 1, ID: fmt.Sprintf("alloc-r%d", i),
			Node: nodes[i], State: AttemptCommitted, Queued: sec(11.2), Started: sec(11.5), Finished: sec(13.8), Counters: &c})
	}
	rec.Phases = []Phase{
		{Kind: jobs.MapTask, Tasks: 4, Started: sec(0.2), Finished: sec(11), Committed: 4, Attempts: 5, FailedAttempts: 1},
		{Kind: jobs.ReduceTask, Tasks: 2, Started: sec(11), Finished: sec(13.9), Committed: 2, Attempts: 2},
	}
	for _, a := range rec.Attempts {
		if a.Counters != nil {
			if a.Phase == jobs.MapTask {
				rec.Phases[0].Counters.Add(*a.Counters)
			} else {
				rec.Phases[1].Counters.Add(*a.Counters)
			}
			rec.Counters.Add(*a.Counters)
		}
	}
	sum := rec.Phases[1].Counters.Checksum
	rec.Checksum = &sum
	return rec
}

package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/dockmr/dockmr/jobs"
)

// phaseSummary is one phase of a job's summary.
type phaseSummary struct {
	Phase    string        `json:"phase"`
	Tasks    int           `json:"tasks"`
	Attempts int           `json:"attempts"`
	Failed   int           `json:"failed_attempts"`
	Counters jobs.Counters `json:"counters"`
	Wall     time.Duration `json:"wall_ns"`
}

// jobSummary is what `--json` prints for a job that ran.
type jobSummary struct {
	*jobs.Result
	Phases []phaseSummary `json:"phases"`
}

// result adds the follower's phases to a job's result.
func (f *follower) result(res *jobs.Result) jobSummary {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := jobSummary{Result: res}
	for _, ph := range f.phases {
		c := res.Map
		if ph.kind == jobs.ReduceTask {
			c = res.Reduce
		}
		attempts := ph.progress.Attempts
		if attempts == 0 {
			attempts = ph.tasks // runners that do not report attempts
		}
		s.Phases = append(s.Phases, phaseSummary{
			Phase: string(ph.kind), Tasks: ph.tasks, Attempts: attempts,
			Failed: ph.progress.FailedAttempts, Counters: c, Wall: ph.wall,
		})
	}
	return s
}

// summary prints a table of the job's phases, its checksum and time.
func (f *follower) summary(w io.Writer, res *jobs.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\ttasks\tattempts\tfailed\trecords in\trecords out\tbytes in\tbytes out\twall\t")
	for _, ph := range f.result(res).Phases {
		c := ph.Counters
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2fs\t\n", ph.Phase, ph.Tasks, ph.Attempts, ph.Failed,
			c.RecordsIn, c.RecordsOut, c.BytesIn, c.BytesOut, ph.Wall.Seconds())
	}
	tw.Flush()
	fmt.Fprintf(w, "job %s: checksum %s, %.2fs in all\n", res.ID, res.Checksum, res.Elapsed.Seconds())
}

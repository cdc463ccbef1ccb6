package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/history"
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

// summarize draws a job's summary from its result and its history record:
// tasks, attempts, failed attempts and wall time per phase are the
// record's, so that the summary and `dockmr history` agree whatever the
// runner; the counters are the result's.
func summarize(res *jobs.Result, rec *history.Record) jobSummary {
	s := jobSummary{Result: res}
	if rec == nil {
		return s
	}
	for _, ph := range rec.Phases {
		c := res.Map
		if ph.Kind == jobs.ReduceTask {
			c = res.Reduce
		}
		var wall time.Duration
		if ph.Finished.After(ph.Started) {
			wall = ph.Finished.Sub(ph.Started)
		}
		s.Phases = append(s.Phases, phaseSummary{
			Phase: string(ph.Kind), Tasks: ph.Tasks, Attempts: ph.Attempts,
			Failed: ph.FailedAttempts, Counters: c, Wall: wall,
		})
	}
	return s
}

// printSummary prints a table of the job's phases, its checksum and time.
func printSummary(w io.Writer, s jobSummary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\ttasks\tattempts\tfailed\trecords in\trecords out\tbytes in\tbytes out\twall\t")
	for _, ph := range s.Phases {
		c := ph.Counters
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2fs\t\n", ph.Phase, ph.Tasks, ph.Attempts, ph.Failed,
			c.RecordsIn, c.RecordsOut, c.BytesIn, c.BytesOut, ph.Wall.Seconds())
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "job %s: checksum %s, %.2fs in all\n", s.ID, s.Checksum, s.Elapsed.Seconds())
}

// Package history keeps what a dockmr job did, task attempt by task
// attempt: when and where each attempt ran, how it ended and what it
// counted. A job's record is written beside its output when the job ends,
// committed or not, and read back by `dockmr history`, which prints it as a
// table or draws it as a timeline page.
package history

import (
	"time"

	"github.com/dockmr/dockmr/jobs"
)

// Version is the version of the record format this package writes.
const Version = 1

// The states of an ended job.
const (
	StateComplete  = "complete"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// Record is the history of one job.
type Record struct {
	Version int    `json:"version"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	// Kind is what the job runs: its map function, and its reduce
	// function after a '+' (teragen, identity+identity, stream+stream).
	Kind   string `json:"kind"`
	Image  string `json:"image,omitempty"`
	Runner string `json:"runner"`
	Output string `json:"output"`
	// Submitted is when the job was planned, Finished when it ended.
	Submitted time.Time `json:"submitted"`
	Finished  time.Time `json:"finished"`
	// State is complete, failed or cancelled.
	State  string  `json:"state"`
	Error  string  `json:"error,omitempty"`
	Phases []Phase `json:"phases"`
	// Attempts are every phase's task attempts, in phase, task and
	// attempt order.
	Attempts []Attempt `json:"attempts"`
	// Counters add up the counters of every committed task.
	Counters jobs.Counters `json:"counters"`
	// Checksum is the committed output's checksum.
	Checksum *jobs.Checksum `json:"checksum,omitempty"`
}

// Phase is one phase of a job.
type Phase struct {
	Kind     jobs.TaskKind `json:"kind"`
	Tasks    int           `json:"tasks"`
	Started  time.Time     `json:"started"`
	Finished time.Time     `json:"finished"`
	// Committed counts the tasks that committed.
	Committed      int `json:"committed"`
	Attempts       int `json:"attempts"`
	FailedAttempts int `json:"failed_attempts"`
	// Counters add up the phase's committed tasks' counters.
	Counters jobs.Counters `json:"counters"`
	// Reason, for a phase that re-runs tasks, says why: "rerun: output
	// lost: ..." for maps whose output a reduce could not fetch.
	Reason string `json:"reason,omitempty"`
}

// Count sets the phase's attempt figures and counters from its attempts:
// every attempt counts, failed ones count as failed too, and committed ones
// add their counters. The job's summary and its history both show these.
func (p *Phase) Count(attempts []Attempt) {
	p.Attempts, p.FailedAttempts, p.Committed = 0, 0, 0
	p.Counters = jobs.Counters{}
	for _, a := range attempts {
		p.Attempts++
		if a.Failed() {
			p.FailedAttempts++
		}
		if a.State == AttemptCommitted {
			p.Committed++
			if a.Counters != nil {
				p.Counters.Add(*a.Counters)
			}
		}
	}
}

// The states of an attempt.
const (
	// AttemptCommitted is the attempt whose output is the task's.
	AttemptCommitted = "committed"
	// AttemptSucceeded ended well but another attempt committed first.
	AttemptSucceeded = "succeeded"
	AttemptFailed    = "failed"
	// AttemptKilled was stopped: its job failed or was cancelled.
	AttemptKilled = "killed"
	// AttemptRunning had not ended when the history was written.
	AttemptRunning = "running"
)

// Attempt is one attempt of a task.
type Attempt struct {
	Phase jobs.TaskKind `json:"phase"`
	Task  int           `json:"task"`
	// Number counts the task's attempts from 1.
	Number int `json:"attempt"`
	// ID is the attempt ID the task ran with: the Nomad allocation ID, or
	// the local runner's.
	ID       string `json:"id"`
	Node     string `json:"node"`
	NodeID   string `json:"node_id,omitempty"`
	Image    string `json:"image,omitempty"`
	State    string `json:"state"`
	ExitCode int    `json:"exit_code"`
	Failure  string `json:"failure,omitempty"`
	// StderrTail is the end of a failed attempt's stderr: its last lines,
	// a few KiB at most (see internal/tail).
	StderrTail string `json:"stderr_tail,omitempty"`
	// Queued is when the attempt was placed on its node (Nomad's
	// Received), Started when its process or container started, Finished
	// when it ended. A time not reached is zero.
	Queued   time.Time `json:"queued"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Counters are the committed attempt's; other attempts have none.
	Counters *jobs.Counters `json:"counters,omitempty"`
	// Reason says why the attempt ran again, for re-runs.
	Reason string `json:"reason,omitempty"`
}

// TaskName is the attempt's task's name, like m-00003.
func (a Attempt) TaskName() string { return jobs.TaskName(a.Phase, a.Task) }

// Failed reports whether the attempt failed. An attempt the scheduler
// gave up on (lost with its node) whose task still ran to its end and won
// the commit failed too: its output is the task's, but the job had to run
// another attempt, and the summary counts it as Nomad did.
func (a Attempt) Failed() bool {
	return a.State == AttemptFailed || (a.State == AttemptCommitted && a.Failure != "")
}

// Duration is how long the attempt ran, from start (or placement, for one
// that never started) to its end; zero if it has not ended.
func (a Attempt) Duration() time.Duration {
	start := a.Begin()
	if start.IsZero() || a.Finished.IsZero() || a.Finished.Before(start) {
		return 0
	}
	return a.Finished.Sub(start)
}

// Begin is when the attempt started, or was placed if it never started.
func (a Attempt) Begin() time.Time {
	if !a.Started.IsZero() {
		return a.Started
	}
	return a.Queued
}

// Duration is how long the job ran.
func (r *Record) Duration() time.Duration {
	if r.Submitted.IsZero() || r.Finished.Before(r.Submitted) {
		return 0
	}
	return r.Finished.Sub(r.Submitted)
}

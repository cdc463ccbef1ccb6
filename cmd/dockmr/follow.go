package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/nomad"
)

// follower runs the phases of a job with a runner, showing each phase's
// progress as the runner reports it.
type follower struct {
	runner jobs.Runner
	w      io.Writer
	tty    bool

	mu    sync.Mutex
	drawn bool   // a progress bar is on the terminal's last line
	last  string // the last progress line shown
}

func newFollower(r jobs.Runner, w io.Writer) *follower {
	f := &follower{runner: r, w: w, tty: isTerminal(w)}
	if nr, ok := r.(*nomad.Runner); ok {
		nr.Progress = f.update
	}
	return f
}

// RunTasks runs one phase, ending its progress bar's line.
func (f *follower) RunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	err := f.runner.RunTasks(ctx, plan, kind)
	f.end()
	return err
}

// RunTasksNotify runs one phase through the runner's RunTasksNotify; a
// runner without it runs the phase whole before ready is called.
func (f *follower) RunTasksNotify(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, frac float64, ready func()) error {
	ss, ok := f.runner.(jobs.SlowStarter)
	if !ok {
		err := f.RunTasks(ctx, plan, kind)
		if err == nil {
			ready()
		}
		return err
	}
	err := ss.RunTasksNotify(ctx, plan, kind, frac, ready)
	f.end()
	return err
}

// RerunTasks re-runs tasks whose output was lost, through the runner.
func (f *follower) RerunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, indices []int, round int, reason string) error {
	rr, ok := f.runner.(jobs.Rerunner)
	if !ok {
		return jobs.ErrNoRerun
	}
	fmt.Fprintf(f.w, "%s: re-run %d of tasks %v: %s\n", kind, round, indices, reason)
	err := rr.RerunTasks(ctx, plan, kind, indices, round, reason)
	f.end()
	return err
}

// RemoveShuffle removes the job's map output from the nodes through the
// runner.
func (f *follower) RemoveShuffle(plan *jobs.Plan, secret string) error {
	if c, ok := f.runner.(jobs.ShuffleCleaner); ok {
		return c.RemoveShuffle(plan, secret)
	}
	return nil
}

// update shows a phase's progress: a bar redrawn in place on a terminal,
// else a line for each change.
func (f *follower) update(p nomad.Progress) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.tty {
		// Attempts that are not shown change too.
		if line := p.String(); line != f.last {
			fmt.Fprintln(f.w, line)
			f.last = line
		}
		return
	}
	fmt.Fprintf(f.w, "\r%s\033[K", bar(p, 30))
	f.drawn = true
}

// end finishes the progress bar's line.
func (f *follower) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.drawn {
		fmt.Fprintln(f.w)
		f.drawn = false
	}
}

// bar draws a phase's progress: '=' for done tasks, '>' for running ones.
func bar(p nomad.Progress, width int) string {
	done, running := 0, 0
	if p.Tasks > 0 {
		done = p.Done * width / p.Tasks
		running = min((p.Done+p.Running)*width/p.Tasks, width) - done
	}
	return fmt.Sprintf("%-6s [%s%s%s] %d/%d done, %d running, %d failed attempts",
		p.Phase, strings.Repeat("=", done), strings.Repeat(">", running),
		strings.Repeat(" ", width-done-running), p.Done, p.Tasks, p.Running, p.FailedAttempts)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

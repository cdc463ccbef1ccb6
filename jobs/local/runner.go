// Package local runs dockmr jobs on this machine, Hadoop's LocalJobRunner:
// every task attempt is a child process of the task runtime, the very
// program that runs in a task's container on Nomad, reading the same plan
// file from the same staging directory.
package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/dockmr/dockmr/internal/tail"
	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs"
)

// Runner runs the tasks of a job as local processes, up to Parallel at a
// time. It implements jobs.Runner.
type Runner struct {
	// Command is the argv prefix that runs the task runtime, such as
	// {"/usr/local/bin/dockmr-task"} or {"/usr/local/bin/dockmr", "task"};
	// the runner appends the task's arguments.
	Command []string
	// Parallel is how many tasks run at once; 0 means one per CPU.
	Parallel int
	// Log receives the tasks' standard error, each line prefixed with the
	// task's name; nil discards it.
	Log io.Writer

	logMu sync.Mutex
	// attempts are the attempts made so far, for the job's history.
	attempts attemptLog
}

var _ jobs.Runner = (*Runner)(nil)

// RunTasks runs every task of one kind, retrying failed attempts up to the
// job's MaxAttempts. The first task to fail for good stops the others,
// killing their processes, and its error is returned.
func (r *Runner) RunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	if len(r.Command) == 0 {
		return errors.New("local runner: no task runtime command")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	parallel := r.Parallel
	if parallel <= 0 {
		parallel = runtime.NumCPU()
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(parallel, plan.Tasks(kind)) {
		wg.Go(func() {
			for i := range next {
				if err := r.runTask(ctx, plan, kind, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range plan.Tasks(kind) {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// runTask runs attempts of a task until one commits or MaxAttempts fail.
func (r *Runner) runTask(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, index int) error {
	tries := plan.Job.Settings.MaxAttempts
	var err error
	for try := 1; try <= tries; try++ {
		if err = r.runAttempt(ctx, plan, kind, index, try); err == nil || ctx.Err() != nil {
			return err
		}
	}
	if tries > 1 {
		var te *tail.Error
		if errors.As(err, &te) {
			return tail.NewError(fmt.Errorf("%w (failed %d attempts)", te.Err, tries), te.Stderr)
		}
		return fmt.Errorf("%w (failed %d attempts)", err, tries)
	}
	return err
}

// runAttempt runs one attempt of a task as a child process in its own
// process group, so that cancelling kills the streaming commands it runs
// as well.
func (r *Runner) runAttempt(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, index, number int) (err error) {
	name := jobs.TaskName(kind, index)
	id, err := newAttemptID()
	if err != nil {
		return err
	}
	rec := r.attempts.start(plan.ID, kind, index, number, id)
	defer func() { r.attempts.end(rec, err, ctx.Err() != nil) }()
	args := append(slices.Clone(r.Command),
		"--plan", plan.PlanFile(), string(kind), "--index", strconv.Itoa(index), "--attempt", id)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if env := telemetry.EnvList(ctx); len(env) > 0 {
		// The phase's span is the parent of the task's.
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	stderr, end := &lastLine{}, tail.NewWriter(tail.DefaultLimit)
	cmd.Stderr = io.MultiWriter(stderr, end, r.logWriter(name))
	err = cmd.Run()
	r.attempts.exited(rec, cmd.ProcessState)
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	if err != nil {
		// The runtime's report, its last line, is the error itself.
		return tail.NewError(attemptError(name, id, err, stderr.line()), tail.WithoutLastLine(end.String(), reportPrefix))
	}
	if _, err := plan.ReadManifest(kind, index); err != nil {
		return fmt.Errorf("%s attempt %s exited without committing: %w", name, id, err)
	}
	return nil
}

// attemptError explains a failed attempt by the error line it printed, or
// else by how its process ended.
func attemptError(name, id string, err error, line string) error {
	if msg, ok := strings.CutPrefix(line, reportPrefix); ok {
		return errors.New(msg)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Errorf("%s attempt %s was killed by signal %s", name, id, ws.Signal())
		}
	}
	if line != "" {
		return fmt.Errorf("%s attempt %s failed: %v: %s", name, id, err, line)
	}
	return fmt.Errorf("%s attempt %s failed: %w", name, id, err)
}

func newAttemptID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("attempt id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

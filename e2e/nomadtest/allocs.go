package nomadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/hashicorp/nomad/api"
)

// Logs returns the whole of a task's stdout or stderr (logType) as kept by
// the agent, read through the /v1/client/fs/logs API.
func (c *Cluster) Logs(allocID, task, logType string) ([]byte, error) {
	body, err := c.API.Raw().Response("/v1/client/fs/logs/"+allocID, &api.QueryOptions{Params: map[string]string{
		"task":   task,
		"type":   logType,
		"plain":  "true",
		"origin": "start",
		"offset": "0",
		"follow": "false",
	}})
	if err != nil {
		return nil, fmt.Errorf("read %s of task %s in allocation %s: %w", logType, task, allocID, err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, fmt.Errorf("read %s of task %s in allocation %s: %w", logType, task, allocID, err)
	}
	return b, nil
}

// WaitLogs waits until a task's log of logType satisfies cond and returns it.
func (c *Cluster) WaitLogs(ctx context.Context, allocID, task, logType string, cond func([]byte) bool) ([]byte, error) {
	var logs []byte
	err := waitFor(ctx, logType+" of task "+task, func() (bool, string, error) {
		var err error
		if logs, err = c.Logs(allocID, task, logType); err != nil {
			return false, err.Error(), nil
		}
		return cond(logs), fmt.Sprintf("%d bytes: %q", len(logs), tailBytes(logs, 200)), nil
	})
	return logs, err
}

// AllocDir is the host directory of an allocation: its alloc/ subdirectory
// is what tasks see as /alloc.
func (c *Cluster) AllocDir(allocID string) string {
	return filepath.Join(c.client.DataDir(), "alloc", allocID)
}

// Stats returns the allocation's resource usage from the client's stats API.
func (c *Cluster) Stats(allocID string) (*api.AllocResourceUsage, error) {
	stats, err := c.API.Allocations().Stats(&api.Allocation{ID: allocID}, nil)
	if err != nil {
		return nil, fmt.Errorf("read stats of allocation %s: %w", allocID, err)
	}
	return stats, nil
}

// WaitStats waits until the stats of task satisfy cond and returns them.
func (c *Cluster) WaitStats(ctx context.Context, allocID, task string, cond func(*api.TaskResourceUsage) bool) (*api.TaskResourceUsage, error) {
	var usage *api.TaskResourceUsage
	err := waitFor(ctx, "stats of task "+task, func() (bool, string, error) {
		stats, err := c.Stats(allocID)
		if err != nil {
			return false, err.Error(), nil
		}
		usage = stats.Tasks[task]
		if usage == nil {
			return false, "no stats for the task", nil
		}
		return cond(usage), describeUsage(usage), nil
	})
	return usage, err
}

func describeUsage(u *api.TaskResourceUsage) string {
	s := fmt.Sprintf("%d pids", len(u.Pids))
	if r := u.ResourceUsage; r != nil {
		if c := r.CpuStats; c != nil {
			s += fmt.Sprintf(", cpu %.2f%% ticks %.0f user %.2f system %.2f", c.Percent, c.TotalTicks, c.UserMode, c.SystemMode)
		}
		if m := r.MemoryStats; m != nil {
			s += fmt.Sprintf(", memory rss %d usage %d", m.RSS, m.Usage)
		}
	}
	return s
}

// ExecResult is the outcome of a command run in a task with Exec.
type ExecResult struct {
	ExitCode int
	Stdout   string
	Stderr   string
}

// Exec runs command inside a running task, as `nomad alloc exec` does,
// feeding it stdin (which may be nil) and returning its exit code and output.
func (c *Cluster) Exec(ctx context.Context, allocID, task string, stdin io.Reader, command ...string) (ExecResult, error) {
	return c.exec(ctx, allocID, task, false, stdin, command)
}

// ExecTTY runs command interactively, on a terminal, as `nomad alloc exec -t`
// does: the terminal echoes stdin and merges stderr into Stdout.
func (c *Cluster) ExecTTY(ctx context.Context, allocID, task string, stdin io.Reader, command ...string) (ExecResult, error) {
	// Closing a terminal's input hangs it up, and Nomad then drops output
	// not yet sent; a user at a terminal keeps it open until the command
	// ends, and so does this.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if stdin == nil {
		stdin = bytes.NewReader(nil)
	}
	return c.exec(ctx, allocID, task, true, &openUntilDone{r: stdin, done: ctx.Done()}, command)
}

// openUntilDone reads r, then blocks instead of returning io.EOF until done
// is closed.
type openUntilDone struct {
	r    io.Reader
	done <-chan struct{}
}

func (o *openUntilDone) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if err == io.EOF && n == 0 {
		<-o.done
	}
	return n, err
}

func (c *Cluster) exec(ctx context.Context, allocID, task string, tty bool, stdin io.Reader, command []string) (ExecResult, error) {
	if stdin == nil {
		stdin = bytes.NewReader(nil)
	}
	var stdout, stderr bytes.Buffer
	code, err := c.API.Allocations().Exec(ctx, &api.Allocation{ID: allocID}, task, tty, command,
		stdin, &stdout, &stderr, nil, nil)
	res := ExecResult{ExitCode: code, Stdout: stdout.String(), Stderr: stderr.String()}
	if err != nil {
		return res, fmt.Errorf("exec %q in task %s of allocation %s: %w", command, task, allocID, err)
	}
	return res, nil
}

// Signal sends a signal such as "SIGUSR1" to a task.
func (c *Cluster) Signal(allocID, task, signal string) error {
	if err := c.API.Allocations().Signal(&api.Allocation{ID: allocID}, nil, task, signal); err != nil {
		return fmt.Errorf("signal %s to task %s of allocation %s: %w", signal, task, allocID, err)
	}
	return nil
}

// StopAlloc asks Nomad to stop an allocation.
func (c *Cluster) StopAlloc(allocID string) error {
	if _, err := c.API.Allocations().Stop(&api.Allocation{ID: allocID}, nil); err != nil {
		return fmt.Errorf("stop allocation %s: %w", allocID, err)
	}
	return nil
}

// StopJob deregisters a job (purging it) so its tasks are stopped.
func (c *Cluster) StopJob(jobID string) error {
	if _, _, err := c.API.Jobs().Deregister(jobID, true, nil); err != nil {
		return fmt.Errorf("stop job %s: %w", jobID, err)
	}
	return nil
}

func tailBytes(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[len(b)-n:]
}

package task

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/dockmr/dockmr/internal/tail"
	"github.com/dockmr/dockmr/jobs"
)

// streamMap runs the map phase's command over a split: the split's bytes
// are its stdin and the lines of its stdout are the map output.
func (a *attempt) streamMap(ctx context.Context, in io.Reader, split jobs.Split, e emitter) error {
	env := []string{
		"DOCKMR_INPUT_FILE=" + split.Path,
		"DOCKMR_INPUT_OFFSET=" + strconv.FormatInt(split.Offset, 10),
		"DOCKMR_INPUT_LENGTH=" + strconv.FormatInt(split.Length, 10),
		"mapreduce_map_input_file=" + split.Path,
	}
	feed := func(w io.Writer) error {
		buf := make([]byte, ioBufSize)
		for {
			n, err := in.Read(buf)
			a.manifest.Counters.RecordsIn += uint64(bytes.Count(buf[:n], []byte{'\n'}))
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read input: %w", err)
			}
		}
	}
	return a.runStream(ctx, "mapper", &a.plan.Job.Map, env, feed, e)
}

// runStream runs a streaming command: feed writes its stdin, and each line
// of its stdout goes to e, with a newline added to an unterminated last
// line. Its stderr goes to the task's stderr; the end of it explains a
// failure.
func (a *attempt) runStream(ctx context.Context, role string, ph *jobs.Phase, env []string, feed func(io.Writer) error, e emitter) error {
	name := fmt.Sprintf("%s %q", role, strings.Join(ph.Command, " "))
	cmd := exec.CommandContext(ctx, ph.Command[0], ph.Command[1:]...)
	cmd.Env = append(append(os.Environ(), a.streamEnv()...), env...)
	for _, k := range slices.Sorted(maps.Keys(ph.Env)) {
		cmd.Env = append(cmd.Env, k+"="+ph.Env[k])
	}
	stderr := tail.NewWriter(tail.DefaultLimit)
	cmd.Stderr = io.MultiWriter(a.stderr, stderr)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		var execErr *exec.Error
		if errors.As(err, &execErr) {
			err = execErr.Err
		}
		return fmt.Errorf("%s cannot start: %w", name, err)
	}
	fed := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(stdin, 1<<20)
		err := feed(w)
		if err == nil {
			err = w.Flush()
		}
		stdin.Close()
		fed <- err
	}()
	readErr := emitLines(stdout, e)
	if readErr != nil {
		// readErr is the failure; the kill and the drain only end the command.
		_ = cmd.Process.Kill()
		_, _ = io.Copy(io.Discard, stdout)
	}
	feedErr := <-fed
	waitErr := cmd.Wait()
	switch {
	case readErr != nil: // the cause, not the kill that followed
		return readErr
	case waitErr != nil:
		return fmt.Errorf("%s failed: %s%s", name, exitReason(waitErr), lastLine(stderr.String()))
	case feedErr != nil && !errors.Is(feedErr, syscall.EPIPE): // a command may stop reading early
		return fmt.Errorf("%s: %w", name, feedErr)
	}
	return nil
}

// streamEnv describes the task to a streaming command.
func (a *attempt) streamEnv() []string {
	return []string{
		"DOCKMR_JOB_ID=" + a.plan.ID,
		"DOCKMR_TASK=" + a.manifest.Task,
		"DOCKMR_ATTEMPT=" + a.id,
		"mapreduce_task_partition=" + strconv.Itoa(a.index),
	}
}

// emitLines passes each line of r to e.
func emitLines(r io.Reader, e emitter) error {
	lr := newRecordReader("command output", r, lineFraming, 1<<20)
	for {
		if err := lr.advance(); err != nil {
			return err
		}
		rec := lr.rec
		if rec == nil {
			return nil
		}
		if rec[len(rec)-1] != '\n' {
			rec = append(slices.Clip(rec), '\n')
		}
		if err := e.emit(rec); err != nil {
			return err
		}
	}
}

// exitReason says how a command ended.
func exitReason(err error) string {
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return err.Error()
	}
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by signal " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(exitErr.ExitCode())
}

// lastLine returns the last line of a command's stderr, as ": line", or "".
// The whole end of it follows the task's one-line report on its stderr.
func lastLine(stderr string) string {
	if stderr == "" {
		return ""
	}
	return ": " + strings.TrimSpace(stderr[strings.LastIndexByte(stderr, '\n')+1:])
}

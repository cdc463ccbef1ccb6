package driver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// ExecTask runs a command inside the task's container and returns its
// output; Nomad uses it for script checks.
func (d *Driver) ExecTask(taskID string, cmd []string, timeout time.Duration) (*drivers.ExecTaskResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	res, err := d.ExecTaskStreaming(ctx, taskID, &drivers.ExecOptions{
		Command: cmd,
		Stdout:  nopWriteCloser{&stdout},
		Stderr:  nopWriteCloser{&stderr},
	})
	if err != nil {
		return nil, err
	}
	return &drivers.ExecTaskResult{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitResult: res}, nil
}

// ExecTaskStreaming runs a command inside the task's container with its
// streams attached: `nomad alloc exec`, interactive with a TTY or not.
func (d *Driver) ExecTaskStreaming(ctx context.Context, taskID string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	if len(opts.Command) == 0 {
		return nil, fmt.Errorf("command: empty; give the program to run and its arguments")
	}
	created, err := h.docker.ContainerExecCreate(ctx, h.containerID, container.ExecOptions{
		Cmd:          opts.Command,
		Tty:          opts.Tty,
		AttachStdin:  opts.Stdin != nil,
		AttachStdout: true,
		AttachStderr: true,
	})
	if err != nil {
		return nil, fmt.Errorf("create exec in container %.12s: %w", h.containerID, err)
	}
	attached, err := h.docker.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: opts.Tty})
	if err != nil {
		return nil, fmt.Errorf("attach to exec in container %.12s: %w", h.containerID, err)
	}
	defer attached.Close()

	if opts.ResizeCh != nil {
		go d.forwardResizes(ctx, h, created.ID, opts.ResizeCh)
	}
	if opts.Stdin != nil {
		go func() {
			_, _ = io.Copy(attached.Conn, opts.Stdin)
			_ = attached.CloseWrite()
		}()
	}

	outDone := make(chan error, 1)
	go func() {
		var err error
		if opts.Tty {
			_, err = io.Copy(opts.Stdout, attached.Reader)
		} else {
			_, err = stdcopy.StdCopy(opts.Stdout, opts.Stderr, attached.Reader)
		}
		outDone <- err
	}()
	select {
	case err := <-outDone:
		if err != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("copy exec output: %w", err)
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return execExit(ctx, h, created.ID)
}

// execExit waits for Docker to record the exec's exit code, which may
// trail the end of its output by a moment.
func execExit(ctx context.Context, h *taskHandle, execID string) (*drivers.ExitResult, error) {
	for {
		ins, err := h.docker.ContainerExecInspect(ctx, execID)
		if err != nil {
			return nil, fmt.Errorf("inspect exec: %w", err)
		}
		if !ins.Running {
			return &drivers.ExitResult{ExitCode: ins.ExitCode}, nil
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (d *Driver) forwardResizes(ctx context.Context, h *taskHandle, execID string, ch <-chan drivers.TerminalSize) {
	for {
		select {
		case size, ok := <-ch:
			if !ok {
				return
			}
			err := h.docker.ContainerExecResize(ctx, execID, container.ResizeOptions{Height: uint(size.Height), Width: uint(size.Width)})
			if err != nil {
				h.logger.Debug("resize exec terminal failed", "error", err)
			}
		case <-ctx.Done():
			return
		}
	}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

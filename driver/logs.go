package driver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/client/lib/fifo"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// logReadBuffer is the read buffer of each task's log stream. Every
// running task holds one for its whole life, so it stays small: with 256
// KiB, 200 idle tasks held 50 MiB of the plugin's heap. Frames are read
// into their own buffer whatever their size, so this bounds only how much
// one read from the daemon takes.
const logReadBuffer = 32 << 10

// logAPI is the part of the Docker client the log streamer needs: the
// container's log stream, followed or read once, and the container's state
// when a stream ends. The streamer's decisions are unit-tested against a
// fake of it.
type logAPI interface {
	ContainerLogs(ctx context.Context, container string, options container.LogsOptions) (io.ReadCloser, error)
	ContainerInspect(ctx context.Context, container string) (container.InspectResponse, error)
}

// Backoff between two tries to resume a log stream the daemon cut.
const (
	firstLogBackoff = 500 * time.Millisecond
	maxLogBackoff   = 10 * time.Second
)

// logStreamer copies a container's stdout and stderr from the Docker API
// into the FIFOs Nomad's log collector reads, inside the plugin process:
// no logger process per task. Docker keeps the container's output in its
// log file, so a container that prints and exits before the copier starts
// loses nothing.
type logStreamer struct {
	docker      logAPI
	logger      hclog.Logger
	containerID string
	stdoutPath  string
	stderrPath  string
	cursorPath  string
	cursor      logCursor
	keeper      *fifoKeeper
	// sleep waits between two tries, or until ctx ends; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error

	// abandoned is set when the plugin goes away while the task runs: the
	// keeper must then go on holding the FIFOs for the next plugin.
	abandoned atomic.Bool
	done      chan struct{}
}

func newLogStreamer(docker logAPI, logger hclog.Logger, keeper *fifoKeeper, id string, cfg *drivers.TaskConfig, cursor logCursor) *logStreamer {
	l := &logStreamer{
		keeper:      keeper,
		docker:      docker,
		logger:      logger.Named("logs"),
		containerID: id,
		stdoutPath:  cfg.StdoutPath,
		stderrPath:  cfg.StderrPath,
		cursor:      cursor,
		sleep:       sleepCtx,
		done:        make(chan struct{}),
	}
	if cfg.AllocDir != "" {
		l.cursorPath = filepath.Join(cfg.TaskDir().Dir, cursorFileName)
	}
	return l
}

// run opens the task's FIFOs and its cursor file, and copies the logs into
// them until the container has exited and every line is delivered.
func (l *logStreamer) run(ctx context.Context) {
	defer close(l.done)
	if l.stdoutPath == "" || l.stderrPath == "" {
		return
	}
	out, errw, err := l.openFIFOs(ctx)
	if err != nil {
		l.logger.Error("cannot open log FIFOs", "error", err)
		return
	}
	defer out.Close()
	defer errw.Close()
	if err := l.keeper.hold(l.stdoutPath, l.stderrPath); err != nil {
		l.logger.Warn("FIFO keeper unavailable; logs written after a plugin restart may be lost", "error", err)
	}
	defer func() {
		if !l.abandoned.Load() {
			_ = l.keeper.release(l.stdoutPath, l.stderrPath)
		}
	}()
	var cursorFile io.WriterAt // a nil *os.File would not be a nil io.WriterAt
	if f := l.openCursorFile(); f != nil {
		defer f.Close()
		cursorFile = f
	}
	l.copyAll(ctx, out, errw, cursorFile)
}

// openCursorFile opens the file the cursor is saved in, nil when there is
// none.
func (l *logStreamer) openCursorFile() *os.File {
	if l.cursorPath == "" {
		return nil
	}
	f, err := os.OpenFile(l.cursorPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		l.logger.Warn("cannot record log position; a plugin restart may repeat lines", "error", err)
		return nil
	}
	return f
}

// copyAll follows the logs until the container has exited and every line
// is delivered. A stream the daemon cut, or a failed write, is resumed
// from the cursor after a backoff; a container that is gone, or the end of
// ctx, ends the copy. cursorFile, when not nil, keeps the cursor for the
// next plugin.
func (l *logStreamer) copyAll(ctx context.Context, stdout, stderr io.Writer, cursorFile io.WriterAt) {
	backoff := firstLogBackoff
	for ctx.Err() == nil {
		err := l.follow(ctx, stdout, stderr, cursorFile, true)
		switch {
		case err == nil:
			l.finalRead(ctx, stdout, stderr, cursorFile)
			return
		case cerrdefs.IsNotFound(err), ctx.Err() != nil:
			return
		}
		l.logger.Warn("log stream interrupted; resuming", "error", err, "backoff", backoff)
		if l.sleep(ctx, backoff) != nil {
			return
		}
		backoff = min(2*backoff, maxLogBackoff)
	}
}

// finalRead reads the log once more, not following it, from the cursor
// on. A follow opened as the container exits can end before the daemon has
// handed over its last lines; this read picks up any it missed, and no
// others. It is not retried.
func (l *logStreamer) finalRead(ctx context.Context, stdout, stderr io.Writer, cursorFile io.WriterAt) {
	if err := l.follow(ctx, stdout, stderr, cursorFile, false); err != nil && !cerrdefs.IsNotFound(err) {
		l.logger.Warn("final log read failed", "error", err)
	}
}

func (l *logStreamer) openFIFOs(ctx context.Context) (io.WriteCloser, io.WriteCloser, error) {
	type result struct {
		w   io.WriteCloser
		err error
	}
	open := func(path string) (io.WriteCloser, error) {
		ch := make(chan result, 1)
		go func() { w, err := fifo.OpenWriter(path); ch <- result{w, err} }()
		select {
		case r := <-ch:
			return r.w, r.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	out, err := open(l.stdoutPath)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", l.stdoutPath, err)
	}
	errw, err := open(l.stderrPath)
	if err != nil {
		out.Close()
		return nil, nil, fmt.Errorf("open %s: %w", l.stderrPath, err)
	}
	return out, errw, nil
}

// follow copies one log stream from the cursor on, following it if asked.
// It returns nil once the stream ended with the container stopped.
func (l *logStreamer) follow(ctx context.Context, stdout, stderr io.Writer, cursorFile io.WriterAt, follow bool) error {
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Timestamps: true}
	if since := l.cursor.since(); !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	rc, err := l.docker.ContainerLogs(ctx, l.containerID, opts)
	if err != nil {
		return err
	}
	defer rc.Close()

	r := bufio.NewReaderSize(rc, logReadBuffer)
	dec := frameDecoder{r: r}
	// Lines at or before a stream's cursor were delivered by an earlier
	// copy; filtering stops at the first newer line so that lines sharing
	// a timestamp later on are all kept.
	resuming := map[byte]bool{streamStdout: !l.cursor.stdout.IsZero(), streamStderr: !l.cursor.stderr.IsZero()}
	for {
		f, err := dec.next()
		if errors.Is(err, io.EOF) {
			return l.streamEnded(ctx)
		}
		if err != nil {
			return err
		}
		last := l.cursor.at(f.stream)
		if resuming[f.stream] {
			if !f.ts.After(*last) {
				continue
			}
			resuming[f.stream] = false
		}
		w := stdout
		if f.stream == streamStderr {
			w = stderr
		}
		if _, err := w.Write(f.line); err != nil {
			return fmt.Errorf("write log line: %w", err)
		}
		*last = f.ts
		if r.Buffered() == 0 && cursorFile != nil {
			// Saved whenever the reader has caught up, so a killed plugin
			// repeats at most the lines of one read.
			saveCursor(cursorFile, l.cursor)
		}
	}
}

// sleepCtx waits for d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// streamEnded tells a stream that ended because the container stopped
// from one the daemon cut (a restart), which must be resumed.
func (l *logStreamer) streamEnded(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	c, err := l.docker.ContainerInspect(ctx, l.containerID)
	if err != nil {
		return err
	}
	if c.State != nil && (c.State.Running || c.State.Restarting) {
		return errors.New("log stream ended while the container runs")
	}
	return nil
}

package driver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/client/lib/fifo"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// cursorFileName holds, in the task's directory (which is not mounted into
// the container), the timestamp of the last log line delivered to Nomad.
// A recovered plugin resumes after it, so no line is delivered twice.
const cursorFileName = ".dockmr-log-cursor"

// logCursor is the position in a container's log streams: the Docker
// timestamp of the last line delivered from each. Docker stamps stdout and
// stderr lines in separate goroutines, so the two streams are each in time
// order but not in order with each other; one cursor each keeps a resumed
// copy from dropping or repeating lines of either.
type logCursor struct {
	stdout, stderr time.Time
}

// since is where a resumed stream must start: the older of the two.
func (c logCursor) since() time.Time {
	if c.stderr.Before(c.stdout) {
		return c.stderr
	}
	return c.stdout
}

func (c *logCursor) at(stream byte) *time.Time {
	if stream == streamStderr {
		return &c.stderr
	}
	return &c.stdout
}

// encode renders the cursor in fixed width, so overwriting it in place
// never leaves the tail of a longer old value.
func (c logCursor) encode() []byte {
	return []byte(fmt.Sprintf("%020d %020d\n", unixNano(c.stdout), unixNano(c.stderr)))
}

func decodeLogCursor(b []byte) logCursor {
	var out, errs int64
	if _, err := fmt.Sscanf(string(b), "%d %d", &out, &errs); err != nil {
		return logCursor{}
	}
	return logCursor{stdout: fromUnixNano(out), stderr: fromUnixNano(errs)}
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(ns int64) time.Time {
	if ns <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// logReadBuffer is the read buffer of each task's log stream. Every
// running task holds one for its whole life, so it stays small: with 256
// KiB, 200 idle tasks held 50 MiB of the plugin's heap. Frames are read
// into their own buffer whatever their size, so this bounds only how much
// one read from the daemon takes.
const logReadBuffer = 32 << 10

// logStreamer copies a container's stdout and stderr from the Docker API
// into the FIFOs Nomad's log collector reads, inside the plugin process:
// no logger process per task. Docker keeps the container's output in its
// log file, so a container that prints and exits before the copier starts
// loses nothing.
type logStreamer struct {
	docker      *client.Client
	logger      hclog.Logger
	containerID string
	stdoutPath  string
	stderrPath  string
	cursorPath  string
	cursor      logCursor
	keeper      *fifoKeeper

	// abandoned is set when the plugin goes away while the task runs: the
	// keeper must then go on holding the FIFOs for the next plugin.
	abandoned atomic.Bool
	done      chan struct{}
}

func newLogStreamer(docker *client.Client, logger hclog.Logger, keeper *fifoKeeper, id string, cfg *drivers.TaskConfig, cursor logCursor) *logStreamer {
	l := &logStreamer{
		keeper:      keeper,
		docker:      docker,
		logger:      logger.Named("logs"),
		containerID: id,
		stdoutPath:  cfg.StdoutPath,
		stderrPath:  cfg.StderrPath,
		cursor:      cursor,
		done:        make(chan struct{}),
	}
	if cfg.AllocDir != "" {
		l.cursorPath = filepath.Join(cfg.TaskDir().Dir, cursorFileName)
	}
	return l
}

// loadLogCursor reads the cursor a previous plugin process left.
func loadLogCursor(cfg *drivers.TaskConfig) logCursor {
	if cfg.AllocDir == "" {
		return logCursor{}
	}
	b, err := os.ReadFile(filepath.Join(cfg.TaskDir().Dir, cursorFileName))
	if err != nil {
		return logCursor{}
	}
	return decodeLogCursor(b)
}

// run follows the logs until the container has exited and every line is
// delivered, reconnecting after daemon or FIFO trouble.
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

	var cursorFile *os.File
	if l.cursorPath != "" {
		cursorFile, err = os.OpenFile(l.cursorPath, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			l.logger.Warn("cannot record log position; a plugin restart may repeat lines", "error", err)
		} else {
			defer cursorFile.Close()
		}
	}

	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		err := l.follow(ctx, out, errw, cursorFile, true)
		if err == nil {
			// A follow opened as the container exits can end before the
			// daemon has handed over its last lines; one plain read from
			// the cursor on picks up any it missed, and no others.
			if err := l.follow(ctx, out, errw, cursorFile, false); err != nil && !cerrdefs.IsNotFound(err) {
				l.logger.Warn("final log read failed", "error", err)
			}
			return
		}
		if cerrdefs.IsNotFound(err) {
			return
		}
		if ctx.Err() != nil {
			return
		}
		l.logger.Warn("log stream interrupted; resuming", "error", err, "backoff", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 10*time.Second)
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
func (l *logStreamer) follow(ctx context.Context, stdout, stderr io.Writer, cursorFile *os.File, follow bool) error {
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

func saveCursor(f *os.File, c logCursor) {
	_, _ = f.WriteAt(c.encode(), 0)
}

const (
	streamStdout = 1
	streamStderr = 2
)

// logFrame is one line of Docker's multiplexed log stream.
type logFrame struct {
	stream byte
	ts     time.Time
	line   []byte
}

// frameDecoder reads Docker's multiplexed stream: an 8-byte header (stream
// type, three zero bytes, big-endian payload length) then the payload,
// which with Timestamps starts with an RFC 3339 time and a space.
type frameDecoder struct {
	r   *bufio.Reader
	hdr [8]byte
	buf []byte
}

func (d *frameDecoder) next() (logFrame, error) {
	if _, err := io.ReadFull(d.r, d.hdr[:]); err != nil {
		return logFrame{}, err
	}
	n := int(binary.BigEndian.Uint32(d.hdr[4:]))
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	d.buf = d.buf[:n]
	if _, err := io.ReadFull(d.r, d.buf); err != nil {
		return logFrame{}, fmt.Errorf("read log frame: %w", err)
	}
	return parseFrame(d.hdr[0], d.buf)
}

func parseFrame(stream byte, payload []byte) (logFrame, error) {
	sp := bytes.IndexByte(payload, ' ')
	if sp < 0 {
		return logFrame{}, fmt.Errorf("log frame without timestamp: %q", truncate(payload, 64))
	}
	ts, err := time.Parse(time.RFC3339Nano, string(payload[:sp]))
	if err != nil {
		return logFrame{}, fmt.Errorf("log frame timestamp %q: %w", truncate(payload[:sp], 64), err)
	}
	return logFrame{stream: stream, ts: ts, line: payload[sp+1:]}, nil
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

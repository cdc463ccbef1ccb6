package driver

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/hashicorp/go-hclog"
)

// fakeLogs is a container's log as the Docker API serves it, and a script
// of what each ContainerLogs call does: fail, or serve the log from its
// Since on (Docker keeps lines at Since itself), ending the stream after
// some frames with the container running or not. Calls past the script
// serve the whole log of an exited container.
type fakeLogs struct {
	t        *testing.T
	lines    []fakeLine
	sessions []logSession

	// What the streamer did.
	calls  []container.LogsOptions
	sleeps []time.Duration
	// cancel, when set, is called at the first sleep.
	cancel context.CancelFunc
	// ended is the session whose stream ended last: inspect answers
	// with its container state.
	ended logSession
}

// fakeLine is one line of the container's log.
type fakeLine struct {
	stream byte
	ts     time.Time
	text   string
}

// logSession is what one ContainerLogs call does.
type logSession struct {
	// err makes the call fail.
	err error
	// frames is how many frames the stream serves before it ends; zero
	// means all.
	frames int
	// running is what inspect says when the stream has ended;
	// inspectErr makes it fail instead.
	running    bool
	inspectErr error
}

// logT0 is the time the test containers' logs start at.
var logT0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// at is logT0 plus ms milliseconds.
func at(ms int) time.Time { return logT0.Add(time.Duration(ms) * time.Millisecond) }

func out(ms int, text string) fakeLine  { return fakeLine{streamStdout, at(ms), text} }
func errl(ms int, text string) fakeLine { return fakeLine{streamStderr, at(ms), text} }

// streamer returns a log streamer of the fake's container, resuming from
// cursor, whose sleeps the fake records.
func (f *fakeLogs) streamer(cursor logCursor) *logStreamer {
	return &logStreamer{docker: f, logger: hclog.NewNullLogger(), containerID: "c1", cursor: cursor, sleep: f.sleep}
}

func (f *fakeLogs) sleep(ctx context.Context, d time.Duration) error {
	f.sleeps = append(f.sleeps, d)
	if len(f.sleeps) > 100 {
		f.t.Fatalf("the streamer still retries after 100 sleeps")
	}
	if f.cancel != nil {
		f.cancel()
	}
	return ctx.Err()
}

func (f *fakeLogs) ContainerLogs(_ context.Context, _ string, opts container.LogsOptions) (io.ReadCloser, error) {
	f.calls = append(f.calls, opts)
	var s logSession
	if n := len(f.calls); n <= len(f.sessions) {
		s = f.sessions[n-1]
	}
	if s.err != nil {
		return nil, s.err
	}
	since := parseSince(f.t, opts.Since)
	var b bytes.Buffer
	served := 0
	for _, l := range f.lines {
		if l.ts.Before(since) || s.frames > 0 && served == s.frames {
			continue
		}
		writeFrame(&b, l)
		served++
	}
	f.ended = s
	return io.NopCloser(&b), nil
}

func (f *fakeLogs) ContainerInspect(context.Context, string) (container.InspectResponse, error) {
	if f.ended.inspectErr != nil {
		return container.InspectResponse{}, f.ended.inspectErr
	}
	state := &container.State{Running: f.ended.running}
	return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{State: state}}, nil
}

// writeFrame writes a line as Docker's multiplexed stream frames it, with
// its timestamp.
func writeFrame(b *bytes.Buffer, l fakeLine) {
	payload := l.ts.Format(time.RFC3339Nano) + " " + l.text + "\n"
	hdr := [8]byte{l.stream}
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(payload)))
	b.Write(hdr[:])
	b.WriteString(payload)
}

// parseSince reads LogsOptions.Since as the streamer writes it,
// seconds.nanoseconds.
func parseSince(t *testing.T, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	secs, nanos, ok := strings.Cut(s, ".")
	sec, err1 := strconv.ParseInt(secs, 10, 64)
	nsec, err2 := strconv.ParseInt(nanos, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("since %q is not seconds.nanoseconds", s)
	}
	return time.Unix(sec, nsec)
}

// sinceOf is LogsOptions.Since for a time.
func sinceOf(ts time.Time) string { return fmt.Sprintf("%d.%09d", ts.Unix(), ts.Nanosecond()) }

// cursorBuf is a cursor file in memory.
type cursorBuf struct{ b []byte }

func (c *cursorBuf) WriteAt(p []byte, off int64) (int, error) {
	if need := int(off) + len(p); need > len(c.b) {
		c.b = append(c.b, make([]byte, need-len(c.b))...)
	}
	return copy(c.b[off:], p), nil
}

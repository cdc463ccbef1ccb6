package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/shoenig/test/must"
)

var errDaemonDown = errors.New("cannot connect to the Docker daemon at unix:///run/docker.sock")

// copied runs the streamer's copy to its end and returns what reached
// stdout and stderr.
func copied(l *logStreamer, cursor *cursorBuf) (stdout, stderr string) {
	var o, e bytes.Buffer
	l.copyAll(context.Background(), &o, &e, cursor)
	return o.String(), e.String()
}

func TestLogCopy_ExitedContainerGetsOneFinalReadFromTheCursor(t *testing.T) {
	// The follow ends as the container exits, before the daemon has
	// handed over its last two lines.
	f := &fakeLogs{t: t,
		lines:    []fakeLine{out(10, "1"), errl(15, "e1"), out(20, "2"), out(30, "3")},
		sessions: []logSession{{frames: 2}},
	}
	cursor := &cursorBuf{}
	stdout, stderr := copied(f.streamer(logCursor{}), cursor)

	must.Eq(t, "1\n2\n3\n", stdout)
	must.Eq(t, "e1\n", stderr)
	must.Len(t, 2, f.calls)
	must.True(t, f.calls[0].Follow)
	must.Eq(t, "", f.calls[0].Since, must.Sprint("a new task's log is read from its start"))
	must.False(t, f.calls[1].Follow, must.Sprint("the final read does not follow"))
	must.Eq(t, sinceOf(at(10)), f.calls[1].Since, must.Sprint("from the older stream's cursor"))
	must.SliceEmpty(t, f.sleeps)
	must.Eq(t, string(logCursor{stdout: at(30), stderr: at(15)}.encode()), string(cursor.b), must.Sprint("the saved cursor is the last line of each stream"))
}

func TestLogCopy_ResumesAfterTheDaemonCutsTheStream(t *testing.T) {
	// Docker stamps each stream in its own goroutine: stderr runs behind
	// stdout here.
	f := &fakeLogs{t: t,
		lines: []fakeLine{
			out(10, "o10"), errl(5, "e5"), out(11, "o11"),
			errl(6, "e6"), out(12, "o12a"), out(12, "o12b"), errl(13, "e13"),
		},
		sessions: []logSession{{frames: 3, running: true}},
	}
	stdout, stderr := copied(f.streamer(logCursor{}), &cursorBuf{})

	must.Eq(t, "o10\no11\no12a\no12b\n", stdout, must.Sprint("no line lost or doubled; both lines sharing a time kept"))
	must.Eq(t, "e5\ne6\ne13\n", stderr)
	must.Eq(t, []time.Duration{firstLogBackoff}, f.sleeps)
	must.Len(t, 3, f.calls, must.Sprint("cut follow, resumed follow, final read"))
	must.True(t, f.calls[1].Follow)
	must.Eq(t, sinceOf(at(5)), f.calls[1].Since, must.Sprint("resumed from the older cursor, stderr's"))
}

func TestLogCopy_BacksOffWhileTheDaemonIsDown(t *testing.T) {
	down := logSession{err: errDaemonDown}
	f := &fakeLogs{t: t,
		lines:    []fakeLine{out(10, "1"), errl(20, "e1")},
		sessions: []logSession{down, down, down, down, down, down, down},
	}
	stdout, stderr := copied(f.streamer(logCursor{}), &cursorBuf{})

	must.Eq(t, "1\n", stdout)
	must.Eq(t, "e1\n", stderr)
	ms := time.Millisecond
	must.Eq(t, []time.Duration{500 * ms, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, maxLogBackoff, maxLogBackoff}, f.sleeps)
}

func TestLogCopy_StopsWhenTheContainerIsGone(t *testing.T) {
	f := &fakeLogs{t: t,
		lines:    []fakeLine{out(10, "1")},
		sessions: []logSession{{err: fmt.Errorf("No such container: c1: %w", cerrdefs.ErrNotFound)}},
	}
	stdout, _ := copied(f.streamer(logCursor{}), &cursorBuf{})

	must.Eq(t, "", stdout)
	must.Len(t, 1, f.calls, must.Sprint("no retry for a container that is gone"))
	must.SliceEmpty(t, f.sleeps)
}

func TestLogCopy_StopsWhenTheTaskIsDestroyed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeLogs{t: t, cancel: cancel,
		lines:    []fakeLine{out(10, "1")},
		sessions: []logSession{{err: errDaemonDown}},
	}
	var o, e bytes.Buffer
	f.streamer(logCursor{}).copyAll(ctx, &o, &e, nil)

	must.Len(t, 1, f.calls, must.Sprint("the backoff ends with the task"))
	must.Eq(t, "", o.String())
}

func TestLogCopy_RecoveredPluginSkipsDeliveredLines(t *testing.T) {
	f := &fakeLogs{t: t,
		lines: []fakeLine{out(10, "o10"), errl(15, "e15"), out(20, "o20"), out(30, "o30"), errl(40, "e40")},
	}
	stdout, stderr := copied(f.streamer(logCursor{stdout: at(20), stderr: at(15)}), &cursorBuf{})

	must.Eq(t, sinceOf(at(15)), f.calls[0].Since)
	must.Eq(t, "o30\n", stdout)
	must.Eq(t, "e40\n", stderr)
}

func TestLogCopy_StreamEndWithoutInspectIsResumed(t *testing.T) {
	f := &fakeLogs{t: t,
		lines:    []fakeLine{out(10, "1"), out(20, "2"), out(30, "3")},
		sessions: []logSession{{frames: 2, inspectErr: errDaemonDown}},
	}
	stdout, _ := copied(f.streamer(logCursor{}), &cursorBuf{})

	must.Eq(t, "1\n2\n3\n", stdout)
	must.Eq(t, []time.Duration{firstLogBackoff}, f.sleeps, must.Sprint("a stream that may have been cut is resumed"))
	must.True(t, f.calls[1].Follow)
}

// failingWriter fails its nth write, once.
type failingWriter struct {
	bytes.Buffer
	n, writes int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.writes == w.n {
		return 0, errors.New("write /alloc/logs/.map.stdout.fifo: broken pipe")
	}
	return w.Buffer.Write(p)
}

func TestLogCopy_FailedWriteIsResumedFromTheCursor(t *testing.T) {
	f := &fakeLogs{t: t,
		lines: []fakeLine{out(10, "1"), out(20, "2"), out(30, "3")},
	}
	o := &failingWriter{n: 2}
	var e bytes.Buffer
	f.streamer(logCursor{}).copyAll(context.Background(), o, &e, nil)

	must.Eq(t, "1\n2\n3\n", o.String(), must.Sprint("the line that failed comes again, the one before it does not"))
	must.Eq(t, []time.Duration{firstLogBackoff}, f.sleeps)
}

func TestLogCopy_FinalReadIsNotRetried(t *testing.T) {
	f := &fakeLogs{t: t,
		lines:    []fakeLine{out(10, "1")},
		sessions: []logSession{{}, {err: errDaemonDown}},
	}
	stdout, _ := copied(f.streamer(logCursor{}), &cursorBuf{})

	must.Eq(t, "1\n", stdout)
	must.Len(t, 2, f.calls)
	must.SliceEmpty(t, f.sleeps)
}

func TestLogCursor_EncodeDecode(t *testing.T) {
	c := logCursor{stdout: at(30), stderr: at(15)}
	must.Eq(t, at(15), c.since())
	got := decodeLogCursor(c.encode())
	must.True(t, got.stdout.Equal(c.stdout) && got.stderr.Equal(c.stderr), must.Sprintf("decoded %v", got))
	must.Eq(t, len(logCursor{}.encode()), len(c.encode()), must.Sprint("fixed width, so an overwrite leaves no tail"))
	must.Eq(t, logCursor{}, decodeLogCursor([]byte("garbage")))
	must.Eq(t, logCursor{}, decodeLogCursor(logCursor{}.encode()))
}

func TestParseFrame(t *testing.T) {
	f, err := parseFrame(streamStderr, []byte("2026-01-02T03:04:05.010000000Z boom\n"))
	must.NoError(t, err)
	must.Eq(t, logFrame{stream: streamStderr, ts: at(10), line: []byte("boom\n")}, f)

	_, err = parseFrame(streamStdout, []byte("no-timestamp"))
	must.ErrorContains(t, err, "log frame without timestamp")
	_, err = parseFrame(streamStdout, []byte("yesterday line\n"))
	must.ErrorContains(t, err, `log frame timestamp "yesterday"`)
}

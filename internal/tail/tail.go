// Package tail keeps the end of a stream: the last whole lines written to
// it, up to a bound in bytes. dockmr keeps the end of a failed task's
// stderr this way (a streaming command's traceback, say) for the job's
// error, its history and `dockmr logs`, on every runner.
package tail

import (
	"bytes"
	"errors"
	"strings"
)

// DefaultLimit is how many bytes of a failed task's stderr dockmr keeps.
const DefaultLimit = 4096

// Writer keeps the last lines written to it, up to a limit in bytes. It
// never fails and never blocks; the zero Writer keeps DefaultLimit bytes.
// It is not safe for concurrent use.
type Writer struct {
	limit int
	buf   []byte
	// cut is set when buf starts inside a line whose start was dropped.
	cut bool
}

// NewWriter returns a Writer keeping up to limit bytes; a limit below 1
// means DefaultLimit.
func NewWriter(limit int) *Writer {
	return &Writer{limit: limit}
}

func (w *Writer) bound() int {
	if w.limit < 1 {
		return DefaultLimit
	}
	return w.limit
}

// Write keeps the end of p. It always succeeds.
func (w *Writer) Write(p []byte) (int, error) {
	n := len(p)
	limit := w.bound()
	if len(p) > limit {
		w.cut = midLine(p, len(p)-limit)
		p = p[len(p)-limit:]
		w.buf = w.buf[:0]
	}
	w.buf = append(w.buf, p...)
	// Trim only when twice the limit is held: appends stay amortized O(1).
	if len(w.buf) > 2*limit {
		w.cut = midLine(w.buf, len(w.buf)-limit)
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-limit:]...)
	}
	return n, nil
}

// String returns the kept lines (see Trim).
func (w *Writer) String() string {
	b := w.buf
	cut := w.cut
	if limit := w.bound(); len(b) > limit {
		b, cut = b[len(b)-limit:], midLine(b, len(b)-limit)
	}
	return trimCut(b, cut)
}

// Trim returns the last whole lines of s that fit in limit bytes (below 1:
// DefaultLimit), without the blank lines around them. A last line longer
// than limit is kept by its end.
func Trim(s string, limit int) string {
	if limit < 1 {
		limit = DefaultLimit
	}
	if len(s) <= limit {
		return trimCut([]byte(s), false)
	}
	b := []byte(s)
	return trimCut(b[len(b)-limit:], midLine(b, len(b)-limit))
}

// midLine reports whether b[i:] starts inside a line.
func midLine(b []byte, i int) bool {
	return i > 0 && b[i-1] != '\n'
}

// trimCut drops the partial first line of a cut buffer, when a whole line
// follows, and the blank lines around the rest.
func trimCut(b []byte, cut bool) string {
	if cut {
		if i := bytes.IndexByte(b, '\n'); i >= 0 && len(bytes.TrimSpace(b[i+1:])) > 0 {
			b = b[i+1:]
		}
	}
	s := strings.TrimRight(string(b), " \t\r\n")
	for {
		line, rest, ok := strings.Cut(s, "\n")
		if !ok || strings.TrimSpace(line) != "" {
			return s
		}
		s = rest
	}
}

// WithoutLastLine returns s without its last line when that line starts
// with prefix, such as the task runtime's own one-line report of the
// failure that the error already says.
func WithoutLastLine(s, prefix string) string {
	i := strings.LastIndexByte(s, '\n')
	if !strings.HasPrefix(s[i+1:], prefix) {
		return s
	}
	if i < 0 {
		return ""
	}
	return strings.TrimRight(s[:i], " \t\r\n")
}

// Indent indents every line of s by four spaces.
func Indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// Error is a failure together with the end of the stderr of what failed.
// Its message is the failure's, then the stderr's lines, indented.
type Error struct {
	Err    error
	Stderr string
}

// NewError adds stderr, the end of what failed printed, to err; it returns
// err as it is when stderr is empty, or is one line err already says.
func NewError(err error, stderr string) error {
	if stderr == "" || !strings.Contains(stderr, "\n") && strings.Contains(err.Error(), strings.TrimSpace(stderr)) {
		return err
	}
	return &Error{Err: err, Stderr: stderr}
}

func (e *Error) Error() string {
	return e.Err.Error() + "; its stderr ends with:\n" + Indent(e.Stderr)
}

func (e *Error) Unwrap() error { return e.Err }

// Split returns err's message with the stderr of an Error within it left
// out, and that stderr: for showing the message on one line and the
// stderr's lines below it.
func Split(err error) (msg, stderr string) {
	msg = err.Error()
	var te *Error
	if !errors.As(err, &te) {
		return msg, ""
	}
	return strings.Replace(msg, te.Error(), te.Err.Error(), 1), te.Stderr
}

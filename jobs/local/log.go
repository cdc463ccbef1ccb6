package local

import (
	"bytes"
	"io"
	"strings"
)

// reportPrefix starts the line on which the task runtime reports how the
// task ended, the last it prints.
const reportPrefix = "dockmr-task: "

// lastLine remembers what a task printed last: its last line starting with
// "dockmr-task: " (the runtime's own report), else its last non-empty line.
type lastLine struct {
	partial []byte
	report  string
	last    string
}

func (l *lastLine) Write(p []byte) (int, error) {
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.see(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

func (l *lastLine) see(line string) {
	line = strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(line, reportPrefix):
		l.report = line
	case line != "":
		l.last = line
	}
}

func (l *lastLine) line() string {
	l.see(string(l.partial))
	l.partial = nil
	if l.report != "" {
		return l.report
	}
	return l.last
}

// logWriter returns a writer that copies whole lines to the runner's log,
// prefixed with the task's name, or io.Discard without a log.
func (r *Runner) logWriter(task string) io.Writer {
	if r.Log == nil {
		return io.Discard
	}
	return &prefixWriter{r: r, prefix: task + ": "}
}

// prefixWriter writes complete lines to the runner's log; the log's lock
// keeps lines of concurrent tasks whole.
type prefixWriter struct {
	r       *Runner
	prefix  string
	partial []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	i := bytes.LastIndexByte(w.partial, '\n')
	if i < 0 {
		return len(p), nil
	}
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(w.partial[:i+1], []byte{'\n'}) {
		if len(line) > 0 {
			out.WriteString(w.prefix)
			out.Write(line)
		}
	}
	w.partial = append(w.partial[:0], w.partial[i+1:]...)
	w.r.logMu.Lock()
	defer w.r.logMu.Unlock()
	if _, err := w.r.Log.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

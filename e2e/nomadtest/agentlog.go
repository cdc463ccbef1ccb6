package nomadtest

import (
	"bytes"
	"io"
	"os"
	"strings"
)

// LogSize is the current length of the Nomad log, to pass to LogSince later.
func (c *Cluster) LogSize() int64 {
	fi, err := os.Stat(c.LogPath())
	if err != nil {
		return 0
	}
	return fi.Size()
}

// LogSince returns what the agents and plugins logged after offset.
func (c *Cluster) LogSince(offset int64) string {
	f, err := os.Open(c.LogPath())
	if err != nil {
		return "(Nomad log unreadable: " + err.Error() + ")"
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return "(Nomad log unreadable: " + err.Error() + ")"
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return "(Nomad log unreadable: " + err.Error() + ")"
	}
	return string(b)
}

// Quiet drops the agent's per-request HTTP log lines, which the harness's
// polling makes the bulk of the log, so a failing test prints what matters.
func Quiet(log string) string {
	lines := strings.SplitAfter(log, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.Contains(l, "http: request complete") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "")
}

// LogTail returns the last n lines of the Nomad log.
func (c *Cluster) LogTail(n int) string {
	b := []byte(Quiet(c.LogSince(0)))
	b = bytes.TrimRight(b, "\n")
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			n--
			if n == 0 {
				return string(b[i+1:])
			}
		}
	}
	return string(b)
}
